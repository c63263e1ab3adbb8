using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>The app with literature search on, its sources (arXiv, Europe PMC, Crossref) answered by <see cref="FakeLiteratureServer"/>.</summary>
public sealed class LiteratureAppFixture : AppFixture
{
    public FakeLiteratureServer Literature { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Literature = await FakeLiteratureServer.StartAsync(TimeProvider.System);
        Settings["literature:enabled"] = "true";
        Settings["literature:arxiv_base_url"] = Literature.BaseUrl + "/arxiv";
        Settings["literature:europepmc_base_url"] = Literature.BaseUrl + "/europepmc";
        Settings["literature:crossref_base_url"] = Literature.BaseUrl + "/crossref";
        Settings["num_hypotheses"] = "3";
        await base.InitializeAsync();
    }

    // The sources' pacing and retry pauses are skipped instead of waited out; what the page shows is the same.
    protected override void ConfigureServices(IServiceCollection services) =>
        services.UseLiteratureClock(new SkippingClock(below: TimeSpan.FromSeconds(6)));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Literature is not null) await Literature.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class LiteratureBrowserCollection : ICollectionFixture<LiteratureAppFixture>
{
    public const string Name = "literature browser";
}

[Collection(LiteratureBrowserCollection.Name)]
public sealed class LiteratureBrowserTests(LiteratureAppFixture app)
{
    // The fake Crossref's record of this DOI (TestData/crossref-work-2026-06.json): a reference naming it is verified.
    private const string KnownTitle = "Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of Microglia in the Basal Ganglia of Mice";
    private const string KnownDoi = "10.1371/journal.pone.0033693";

    private async Task<(IPage Page, List<string> Errors)> RunCycleAsync(string goal)
    {
        var (page, errors) = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl);
        await Assertions.Expect(page.GetByTestId("run-cycle")).ToBeEnabledAsync(new() { Timeout = 20_000 });
        await page.GetByTestId("research-goal").FillAsync(goal);
        await page.GetByTestId("run-cycle").ClickAsync();
        // Reference checks run in the background and the cycle waits for them at its end: only then is every card final.
        await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
        return (page, errors);
    }

    [Fact]
    public async Task ACycleGroundedInTheLiterature_ShowsItsPapersAndLinksAVerifiedReferenceToItsRecord()
    {
        app.Literature.Fault = LiteratureFault.None;
        app.OpenRouter.References = [new FakeReference(KnownTitle, KnownDoi)];
        try
        {
            var (page, errors) = await RunCycleAsync("Raise the energy yield of solar photovoltaic modules on building facades");

            var step = page.GetByTestId("literature-step-detail");
            await Assertions.Expect(step).ToContainTextAsync("new papers kept");
            Assert.Equal(0, await step.Locator("[data-failed=true]").CountAsync());

            var verified = page.GetByTestId("reference-verified").First;
            await Assertions.Expect(verified).ToContainTextAsync("Basal Ganglia of Mice");
            await Assertions.Expect(verified.Locator("a")).ToHaveAttributeAsync("href", "https://doi.org/" + KnownDoi);
            Assert.Equal(0, await page.GetByTestId("reference-unverified").CountAsync());
            Assert.Equal(0, await page.Locator("[data-testid=hypothesis-card] a[href^='https://example.org']").CountAsync()); // the model's links
            Assert.True(await page.GetByTestId("paper-citation").CountAsync() > 0, "hypotheses cite the retrieved papers by number");

            await page.GetByRole(AriaRole.Tab, new() { Name = "Literature" }).ClickAsync();
            var papers = page.GetByTestId("papers").GetByTestId("paper");
            await Assertions.Expect(papers.First).ToBeVisibleAsync();
            Assert.InRange(await papers.CountAsync(), 3, 8); // arXiv's three facade papers, and the best of Europe PMC's
            await Assertions.Expect(page.GetByTestId("papers")).ToContainTextAsync("Solar Photovoltaic Suitability");
            await Assertions.Expect(papers.First.GetByTestId("paper-link")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("^https://"));
            Assert.True(await page.GetByTestId("citing-hypothesis").CountAsync() > 0, "each paper says which hypotheses cite it");
            await Screenshots.TakeAsync(page, "literature");

            // One search of each source; the reference check was one Crossref lookup by DOI, and arXiv was not asked again.
            Assert.Equal(1, app.Literature.Requests.Count(r => r.Service == "arxiv"));
            Assert.Empty(errors);
        }
        finally
        {
            app.OpenRouter.References = null;
        }
    }

    [Fact]
    public async Task WhenTheLiteratureIsUnavailable_TheCycleStillCompletes_AndThePageSaysSo()
    {
        app.Literature.Fault = LiteratureFault.Unavailable;
        app.OpenRouter.References = []; // nothing to check: only the search meets the outage
        try
        {
            var (page, errors) = await RunCycleAsync("Find coatings that keep facade-mounted solar photovoltaic modules cool in summer");

            var step = page.GetByTestId("literature-step-detail");
            await Assertions.Expect(step).ToContainTextAsync("Literature was unavailable this cycle");
            Assert.Equal(2, await step.Locator("[data-failed=true]").CountAsync());
            await Assertions.Expect(step.Locator("[data-source=ArXiv]")).ToContainTextAsync("arXiv: unavailable");
            Assert.True(await page.GetByTestId("hypothesis-card").CountAsync() > 0, "the cycle went on without papers");

            await page.GetByRole(AriaRole.Tab, new() { Name = "Literature" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("no-papers")).ToContainTextAsync("found no papers");
            Assert.Empty(errors);
        }
        finally
        {
            app.Literature.Fault = LiteratureFault.None;
            app.OpenRouter.References = null;
        }
    }
}
