using CoScientist.Core.Distributed;
using CoScientist.Core.Literature;
using CoScientist.Core.Models;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Distributed;

/// <summary>
/// Instances built by the app's own registration, sharing one Redis and the fake OpenRouter: OpenRouter is asked
/// for its catalogue once an hour for the whole site, not once per instance.
/// </summary>
public sealed class SharedModelCatalogTests : IAsyncLifetime
{
    private readonly List<ServiceProvider> _instances = [];
    private RedisServer _redis = null!;
    private FakeOpenRouterServer _openRouter = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _openRouter = await FakeOpenRouterServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var instance in _instances) await instance.DisposeAsync();
        await _openRouter.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private IModelCatalog Instance(bool withRedis = true, CapturingLoggerProvider? logs = null)
    {
        var services = CoreHarness.Create(_openRouter, withRedis ? new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = _redis.ConnectionString } : null, logs);
        _instances.Add(services);
        return services.GetRequiredService<IModelCatalog>();
    }

    [Fact]
    public async Task FourInstancesStartingTogether_AskOpenRouterForTheCatalogueOnce()
    {
        var catalogues = Enumerable.Range(0, 4).Select(_ => Instance()).ToList();

        var snapshots = await Task.WhenAll(catalogues.Select(c => c.GetAsync()));
        var later = await Instance().GetAsync(); // an instance started later reads it too

        Assert.Equal(1, _openRouter.ModelsRequests);
        Assert.All(snapshots.Append(later), s => Assert.True(s.IsLive));
        Assert.All(snapshots.Append(later), s => Assert.Equal(snapshots[0].Models.Count, s.Models.Count));
        Assert.NotNull(later.Find("google/gemini-2.5-flash"));
    }

    [Fact]
    public async Task AFailedFetch_IsNotSharedAsTheCatalogue()
    {
        _openRouter.ModelsUnavailable = true;
        var failed = await Instance().GetAsync();
        _openRouter.ModelsUnavailable = false;

        var other = await Instance().GetAsync();

        Assert.False(failed.IsLive);
        Assert.True(other.IsLive);
        Assert.NotEmpty(other.Models);
        Assert.Equal(2, _openRouter.ModelsRequests);
    }

    [Fact]
    public async Task WithRedisUnreachable_AnInstanceFetchesTheCatalogueItself_AndSaysSo()
    {
        var logs = new CapturingLoggerProvider();
        var catalogue = Instance(logs: logs);
        await _redis.StopAsync();

        var snapshot = await catalogue.GetAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(snapshot.IsLive);
        Assert.Equal(1, _openRouter.ModelsRequests);
        Assert.Contains("asks OpenRouter for the model catalogue itself", logs.All);
    }

    [Fact]
    public async Task WithoutRedis_EachInstanceKeepsItsOwnCatalogueAndPace()
    {
        var services = CoreHarness.Create(_openRouter);
        _instances.Add(services);
        await services.GetRequiredService<IModelCatalog>().GetAsync();
        await Instance(withRedis: false).GetAsync();

        Assert.Equal(2, _openRouter.ModelsRequests);
        Assert.IsType<LocalPaceSchedule>(services.GetRequiredService<IPaceSchedule>());
        Assert.False(services.GetRequiredService<ScaleOut>().UsesRedis);
    }
}
