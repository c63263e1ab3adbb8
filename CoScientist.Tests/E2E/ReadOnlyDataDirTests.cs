using CoScientist.Tests.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CoScientist.Tests.E2E;

/// <summary>An app whose DATA_DIR is read-only from the start still serves its page, and says why it is not ready.</summary>
public sealed class ReadOnlyDataDirTests
{
    [Fact]
    public async Task WithAReadOnlyDataDirectory_TheAppStarts_ThePageLoads_AndReadyzSaysTheLedgerIsNotWritable()
    {
        await using var openRouter = await FakeOpenRouterServer.StartAsync();
        using var disk = BrokenDisk.At(CoreHarness.NewDataDir());
        disk.MakeReadOnly();
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("openrouter_base_url", openRouter.BaseUrl);
            builder.UseSetting("OPENROUTER_API_KEY", FakeOpenRouterServer.ValidKey);
            builder.UseSetting("DATA_DIR", disk.Path);
        });
        using var client = factory.CreateClient();

        var page = await client.GetAsync("/");
        var ready = await client.GetAsync("/readyz");

        Assert.True(page.IsSuccessStatusCode, $"the page answered {(int)page.StatusCode}");
        Assert.Contains("data-testid=\"storage-problem\"", await page.Content.ReadAsStringAsync());
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("not writable", await ready.Content.ReadAsStringAsync());
    }
}
