using System.Text;
using Bunit;
using CoScientist.Core;
using CoScientist.Core.Embeddings;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Components.Pages.Research;
using CoScientist.Web.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MudBlazor;

namespace CoScientist.Tests.Web;

/// <summary>The research page in production mode, with its own-key panel, quotas and cost estimate.</summary>
public sealed class OwnKeyTests : MudTestContext
{
    private const string VisitorKey = "sk-or-v1-visitors-very-secret-key-0123456789";
    private FakeOpenRouterServer _server = null!;
    private readonly CapturingLoggerProvider _logs = new();
    private readonly string _dataDir = CoreHarness.NewDataDir();

    public override async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync();
        _server.AcceptedKeys.Add(VisitorKey);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IRenderedComponent<ResearchPage> RenderPage(params (string Key, string Value)[] extra)
    {
        var values = new Dictionary<string, string?>
        {
            ["openrouter_base_url"] = _server.BaseUrl,
            ["OPENROUTER_API_KEY"] = FakeOpenRouterServer.ValidKey,
            ["DEPLOYMENT_ENV"] = "production",
            ["DATA_DIR"] = _dataDir,
            ["num_hypotheses"] = "2",
            ["evolutions_per_cycle"] = "1",
            ["cost_control:allowed_models_production:0"] = "meta-llama/llama-3.1-8b-instruct",
            ["cost_control:allowed_models_production:1"] = "openai/gpt-3.5-turbo",
            ["cost_control:default_model"] = "google/gemini-2.0-flash-001",
        };
        foreach (var (k, v) in extra) values[k] = v;
        AddAppServices(values, _logs);
        var cut = Render<ResearchPage>();
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=run-cycle]").HasAttribute("disabled")));
        return cut;
    }

    [Fact]
    public void InProduction_ThePageSaysWhyModelsAreFilteredAndShowsTheLimitsAndAnEstimate()
    {
        var cut = RenderPage();

        Assert.Contains("filtered for cost control", cut.Find("[data-testid=deployment-notice]").TextContent);
        Assert.Contains("DEPLOYMENT_ENV", cut.Find("[data-testid=deployment-notice]").TextContent);
        Assert.Contains("0/5 cycles used", cut.Find("[data-testid=usage-info]").TextContent);
        Assert.Contains("up to 3 hypotheses per cycle", cut.Find("[data-testid=usage-info]").TextContent);
        Assert.Matches(@"about \$\d+\.\d{4} \(\d+ LLM calls\), at most \$\d+\.\d{4}", cut.Find("[data-testid=cost-estimate]").TextContent);
        Assert.NotEmpty(cut.FindAll("[data-testid=model-select]"));
    }

    [Fact]
    public void WithTheModelLocked_ThereIsNoPicker()
    {
        var cut = RenderPage(("cost_control:lock_model", "true"));

        Assert.Empty(cut.FindAll("[data-testid=model-select]"));
        Assert.Contains("meta-llama/llama-3.1-8b-instruct", cut.Find("[data-testid=model-locked]").TextContent); // the first allow-listed model still available
    }

    [Fact]
    public void AWrongKey_IsRefusedAndNotKept()
    {
        var cut = RenderPage();

        cut.Find("[data-testid=byok-key]").Input("sk-or-v1-wrong");
        cut.Find("[data-testid=byok-apply]").Click();

        cut.WaitForAssertion(() => Assert.Contains("does not accept this key", cut.Find("[data-testid=byok-message]").TextContent));
        Assert.DoesNotContain("sk-or-v1-wrong", cut.Markup);
    }

    [Fact]
    public async Task AVisitorsKey_IsUsedButNeverShownLoggedOrStored()
    {
        var cut = RenderPage();
        cut.Find("[data-testid=byok-key]").Input(VisitorKey);
        cut.Find("[data-testid=byok-apply]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Key accepted", cut.Find("[data-testid=byok-message]").TextContent));
        Assert.Contains("Your own key is in use", cut.Find("[data-testid=usage-info]").TextContent);

        cut.Find("[data-testid=research-goal]").Input("Find ways to make lithium-ion batteries safer");
        cut.Find("[data-testid=run-cycle]").Click();
        cut.WaitForAssertion(() => Assert.Equal("completed", cut.Find("[data-testid=cycle-status]").GetAttribute("data-state")), TimeSpan.FromSeconds(120)); // generous: the whole suite shares two cores

        Assert.All(_server.Requests.Where(r => r.Body.ContainsKey("messages")), r => Assert.Equal("Bearer " + VisitorKey, r.Headers["Authorization"]));
        Assert.DoesNotContain(VisitorKey, cut.Markup);
        // bUnit's own renderer traces event payloads; it is the test harness, not the app (the browser test checks the real host).
        Assert.DoesNotContain(_logs.Lines, line => line.Contains(VisitorKey) && !line.Contains(" Bunit."));
        Assert.NotEmpty(_logs.Lines);
        var ledger = Services.GetRequiredService<SpendLedger>();
        Assert.Contains(ledger.UsageByKeyKind(DateTimeOffset.UtcNow.AddDays(-1)), u => u.KeyKind == CoScientist.Core.Llm.KeyKind.Visitor);
        foreach (var file in Directory.GetFiles(_dataDir))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.Latin1);
            Assert.DoesNotContain(VisitorKey, await reader.ReadToEndAsync());
        }
    }
}
