using CoScientist.Tests.Fakes;
using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>Research outlives its tab and its server process: a restart or a kill -9 loses nothing that finished.</summary>
public sealed class DurableResearchBrowserTests : IAsyncLifetime
{
    private FakeOpenRouterServer _openRouter = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private readonly string _dataDir = CoreHarness.NewDataDir();

    public async Task InitializeAsync()
    {
        _openRouter = await FakeOpenRouterServer.StartAsync(seed: 17);
        _playwright = await Playwright.CreateAsync();
        _browser = await AppFixture.LaunchChromiumAsync(_playwright);
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _openRouter.DisposeAsync();
    }

    private Task<AppProcess> StartAppAsync() => AppProcess.StartAsync(new Dictionary<string, string>
    {
        ["DATA_DIR"] = _dataDir,
        ["OPENROUTER_BASE_URL"] = _openRouter.BaseUrl,
        ["OPENROUTER_API_KEY"] = FakeOpenRouterServer.ValidKey,
        ["num_hypotheses"] = "4",
        ["openrouter_initial_backoff_ms"] = "5",
    });

    private static async Task RunCycleAsync(IPage page, AppProcess app, string goal)
    {
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };
        await page.GotoAsync(app.BaseUrl);
        var run = page.GetByTestId("run-cycle");
        await Assertions.Expect(run).ToBeEnabledAsync(new() { Timeout = 30_000 });
        await page.GetByTestId("research-goal").FillAsync(goal);
        await run.ClickAsync();
        try
        {
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/r/[A-Za-z0-9_-]{22}$"), new() { Timeout = 30_000 });
        }
        catch (PlaywrightException e)
        {
            // Once in a full run the page stayed on its form, with no message, 30 s after the click: what the page and the
            // server said then is what tells a lost click from a slow start.
            var output = app.Output;
            throw new InvalidOperationException($"The cycle did not start within 30 s. Page errors: [{string.Join(" | ", errors)}]. " +
                                                $"The app's last output:\n{output[Math.Max(0, output.Length - 4000)..]}", e);
        }
    }

    [Fact]
    public async Task AfterAGracefulRestart_TheResearchLinkShowsTheSameHypotheses()
    {
        var context = await _browser.NewContextAsync();
        var page = await context.NewPageAsync();
        IReadOnlyList<string> titles;
        string path;
        await using (var app = await StartAppAsync())
        {
            await RunCycleAsync(page, app, "Explain why some bacteria develop antibiotic resistance faster");
            await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
            titles = await page.GetByTestId("hypothesis-title").AllTextContentsAsync();
            path = new Uri(page.Url).AbsolutePath;
            await app.StopAsync();
        }

        await using var restarted = await StartAppAsync();
        await page.GotoAsync(restarted.BaseUrl + path);

        await Assertions.Expect(page.GetByTestId("hypothesis-title")).ToHaveCountAsync(titles.Count, new() { Timeout = 30_000 });
        Assert.Equal(titles.OrderBy(t => t), (await page.GetByTestId("hypothesis-title").AllTextContentsAsync()).OrderBy(t => t));
        await Assertions.Expect(page.GetByTestId("my-research-item")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByTestId("run-cycle")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task AfterAKillMidCycle_WhatFinishedIsThere_AndTheCycleShowsAsInterrupted()
    {
        var context = await _browser.NewContextAsync();
        var page = await context.NewPageAsync();
        string path;
        await using (var app = await StartAppAsync())
        {
            _openRouter.Latency = TimeSpan.FromMilliseconds(400);
            await RunCycleAsync(page, app, "Find ways to make lithium-ion batteries safer");
            path = new Uri(page.Url).AbsolutePath;
            // Generation is done (so its hypotheses are saved: the page hears of a step's end only after its items
            // were saved), the cycle is still running: pull the plug.
            await Assertions.Expect(page.Locator("[data-testid=cycle-step][data-step=Generation][data-step-state=Done]"))
                .ToBeVisibleAsync(new() { Timeout = 60_000 });
            await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "running");
            await app.KillAsync();
        }
        _openRouter.Latency = TimeSpan.Zero;

        await using var restarted = await StartAppAsync();
        await page.GotoAsync(restarted.BaseUrl + path);

        await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "interrupted", new() { Timeout = 30_000 });
        Assert.True(await page.GetByTestId("hypothesis-card").CountAsync() > 0, "what finished before the kill is gone");
        // The owner can go on: the next cycle runs.
        await page.GetByTestId("run-cycle").ClickAsync();
        await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
    }
}
