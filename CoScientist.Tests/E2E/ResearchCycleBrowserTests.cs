using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class ResearchCycleBrowserTests(AppFixture app)
{
    [Fact]
    public async Task AVisitor_RunsACycleOfSixAndSeesRankedHypotheses()
    {
        var (page, errors) = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl);
        var run = page.GetByTestId("run-cycle");
        await Assertions.Expect(run).ToBeEnabledAsync(new() { Timeout = 20_000 });

        await page.GetByTestId("research-goal").FillAsync("Identify drug repurposing candidates for acute myeloid leukemia");
        await run.ClickAsync();

        var status = page.GetByTestId("cycle-status");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "running");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
        var cards = page.GetByTestId("hypothesis-card");
        Assert.Equal(9, await cards.CountAsync()); // 6 generated + 3 evolved
        var elos = new List<double>();
        foreach (var elo in await page.GetByTestId("hypothesis-elo").AllTextContentsAsync())
            elos.Add(double.Parse(elo));
        Assert.Equal(elos.OrderByDescending(e => e), elos);
        Assert.NotEqual(1200, elos[0]);
        await Screenshots.TakeAsync(page, "finished");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Meta-review" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("meta-review")).ToBeVisibleAsync();
        Assert.Equal(6, await page.Locator("[data-testid=cycle-step][data-step-state=Done]").CountAsync());
        Assert.Empty(errors);
    }

    // Every CSS animation playing on the page: its name and timing.
    private const string PlayingAnimations = """
        document.getAnimations().filter(a => a instanceof CSSAnimation && a.playState === 'running')
          .map(a => a.animationName + ' ' + getComputedStyle(a.effect.target).animationTimingFunction)
        """;

    [Fact]
    public async Task WhileACycleRuns_NothingOnThePageMoves_AndTheRunningStepIsMarkedStill()
    {
        var (page, errors) = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl);
        var run = page.GetByTestId("run-cycle");
        await Assertions.Expect(run).ToBeEnabledAsync(new() { Timeout = 20_000 });
        await page.GetByTestId("research-goal").FillAsync("Find safer electrolytes for lithium-ion batteries");
        app.OpenRouter.Hold();
        try
        {
            await run.ClickAsync();
            var running = page.Locator("[data-testid=cycle-step][data-step-state=Running]");
            await Assertions.Expect(running).ToHaveCountAsync(1);

            // An endless animation (a spinner, a turning icon) kept every watching browser drawing frames all cycle long.
            Assert.Empty(await page.EvaluateAsync<string[]>(PlayingAnimations));
            await Assertions.Expect(running.Locator("svg title")).ToHaveTextAsync("Running");
        }
        finally
        {
            app.OpenRouter.Release();
        }
        await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
        Assert.Empty(await page.EvaluateAsync<string[]>(PlayingAnimations));
        Assert.Empty(errors);
    }
}
