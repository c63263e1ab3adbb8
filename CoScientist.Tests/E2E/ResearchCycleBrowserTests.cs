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

    // Counts, from the page's start, every transitionend event that bubbles out of a closed panel's content: MudCollapse
    // listens for it on its container and sends each one to the server.
    private const string CountHiddenTransitions = """
        window.__hiddenTransitions = 0;
        document.addEventListener('transitionend', e => {
          const panel = e.target.closest?.('.mud-collapse-container');
          if (panel && panel !== e.target && panel.classList.contains('invisible')) window.__hiddenTransitions++;
        }, true);
        """;

    [Fact]
    public async Task StartingAndEndingACycle_DoesNotAnimateTheClosedAdvancedSettings_SoTheirPanelSendsTheServerNothing()
    {
        var (page, errors) = await app.NewPageAsync();
        await page.AddInitScriptAsync(CountHiddenTransitions);
        await page.GotoAsync(app.BaseUrl);
        var run = page.GetByTestId("run-cycle");
        await Assertions.Expect(run).ToBeEnabledAsync(new() { Timeout = 20_000 });
        await page.GetByTestId("research-goal").FillAsync("Find safer electrolytes for lithium-ion batteries");
        var settings = page.GetByTestId("vote-weight-setting");
        await Assertions.Expect(settings).ToBeHiddenAsync();

        // The run locks the settings, and its end unlocks them: each input changes colour. In a closed panel nobody sees
        // that, yet each change animated and its end went to the server (25 messages a start; a re-render of the panel
        // in between made each one a script error).
        await run.ClickAsync();
        await Assertions.Expect(settings).ToBeDisabledAsync();
        await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
        await Assertions.Expect(settings).ToBeEnabledAsync();
        // Every transition the unlocking started has ended, and so has sent its event.
        await page.WaitForFunctionAsync("() => !document.getAnimations().some(a => a instanceof CSSTransition)");
        Assert.Equal(0, await page.EvaluateAsync<int>("window.__hiddenTransitions"));

        // Opened, the panel still opens and its inputs still answer as before.
        await page.GetByText("Advanced settings").ClickAsync();
        await Assertions.Expect(settings).ToBeVisibleAsync();
        Assert.NotEqual("0s", await page.Locator(".mud-collapse-container .mud-input-outlined-border").First
            .EvaluateAsync<string>("e => getComputedStyle(e).transitionDuration"));
        Assert.Empty(errors);
    }
}
