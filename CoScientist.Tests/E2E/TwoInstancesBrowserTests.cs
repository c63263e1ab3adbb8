using CoScientist.Tests.Fakes;
using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>
/// Two instances of the app (each on its own port, as behind a load balancer) share one Redis and one data directory:
/// a share link opened on B shows the cycle the owner started on A, live.
/// </summary>
public sealed class TwoInstancesBrowserTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private readonly AppFixture _a = new();
    private readonly AppFixture _b = new();

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        var dataDir = CoreHarness.NewDataDir();
        foreach (var instance in new[] { _a, _b })
        {
            instance.Settings["DATA_DIR"] = dataDir;
            instance.Settings["ConnectionStrings:Redis"] = _redis.ConnectionString;
            await instance.InitializeAsync();
        }
    }

    public async Task DisposeAsync()
    {
        _a.OpenRouter.Latency = TimeSpan.Zero;
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task AShareLinkServedByB_ShowsTheCycleRunningOnA_StepByStep()
    {
        _a.OpenRouter.Latency = TimeSpan.FromMilliseconds(300);
        var (owner, _) = await _a.NewPageAsync();
        await owner.GotoAsync(_a.BaseUrl);
        var run = owner.GetByTestId("run-cycle");
        await Assertions.Expect(run).ToBeEnabledAsync(new() { Timeout = 20_000 });
        await owner.GetByTestId("research-goal").FillAsync("Find ways to make lithium-ion batteries safer without losing energy density");
        await run.ClickAsync();
        await owner.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/r/[A-Za-z0-9_-]{22}$"), new() { Timeout = 30_000 });
        await owner.GetByTestId("share-create").ClickAsync();
        var link = owner.GetByTestId("share-link");
        await Assertions.Expect(link).ToBeVisibleAsync();
        var shareUrl = (await link.InputValueAsync()).Trim();

        var (reader, errors) = await _a.NewPageAsync();
        await reader.GotoAsync(_b.BaseUrl + new Uri(shareUrl).AbsolutePath);

        await Assertions.Expect(reader.GetByTestId("research-readonly")).ToBeVisibleAsync(new() { Timeout = 20_000 });
        var status = reader.GetByTestId("cycle-status");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "running");
        await Assertions.Expect(status).ToContainTextAsync("another server");
        var steps = reader.Locator("[data-testid=cycle-step][data-step-state=Done]");
        await Assertions.Expect(steps.First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(reader.GetByTestId("hypothesis-card").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        Assert.Equal("running", await status.GetAttributeAsync("data-state"));
        _a.OpenRouter.Latency = TimeSpan.FromMilliseconds(20);
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
        Assert.Equal(await owner.GetByTestId("hypothesis-card").CountAsync(), await reader.GetByTestId("hypothesis-card").CountAsync());
        Assert.Empty(errors);
    }
}
