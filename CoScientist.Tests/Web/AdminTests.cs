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
using MudBlazor;

namespace CoScientist.Tests.Web;

public class AdminAuthenticatorTests
{
    private static readonly ClientKey Client = new("ip", "browser");

    private static AdminAuthenticator Auth(string? token, bool production, TimeProvider? clock = null) => new(
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ADMIN_TOKEN"] = token }).Build(),
        new DeploymentEnvironment(production, "test"), clock ?? TimeProvider.System, NullLogger<AdminAuthenticator>.Instance);

    [Fact]
    public async Task TheRightToken_SignsIn_AndAWrongOneDoesNot()
    {
        var auth = Auth("correct horse battery staple", production: true);

        Assert.False((await auth.TryLoginAsync("correct horse", Client)).Ok);
        Assert.False((await auth.TryLoginAsync("", Client)).Ok);
        Assert.True((await auth.TryLoginAsync("correct horse battery staple", Client)).Ok);
    }

    [Fact]
    public async Task FiveFailures_LockTheClientOutEvenWithTheRightToken()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var auth = Auth("s3cret", production: true, clock);
        for (var i = 0; i < AdminAuthenticator.MaxFailures; i++)
            await auth.TryLoginAsync("guess" + i, Client);

        var locked = await auth.TryLoginAsync("s3cret", Client);
        var otherClient = await auth.TryLoginAsync("s3cret", new ClientKey("other-ip", "other"));
        clock.Advance(AdminAuthenticator.Window);
        var later = await auth.TryLoginAsync("s3cret", Client);

        Assert.False(locked.Ok);
        Assert.Contains("Too many failed attempts", locked.Message);
        Assert.True(otherClient.Ok);
        Assert.True(later.Ok);
    }

    [Fact]
    public async Task FailedMetricsScrapes_DoNotLockTheAdminOut()
    {
        var auth = Auth("s3cret", production: true, new ManualClock(DateTimeOffset.UtcNow));
        for (var i = 0; i < AdminAuthenticator.MaxFailures; i++)
            await auth.TryLoginAsync("wrong", Client, scope: "metrics");

        Assert.True((await auth.TryLoginAsync("s3cret", Client)).Ok);
        Assert.False((await auth.TryLoginAsync("s3cret", Client, scope: "metrics")).Ok);
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

    private void AddAdminServices(string? token, bool production)
    {
        AddAppServices(new Dictionary<string, string?>
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
        guard.Settle(call, new LlmUsage("m", null, 1, 1, 0.1m, null, Succeeded: true), error: null);
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
