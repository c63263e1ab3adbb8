using Bunit;
using CoScientist.Core;
using CoScientist.Core.Cost;
using CoScientist.Core.Embeddings;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Admin;
using CoScientist.Web.Components.Pages.Admin;
using CoScientist.Web.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MudBlazor;

namespace CoScientist.Tests.Web;

public class AdminAuthenticatorTests
{
    private static readonly ClientKey Client = new("ip", "browser");
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    private AdminAuthenticator Auth(string? token, bool production = true) => new(
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ADMIN_TOKEN"] = token }).Build(),
        new DeploymentEnvironment(production, "test"), _clock, NullLogger<AdminAuthenticator>.Instance);

    // Attempts start, and the clock moves, outside xunit's synchronisation context: there a
    // continuation may run inline, so a wrong attempt's answer is complete the moment the fake
    // clock passes its delay, and no real time passes.
    private static T OffContext<T>(Func<T> action)
    {
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try { return action(); }
        finally { SynchronizationContext.SetSynchronizationContext(context); }
    }

    private static Task<(bool Ok, string Message)> Attempt(AdminAuthenticator auth, string attempt, ClientKey? client = null, string scope = "admin") =>
        OffContext(() => auth.TryLoginAsync(attempt, client ?? Client, scope));

    private void Advance(TimeSpan by) => OffContext(() => { _clock.Advance(by); return 0; });

    /// <summary>How far the clock must move, in whole seconds, before a wrong attempt is answered.</summary>
    private TimeSpan WaitBeforeAnswer(AdminAuthenticator auth, string attempt = "wrong", ClientKey? client = null, string scope = "admin")
    {
        var answer = Attempt(auth, attempt, client, scope);
        var waited = TimeSpan.Zero;
        while (!answer.IsCompleted)
        {
            Assert.True(waited < TimeSpan.FromMinutes(5), "a wrong attempt was never answered");
            Advance(TimeSpan.FromSeconds(1));
            waited += TimeSpan.FromSeconds(1);
        }
        Assert.False(answer.GetAwaiter().GetResult().Ok); // complete: the loop ended
        return waited;
    }

    [Fact]
    public async Task TheRightToken_SignsIn_AndAWrongOneDoesNot()
    {
        var auth = Auth("correct horse battery staple");

        WaitBeforeAnswer(auth, "correct horse");
        WaitBeforeAnswer(auth, "");
        Assert.True((await Attempt(auth, "correct horse battery staple")).Ok);
    }

    [Fact]
    public async Task TheRightToken_AfterManyWrongOnesFromTheSameAddress_IsAcceptedAtOnce()
    {
        var auth = Auth("s3cret");
        for (var i = 0; i < 20; i++)
            WaitBeforeAnswer(auth, "guess" + i);
        var stillWaiting = Enumerable.Range(0, 5).Select(i => Attempt(auth, "parallel guess" + i)).ToList();

        var login = Attempt(auth, "s3cret");

        Assert.True(login.IsCompletedSuccessfully, "the right token is answered without waiting");
        var (ok, message) = await login;
        Assert.True(ok, message);
        Assert.All(stillWaiting, t => Assert.False(t.IsCompleted));
        Advance(AdminAuthenticator.MaxDelay);
        Assert.All(await Task.WhenAll(stillWaiting), answer => Assert.False(answer.Ok));
    }

