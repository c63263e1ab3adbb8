using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>The owner adds a hypothesis, votes, pins, rejects and steers; the next cycle takes it all in.</summary>
[Collection(SecondBrowserCollection.Name)]
public sealed class ScientistInTheLoopBrowserTests(AppFixture app)
{
    private const string Directive = "Focus on low-cost experiments";
    private const string MyTitle = "Efflux pumps buy time for resistance mutations";

    [Fact]
    public async Task TheScientistsHypothesisVotePinRejectionAndDirective_ShapeTheNextCycle()
    {
        var (page, errors) = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl);
        var run = page.GetByTestId("run-cycle");
        await Assertions.Expect(run).ToBeEnabledAsync(new() { Timeout = 20_000 });
        await page.GetByTestId("research-goal").FillAsync("Explain how bacteria become tolerant to antibiotics before resistance appears");
        await run.ClickAsync();
        var status = page.GetByTestId("cycle-status");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });

        // Pin the leader, reject the runner-up.
        var cards = page.GetByTestId("hypothesis-card");
        var pinnedId = await cards.Nth(0).GetAttributeAsync("data-hypothesis-id");
        var rejectedId = await cards.Nth(1).GetAttributeAsync("data-hypothesis-id");
        await Card(page, pinnedId!).GetByTestId("pin-hypothesis").ClickAsync();
        await Assertions.Expect(Card(page, pinnedId!).GetByTestId("pinned-badge")).ToBeVisibleAsync();
        await Card(page, rejectedId!).GetByTestId("reject-hypothesis").ClickAsync();
        await Assertions.Expect(Card(page, rejectedId!)).ToHaveAttributeAsync("data-rejected", "true");

        // Vote once, give a directive, add a hypothesis.
        await page.GetByRole(AriaRole.Tab, new() { Name = "In the loop" }).ClickAsync();
        await page.GetByTestId("vote-a").ClickAsync();
        await Assertions.Expect(page.GetByTestId("vote-agreement")).ToContainTextAsync("1 vote");
        await page.GetByTestId("directive-input").FillAsync(Directive);
        await page.GetByTestId("directive-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("pending-directive")).ToContainTextAsync(Directive);
        await page.GetByTestId("add-hypothesis-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("add-hypothesis-error").First).ToContainTextAsync("The title is required.");
        await page.GetByTestId("new-title").FillAsync(MyTitle);
        await page.GetByTestId("new-statement").FillAsync("Efflux pump overexpression precedes target mutations in evolving resistance.");
        await page.GetByTestId("new-rationale").FillAsync("Pumps upregulate quickly and broaden tolerance.");
        await page.GetByTestId("new-prediction").FillAsync("Blocking efflux early slows the appearance of resistant mutants.");
        await page.GetByTestId("add-hypothesis-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("add-hypothesis-done")).ToBeVisibleAsync();

        await run.ClickAsync();
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "running", new() { Timeout = 20_000 });
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });

        await Assertions.Expect(page.GetByTestId("report-directive")).ToContainTextAsync(Directive);
        await Assertions.Expect(page.GetByTestId("cycle-directive")).ToContainTextAsync("Cycle 2: " + Directive);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Hypotheses" }).ClickAsync();
        var mine = cards.Filter(new() { Has = page.GetByTestId("scientist-origin") });
        await Assertions.Expect(mine).ToHaveCountAsync(1);
        await Assertions.Expect(mine.GetByTestId("hypothesis-title")).ToContainTextAsync(MyTitle);
        await Assertions.Expect(mine.GetByTestId("hypothesis-review")).ToBeVisibleAsync();
        await Assertions.Expect(mine).Not.ToContainTextAsync("(0–0)"); // it played in the tournament
        await Assertions.Expect(Card(page, rejectedId!)).ToHaveAttributeAsync("data-rejected", "true");
        await Assertions.Expect(Card(page, pinnedId!).GetByTestId("pinned-badge")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "Ranking" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("ranking-title").Filter(new() { HasText = MyTitle })).ToHaveCountAsync(1);
        Assert.Empty(errors);
    }

    private static ILocator Card(IPage page, string id) => page.Locator($"[data-testid=hypothesis-card][data-hypothesis-id={id}]");
}
