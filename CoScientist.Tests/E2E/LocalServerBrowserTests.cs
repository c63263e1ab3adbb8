using CoScientist.Tests.Fakes;
using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>
/// The public app pointed at a local server whose model the operator allow-listed with allow_unpriced_models:
/// the fake OpenRouter is still running, so a stray request to it would show.
/// </summary>
public sealed class LocalServerAppFixture : AppFixture
{
    public FakeLocalServer Local { get; private set; } = null!;

    public LocalServerAppFixture()
    {
        Settings["DEPLOYMENT_ENV"] = "production";
        Settings["num_hypotheses"] = "3";
        Settings["cost_control:allowed_models_production:0"] = FakeLocalServer.Model;
        Settings["cost_control:allow_unpriced_models"] = "true";
    }

    protected override string EnvironmentName => "Production";

    public override async Task InitializeAsync()
    {
        Local = await FakeLocalServer.StartAsync(seed: 14);
        Settings["openrouter_base_url"] = Local.BaseUrl; // applied after the fixture's own, so it wins
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Local.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class LocalServerBrowserCollection : ICollectionFixture<LocalServerAppFixture>
{
    public const string Name = "local-server browser";
}

[Collection(LocalServerBrowserCollection.Name)]
public sealed class LocalServerBrowserTests(LocalServerAppFixture app)
{
    [Fact]
    public async Task AVisitor_RunsACycleOnTheOperatorsLocalModel_IsToldTheCapDoesNotProtectIt_AndNothingGoesToOpenRouter()
    {
        var (page, errors) = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl);
        var run = page.GetByTestId("run-cycle");
        await Assertions.Expect(run).ToBeEnabledAsync(new() { Timeout = 20_000 });

        await Assertions.Expect(page.GetByTestId("model-select")).ToContainTextAsync("local, not metered");
        await Assertions.Expect(page.GetByTestId("unmetered-notice")).ToContainTextAsync("does not protect this model");
        await Assertions.Expect(page.GetByTestId("cost-estimate")).ToContainTextAsync("$0 — local, not metered");
        Assert.Equal("", await Axe.SeriousViolationsAsync(page, "research page on a local model"));

        await page.GetByTestId("research-goal").FillAsync("Find ways to make lithium-ion batteries safer");
        await run.ClickAsync();

        await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
        Assert.Equal(6, await page.GetByTestId("hypothesis-card").CountAsync()); // 3 generated + 3 evolved
        Assert.NotEmpty(app.Local.Requests);
        Assert.Empty(app.OpenRouter.Requests);
        Assert.Equal((0, 0, 0), (app.OpenRouter.ModelsRequests, app.OpenRouter.KeyRequests, app.OpenRouter.GenerationLookups));
        Assert.Empty(errors);
    }
}