    [Fact]
    public void WrongAttempts_WaitLongerEachTime_UpToACap_AndAreForgottenAfterAQuietWindow()
    {
        var auth = Auth("s3cret");

        var waits = Enumerable.Range(0, 8).Select(_ => (int)WaitBeforeAnswer(auth).TotalSeconds).ToList();
        var otherAddress = WaitBeforeAnswer(auth, client: new ClientKey("other-ip", "other"));
        Advance(AdminAuthenticator.Window);
        var afterQuiet = WaitBeforeAnswer(auth);

        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], waits);
        Assert.Equal(AdminAuthenticator.FirstDelay, otherAddress);
        Assert.Equal(AdminAuthenticator.FirstDelay, afterQuiet);
    }

    [Fact]
    public async Task FailedMetricsScrapes_DoNotSlowTheAdminDown()
    {
        var auth = Auth("s3cret");
        for (var i = 0; i < 10; i++)
            WaitBeforeAnswer(auth, scope: "metrics");

        Assert.Equal(AdminAuthenticator.FirstDelay, WaitBeforeAnswer(auth));
        var scrape = Attempt(auth, "s3cret", scope: "metrics");
        Assert.True(scrape.IsCompletedSuccessfully);
        Assert.True((await scrape).Ok);
    }

    [Fact]
    public void WithoutAToken_AdminIsDisabledInProductionAndOpenInDevelopment()
    {
        Assert.False(Auth(null, production: true).IsEnabled);
        Assert.True(Auth(null, production: false).IsEnabled);
        Assert.False(Auth(null, production: false).RequiresToken);
    }

    [Fact]
    public void TokensAreComparedWholly() // same length, different content; different lengths
    {
        Assert.False(AdminAuthenticator.Matches("aaaa", "aaab"));
        Assert.False(AdminAuthenticator.Matches("aaa", "aaaa"));
        Assert.True(AdminAuthenticator.Matches("token", "token"));
    }
}

public sealed class AdminPageTests : MudTestContext
{
    private FakeOpenRouterServer _server = null!;

    public override async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IRenderedComponent<AdminPage> RenderAdmin(string? token, bool production = true)
    {
        AddAdminServices(token, production);
        return Render<AdminPage>();
    }

    private void AddAdminServices(string? token, bool production, IDictionary<string, string?>? more = null)
    {
        AddAppServices(new Dictionary<string, string?>(more ?? new Dictionary<string, string?>())
        {
            ["openrouter_base_url"] = _server.BaseUrl,
            ["OPENROUTER_API_KEY"] = FakeOpenRouterServer.ValidKey,
            ["DEPLOYMENT_ENV"] = production ? "production" : null,
            ["ADMIN_TOKEN"] = token,
            ["cost_control:allowed_models_production:0"] = "meta-llama/llama-3.1-8b-instruct",
            ["cost_control:allowed_models_production:1"] = "google/gemini-2.0-flash-001",
        });
    }

    [Fact]
    public void InProductionWithoutAToken_AdminIsDisabled()
    {
        var cut = RenderAdmin(token: null);
        Assert.NotEmpty(cut.FindAll("[data-testid=admin-disabled]"));
        Assert.Empty(cut.FindAll("[data-testid=spend-today]"));
    }

    [Fact]
    public void SigningIn_ShowsSpendAgainstTheCapsAndWarnsAboutMissingModels()
    {
        var cut = RenderAdmin(token: "let-me-in");
        Assert.Empty(cut.FindAll("[data-testid=spend-today]"));

        cut.Find("[data-testid=admin-token]").Input("let-me-in");
        cut.Find("[data-testid=admin-login]").Click();

        cut.WaitForAssertion(() => Assert.Equal("0.000000", cut.Find("[data-testid=spend-today]").TextContent));
        Assert.Equal("0.000000", cut.Find("[data-testid=spend-month]").TextContent);
        Assert.Equal("not read", cut.Find("[data-testid=spend-provider-today]").TextContent);
        Assert.NotEmpty(cut.FindAll("[data-testid=spend-by-model]"));
        Assert.Contains(cut.FindAll("[data-testid=admin-warning]"), w => w.TextContent.Contains("google/gemini-2.0-flash-001"));
    }

    [Fact]
    public void TheKillSwitch_PausesOperatorCalls()
    {
        var cut = RenderAdmin(token: null, production: false);
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=kill-switch]")));

        cut.Find("[data-testid=kill-switch]").Click();

