using Bunit;
using CoScientist.Core;
using CoScientist.Core.Embeddings;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Components.Pages.Research;
using CoScientist.Web.Session;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CoScientist.Tests.Web;

public sealed class ResearchPageTests : MudTestContext
{
    private FakeOpenRouterServer _server = null!;

    public override async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IRenderedComponent<ResearchPage> RenderPage(string? key = FakeOpenRouterServer.ValidKey, Action<IServiceCollection>? replace = null,
        string? id = null)
    {
        AddAppServices(new Dictionary<string, string?>
        {
            ["openrouter_base_url"] = _server.BaseUrl,
            ["OPENROUTER_API_KEY"] = key,
            ["num_hypotheses"] = "3",
            ["example_goals:0"] = "Explain antibiotic resistance",
        }, replace: replace);
        return Render<ResearchPage>(p => p.Add(c => c.Id, id));
    }

    [Fact]
    public void StartingResearchFromTheAddressOfResearchThatIsNotHere_LeavesTheNotFoundMessageBehind()
    {
        var cut = RenderPage(id: "no-such-research");
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=research-not-found]")));
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=run-cycle]").HasAttribute("disabled")));

        cut.Find("[data-testid=example-goals] .mud-chip").Click();
        cut.Find("[data-testid=run-cycle]").Click();

        cut.WaitForAssertion(() => Assert.Equal("completed", cut.Find("[data-testid=cycle-status]").GetAttribute("data-state")), TimeSpan.FromSeconds(120));
        var session = Services.GetRequiredService<ResearchSession>();
        Assert.EndsWith("/r/" + session.Research.Id, Services.GetRequiredService<NavigationManager>().Uri);
        Assert.Empty(cut.FindAll("[data-testid=research-not-found]"));
        // The research is in the owner's list, finished.
        cut.WaitForAssertion(() => Assert.Equal("1 cycle", cut.Find("[data-testid=my-research-cycles]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=my-research-running]"));
    }

    [Fact]
    public void TheRunButton_StartsWithoutARipple()
    {
        var cut = RenderPage();
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=run-cycle]").HasAttribute("disabled")));
        // Its six frames of drawing (10-19 ms each in Chromium) came at the moment every page of a burst was busiest.
        Assert.DoesNotContain("mud-ripple", cut.Find("[data-testid=run-cycle]").ClassList);
        // The class is how a ripple shows: the page's other buttons keep theirs.
        Assert.NotEmpty(cut.FindAll("button.mud-ripple"));
    }

    [Fact]
    public void StartingACycle_MovesThePageToItsResearchsAddress_WithoutOpeningItOrReadingTheListsAgain()
    {
        ObservedResearchStore observer = null!;
        var cut = RenderPage(replace: services =>
        {
            // The app's own store, seen through a proxy that reports every call.
            var app = services.Last(d => d.ServiceType == typeof(IResearchStore));
            services.AddSingleton(sp =>
            {
                (var store, observer) = ObservedResearchStore.Around((IResearchStore)app.ImplementationFactory!(sp));
                return store;
            });
        });
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=run-cycle]").HasAttribute("disabled")));
        cut.Find("[data-testid=example-goals] .mud-chip").Click();
        _server.Hold(); // the cycle stays in its first step: nothing it does later reads the lists meanwhile
        try
        {
            cut.Find("[data-testid=run-cycle]").Click();
            cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=cycle-step][data-step-state=Running]")));
            var session = Services.GetRequiredService<ResearchSession>();
            var address = Services.GetRequiredService<NavigationManager>().Uri;
            Assert.EndsWith("/r/" + session.Research.Id, address);
            // The start put its research in the owner's list; what it read until now is not counted.
            cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=my-research-item]")));
            observer.TakeCalls();

            // What the router does at the new address: the same page, given the research's id.
            cut.Render(p => p.Add(c => c.Id, session.Research.Id));

            // In a burst of starts, reading the lists again here held each page's first step back.
            Assert.Empty(observer.TakeCalls());
            Assert.Single(cut.FindAll("[data-testid=cycle-step][data-step-state=Running]"));
            Assert.Single(cut.FindAll("[data-testid=my-research-item]"));
        }
        finally
        {
            _server.Release();
        }
        cut.WaitForAssertion(() => Assert.Equal("completed", cut.Find("[data-testid=cycle-status]").GetAttribute("data-state")), TimeSpan.FromSeconds(120));
    }

    [Fact]
    public void RunningACycle_ShowsRankedHypothesesWithReviews_AndRedrawsOnlyWhatEachStepChanged()
    {
        var cut = RenderPage();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=example-goals] .mud-chip")));
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=run-cycle]").HasAttribute("disabled")));

        cut.Find("[data-testid=example-goals] .mud-chip").Click();
        var (pageRenders, itemRenders, listRenders) = (cut.RenderCount, ModelItemRenders(cut), cut.FindComponent<MyResearchList>().RenderCount);
        cut.Find("[data-testid=run-cycle]").Click();

        cut.WaitForAssertion(() => Assert.Equal("completed", cut.Find("[data-testid=cycle-status]").GetAttribute("data-state")), TimeSpan.FromSeconds(120)); // generous: the whole suite shares two cores
        // The page is drawn again at each step; the model list (hundreds of items from a real catalogue) only when it
        // is locked for the run and unlocked at its end, the list of research when the new one joins it (a few draws
        // with its tooltips; every step would be dozens).
        Assert.True(cut.RenderCount - pageRenders > 10, $"the page was drawn {cut.RenderCount - pageRenders} times");
        Assert.True(ModelItemRenders(cut) - itemRenders <= 2, $"a model in the list was drawn {ModelItemRenders(cut) - itemRenders} times");
        Assert.True(cut.FindComponent<MyResearchList>().RenderCount - listRenders <= 20, $"the list of research was drawn {cut.FindComponent<MyResearchList>().RenderCount - listRenders} times, the page {cut.RenderCount - pageRenders}");
        // Its entry in the list was read again when the cycle ended: no longer running, one cycle done.
        cut.WaitForAssertion(() => Assert.Equal("1 cycle", cut.Find("[data-testid=my-research-cycles]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=my-research-running]"));
        var cards = cut.FindAll("[data-testid=hypothesis-card]");
        Assert.Equal(6, cards.Count); // 3 generated + 3 evolved
        var elos = cards.Select(c => double.Parse(c.QuerySelector("[data-testid=hypothesis-elo]")!.TextContent)).ToList();
        Assert.Equal(elos.OrderByDescending(e => e), elos);
        Assert.Equal(6, cut.FindAll("[data-testid=hypothesis-review]").Count);
        cut.FindAll(".mud-tab").Single(t => t.TextContent.Contains("Meta-review")).Click();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=meta-review]")));
    }

    private static int ModelItemRenders(IRenderedComponent<ResearchPage> page) => page.FindComponents<MudSelectItem<string>>()[0].RenderCount;

    [Fact]
    public async Task APageThatCannotDrawForAWhile_DoesNotHoldUpTheCycleItShows()
    {
        var cut = RenderPage();
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=run-cycle]").HasAttribute("disabled")));
        cut.Find("[data-testid=example-goals] .mud-chip").Click();
        cut.Find("[data-testid=run-cycle]").Click();
        cut.WaitForAssertion(() => Assert.Equal("running", cut.Find("[data-testid=cycle-status]").GetAttribute("data-state")));
        var session = Services.GetRequiredService<ResearchSession>();
        Assert.True(session.IsRunning, "the page's own session");

        // The circuit is busy (a starved browser, a long render): nothing on it runs until it is free again.
        var (entered, free) = (new TaskCompletionSource(), new TaskCompletionSource());
        var busy = Task.Run(() => cut.InvokeAsync(() =>
        {
            entered.SetResult();
            free.Task.Wait();
        }));
        await entered.Task;
        try
        {
            await Wait.UntilAsync(() => !session.IsRunning, TimeSpan.FromSeconds(90));
            Assert.Equal(ResearchStatus.Completed, session.Status);
            Assert.Equal("running", cut.Find("[data-testid=cycle-status]").GetAttribute("data-state"));
        }
        finally
        {
            free.SetResult();
            await busy;
        }
        cut.WaitForAssertion(() => Assert.Equal("completed", cut.Find("[data-testid=cycle-status]").GetAttribute("data-state")));
        Assert.Equal(6, cut.FindAll("[data-testid=hypothesis-card]").Count);
    }

    [Fact]
    public void AnEmptyGoal_IsRefusedWithAClearMessage()
    {
        var cut = RenderPage();
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=run-cycle]").HasAttribute("disabled")));

        cut.Find("[data-testid=run-cycle]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Enter a research goal", cut.Find("[data-testid=form-error]").TextContent));
        Assert.Equal("idle", cut.Find("[data-testid=cycle-status]").GetAttribute("data-state"));
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public void WithoutAKey_ThePageSaysWhatIsNeededAndCannotRun()
    {
        var cut = RenderPage(key: null);

        cut.WaitForAssertion(() => Assert.Contains("OPENROUTER_API_KEY", cut.Find("[data-testid=key-missing]").TextContent));
        Assert.True(cut.Find("[data-testid=run-cycle]").HasAttribute("disabled"));
    }

    [Theory]
    [InlineData("development")]
    [InlineData("production")]
    public void TheModelTheReadmeNames_IsTheOnePreselected(string environment)
    {
        var root = CoScientist.Tests.E2E.PublishedAppFixture.RepositoryRoot();
        var settings = CoScientist.Core.Configuration.YamlConfigurationProvider.Parse(new StringReader(File.ReadAllText(Path.Combine(root, "config.yaml"))));
        settings["openrouter_base_url"] = _server.BaseUrl; // the recorded 2026 catalogue
        settings["OPENROUTER_API_KEY"] = FakeOpenRouterServer.ValidKey;
        settings["DEPLOYMENT_ENV"] = environment;
        AddAppServices(settings);

        var cut = Render<ResearchPage>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=model-select]")));
        Assert.Contains(environment, cut.Find("[data-testid=deployment-notice]").TextContent, StringComparison.OrdinalIgnoreCase);
        var chosen = cut.Find("[data-testid=model-select]").ParentElement!.QuerySelector("input[type=hidden]")!.GetAttribute("value");
        Assert.Equal(CoScientist.Tests.Core.CheckoutTests.ReadmeDefaultModel(), chosen);
    }

    [Fact]
    public void AnOperatorsOtherDefaultModel_IsPreselectedInDevelopmentToo()
    {
        AddAppServices(new Dictionary<string, string?>
        {
            ["openrouter_base_url"] = _server.BaseUrl,
            ["OPENROUTER_API_KEY"] = FakeOpenRouterServer.ValidKey,
            ["llm_model"] = "google/gemini-2.5-flash",
            ["cost_control:default_model"] = "openai/gpt-3.5-turbo",
        });

        var cut = Render<ResearchPage>();

        cut.WaitForAssertion(() => Assert.Contains("GPT-3.5 Turbo", cut.Find("[data-testid=model-select]").TextContent));
    }
}
