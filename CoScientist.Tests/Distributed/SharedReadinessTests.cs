using CoScientist.Core.Distributed;
using CoScientist.Tests.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Distributed;

/// <summary>An instance that cannot reach Redis tells its load balancer it is not ready, and is ready again when Redis is back.</summary>
public sealed class SharedReadinessTests
{
    [Fact]
    public async Task Readyz_Is503WhileRedisIsDown_AndRecoversByItself()
    {
        await using var openRouter = await FakeOpenRouterServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("openrouter_base_url", openRouter.BaseUrl);
            builder.UseSetting("OPENROUTER_API_KEY", FakeOpenRouterServer.ValidKey);
            builder.UseSetting("DATA_DIR", CoreHarness.NewDataDir());
            builder.UseSetting("ConnectionStrings:Redis", redis.ConnectionString);
        });
        using var client = factory.CreateClient();

        var before = await client.GetAsync("/readyz");
        Assert.Equal(System.Net.HttpStatusCode.OK, before.StatusCode);
        Assert.Contains("\"redis\":\"ok\"", await before.Content.ReadAsStringAsync());

        await redis.StopAsync();
        var down = await client.GetAsync("/readyz");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, down.StatusCode);
        var downText = await down.Content.ReadAsStringAsync();
        Assert.Contains("\"redis\":\"unreachable\"", downText);
        Assert.DoesNotContain(redis.Port.ToString(), downText); // no endpoint for whoever can reach /readyz

        await redis.RestartAsync();
        await RedisServer.UntilReachableAsync(factory.Services.GetRequiredService<RedisConnection>());
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }
}
