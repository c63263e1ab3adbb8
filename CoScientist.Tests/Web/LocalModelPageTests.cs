using Bunit;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Components.Pages.Research;

namespace CoScientist.Tests.Web;

/// <summary>What the research page tells a person about a local server's models: not metered, and not under the cap.</summary>
public sealed class LocalModelPageTests : MudTestContext
{
    private FakeLocalServer _server = null!;

    public override async Task InitializeAsync() => _server = await FakeLocalServer.StartAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IRenderedComponent<ResearchPage> RenderPage(string environment, bool listed = false, bool allowUnpriced = false, string? key = "local")
    {
        var settings = new Dictionary<string, string?>
        {
            ["openrouter_base_url"] = _server.BaseUrl,
            ["OPENROUTER_API_KEY"] = key, // a local server ignores it
            ["DEPLOYMENT_ENV"] = environment,
            ["cost_control:allow_unpriced_models"] = allowUnpriced ? "true" : "false",
        };
        if (listed)
            settings["cost_control:allowed_models_production:0"] = FakeLocalServer.Model;
        AddAppServices(settings);
        return Render<ResearchPage>();
    }

    [Fact]
    public void InDevelopment_ALocalModelIsPreselected_AsLocalNotMetered_AndItsCycleCostsNothing()
    {
        var cut = RenderPage("development");

        cut.WaitForAssertion(() => Assert.Contains($"{FakeLocalServer.Model} · local, not metered", cut.Find("[data-testid=model-select]").TextContent));
        cut.WaitForAssertion(() => Assert.Contains("$0 — local, not metered", cut.Find("[data-testid=cost-estimate]").TextContent));
        Assert.DoesNotContain("about $", cut.Find("[data-testid=cost-estimate]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=unmetered-notice]")); // no cap to warn about in development
    }

    [Fact]
    public void InProduction_AListedLocalModelWithoutTheFlag_IsNotOffered_AndThePageSaysWhy()
    {
        var cut = RenderPage("production", listed: true, allowUnpriced: false);

        cut.WaitForAssertion(() => Assert.Contains("cannot protect what it cannot price", cut.Find("[data-testid=local-models-notice]").TextContent));
        Assert.Contains(FakeLocalServer.Model, cut.Find("[data-testid=local-models-notice]").TextContent);
        Assert.DoesNotContain("local, not metered ·", cut.Find("[data-testid=model-select]").TextContent);
        Assert.DoesNotContain(FakeLocalServer.Model, cut.Find("[data-testid=model-select]").TextContent);
    }

    [Fact]
    public void InProduction_AListedLocalModelWithTheFlag_IsOffered_WithANoticeThatTheCapDoesNotProtectIt()
    {
        var cut = RenderPage("production", listed: true, allowUnpriced: true);

        cut.WaitForAssertion(() => Assert.Contains(FakeLocalServer.Model, cut.Find("[data-testid=model-select]").TextContent));
        cut.WaitForAssertion(() => Assert.Contains("does not protect this model", cut.Find("[data-testid=unmetered-notice]").TextContent));
        Assert.Contains("does not protect this model", cut.Find("[data-testid=local-models-notice]").TextContent);
        Assert.Contains("$0 — local, not metered", cut.Find("[data-testid=cost-estimate]").TextContent);
    }

    [Fact]
    public void WithoutAKey_ALocalServersPage_CanRun_AndOffersNoOpenRouterKeyPanel()
    {
        var cut = RenderPage("development", key: null);

        cut.WaitForAssertion(() => Assert.Contains(FakeLocalServer.Model, cut.Find("[data-testid=model-select]").TextContent));
        cut.Find("[data-testid=research-goal]").Input("Find ways to make lithium-ion batteries safer");
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=run-cycle]").HasAttribute("disabled")));
        Assert.Empty(cut.FindAll("[data-testid=key-missing]"));
        Assert.Empty(cut.FindAll("[data-testid=byok-key]"));
    }
}