        cut.WaitForAssertion(() => Assert.True(Services.GetRequiredService<SpendGuard>().Paused));
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("[data-testid=kill-switch]").GetAttribute("data-paused")));
    }

    [Fact]
    public async Task TheOperatorSeesTheLedgersAndOpenRoutersCounts_AndWhichOneTheCapsUse()
    {
        AddAdminServices(token: null, production: false);
        var guard = Services.GetRequiredService<SpendGuard>();
        var call = await guard.ReserveAsync(new CallReservation(DateTimeOffset.UtcNow, "s", "c", "m", null, KeyKind.Operator, 0.2m), CancellationToken.None);
        await guard.SettleAsync(call, new LlmUsage("m", null, 1, 1, 0.1m, null, Succeeded: true), error: null);
        _server.ProviderUsageDaily = 0.4m;    // another app spent on the key today
        _server.ProviderUsageMonthly = 0.05m; // OpenRouter behind the ledger
        await Services.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.Equal("0.400000", cut.Find("[data-testid=spend-today]").TextContent));
        Assert.Equal("0.100000", cut.Find("[data-testid=spend-month]").TextContent);
        Assert.Equal("0.100000", cut.Find("[data-testid=spend-ledger-today]").TextContent);
        Assert.Equal("0.400000", cut.Find("[data-testid=spend-provider-today]").TextContent);
        Assert.Equal("0.100000", cut.Find("[data-testid=spend-ledger-month]").TextContent);
        Assert.Equal("0.050000", cut.Find("[data-testid=spend-provider-month]").TextContent);
        var source = cut.Find("[data-testid=spend-source]");
        Assert.Equal(("provider", "ledger"), (source.GetAttribute("data-today"), source.GetAttribute("data-month")));
        Assert.Contains("OpenRouter's count today, the ledger's count this month", source.TextContent);
        Assert.Contains("read at", cut.Find("[data-testid=spend-provider-read-at]").TextContent);
    }

    [Fact]
    public async Task TheOperatorSeesTheLiteratureLookups_SentAndFromTheCache()
    {
        await using var library = await FakeLiteratureServer.StartAsync(TimeProvider.System);
        AddAdminServices(token: null, production: false, new Dictionary<string, string?>
        {
            ["literature:enabled"] = "true",
            ["literature:arxiv_base_url"] = library.BaseUrl + "/arxiv",
        });
        var arxiv = Services.GetRequiredService<CoScientist.Core.Literature.ArxivClient>();
        await arxiv.SearchAsync("facade photovoltaics", 5);
        await arxiv.SearchAsync("facade photovoltaics", 5); // the same search again: the cache answers

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=literature-requests] tr[data-source=ArXiv]")));
        var cells = cut.Find("[data-testid=literature-requests] tr[data-source=ArXiv]").QuerySelectorAll("td").Select(c => c.TextContent).ToList();
        Assert.Equal(["arXiv", "2", "1", "1", "0", "0"], cells);
        Assert.Single(library.Requests);
    }

    [Fact]
    public void TheOperatorSeesTheJudgesPositionBias_AsTheShareOfVerdictsWonByTheHypothesisShownFirst()
    {
        AddAdminServices(token: null, production: false);
        var judge = Services.GetRequiredService<CoScientist.Core.Agents.Ranking.JudgePositionStats>();
        foreach (var shownFirstWon in new[] { true, true, true, false }) judge.Record(shownFirstWon);

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=judge-position-bias]")));
        var bias = cut.Find("[data-testid=judge-position-bias]");
        Assert.Equal("4", bias.GetAttribute("data-verdicts"));
        Assert.Contains("75% of 4 verdicts went to the hypothesis shown first", bias.TextContent);
        Assert.Contains("about 50% is unbiased", cut.Markup);
    }

    [Fact]
    public void BeforeAnyVerdict_TheJudgesPositionBiasSaysSo()
    {
        var cut = RenderAdmin(token: null, production: false);

        cut.WaitForAssertion(() => Assert.Contains("No verdicts yet", cut.Find("[data-testid=judge-position-bias]").TextContent));
    }

    [Fact]
    public async Task WhenOpenRoutersCountCannotBeRead_TheOperatorIsWarned()
    {
        AddAdminServices(token: null, production: false);
        _server.KeyInfoUnavailable = true;
        await Services.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("[data-testid=admin-warning]"),
            w => w.TextContent.Contains("could not be read") && w.TextContent.Contains("HTTP 503")));
        Assert.Equal("ledger", cut.Find("[data-testid=spend-source]").GetAttribute("data-today"));
    }
}
