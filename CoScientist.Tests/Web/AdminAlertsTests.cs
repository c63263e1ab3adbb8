using Bunit;
using CoScientist.Core.Alerts;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Components.Pages.Admin;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Web;

/// <summary>The admin page's alert banners and the shared key's remaining credit.</summary>
public sealed class AdminAlertsTests : MudTestContext
{
    private FakeOpenRouterServer _server = null!;

    public override async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync(seed: 16);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }

    private void AddServices(string? operatorKey = FakeOpenRouterServer.ValidKey, string? managementKey = null) => AddAppServices(new Dictionary<string, string?>
    {
        ["openrouter_base_url"] = _server.BaseUrl,
        ["OPENROUTER_API_KEY"] = operatorKey,
        ["OPENROUTER_MANAGEMENT_KEY"] = managementKey,
        ["cost_control:daily_spending_limit_usd"] = "2",
        ["cost_control:monthly_spending_limit_usd"] = "100",
        ["alerts:key_low_usd"] = "5",
    });

    private async Task SpendAsync(decimal actual)
    {
        var guard = Services.GetRequiredService<SpendGuard>();
        var call = await guard.ReserveAsync(new CallReservation(DateTimeOffset.UtcNow, "s", "c", "m", null, KeyKind.Operator, actual), CancellationToken.None);
        await guard.SettleAsync(call, new LlmUsage("m", null, 1, 1, actual, null, Succeeded: true), error: null);
    }

    [Fact]
    public async Task ACrossedThreshold_ShowsOneBannerSayingWhichCapWhichThresholdAndHowMuchIsSpent()
    {
        AddServices();
        await SpendAsync(1.70m); // 85% of the $2 daily cap: the 50% and 80% thresholds at once
        Services.GetRequiredService<SpendAlerts>().Check();

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=spend-alert]")));
        var banner = Assert.Single(cut.FindAll("[data-testid=spend-alert]"));
        Assert.Contains("The daily spending cap on the shared OpenRouter key is 80% used", banner.TextContent);
        Assert.Contains("$1.70 of $2.00 spent", banner.TextContent);
    }

    [Fact]
    public void BelowEveryThreshold_NoBannerIsShown()
    {
        AddServices();
        Services.GetRequiredService<SpendAlerts>().Check();

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=key-remaining]")));
        Assert.Empty(cut.FindAll("[data-testid=spend-alert]"));
    }

    [Fact]
    public async Task TheKeysRemainingCredit_IsShownWithItsLimitAndWhenItWasChecked_AndALowOneRaisesABanner()
    {
        AddServices();
        _server.KeyLimit = 10m;
        _server.KeyUsage = 7.5m;
        await Services.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.Equal("$2.50 of $10.00", cut.Find("[data-testid=key-remaining]").TextContent));
        Assert.StartsWith("Checked at ", cut.Find("[data-testid=key-checked]").TextContent);
        var banner = Assert.Single(cut.FindAll("[data-testid=spend-alert]"));
        Assert.Equal(KeyCreditWatch.AlertKey, banner.GetAttribute("data-alert"));
        Assert.Contains("$2.50 of its $10.00 limit remains", banner.TextContent);
        Assert.DoesNotContain(FakeOpenRouterServer.ValidKey, cut.Markup);
    }

    [Fact]
    public async Task AKeyWithoutALimit_SaysNoLimitIsSet()
    {
        AddServices();
        _server.KeyLimit = null;
        await Services.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.Equal("no limit set", cut.Find("[data-testid=key-remaining]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=spend-alert]"));
    }

    [Fact]
    public async Task WithAManagementKey_TheAccountsBalanceIsShown_AndWithoutOneThePageSaysHowToWatchIt()
    {
        AddServices(managementKey: FakeOpenRouterServer.ManagementKey);
        _server.AccountCredits = 100m;
        _server.AccountUsage = 25.75m;
        await Services.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.Equal("Account balance: $74.25 of $100.00 bought.", cut.Find("[data-testid=account-remaining]").TextContent));
        Assert.DoesNotContain(FakeOpenRouterServer.ManagementKey, cut.Markup);
    }

    [Fact]
    public async Task WithoutAManagementKey_AKeyWithoutALimit_IsSaidToHaveNothingWatchingTheAccount()
    {
        AddServices();
        _server.KeyLimit = null;
        await Services.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.Contains("set OPENROUTER_MANAGEMENT_KEY to watch it (this key has no limit of its own",
            cut.Find("[data-testid=account-remaining]").TextContent));
    }

    [Fact]
    public async Task AFailedKeyCheck_SaysWhenAndWhy()
    {
        AddServices();
        _server.KeyInfoUnavailable = true;
        await Services.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.Contains("failed (HTTP 503)", cut.Find("[data-testid=key-checked]").TextContent));
        Assert.Equal("not checked yet", cut.Find("[data-testid=key-remaining]").TextContent);
    }

    [Fact]
    public void WithoutAnOperatorKey_TheCreditIsNotChecked()
    {
        AddServices(operatorKey: null);

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.Equal("not checked: no operator key is set", cut.Find("[data-testid=key-remaining]").TextContent));
    }
}
