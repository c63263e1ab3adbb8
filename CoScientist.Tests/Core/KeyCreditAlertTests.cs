using CoScientist.Core.Alerts;
using CoScientist.Core.Cost;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Core;

/// <summary>The operator key's own credit (OpenRouter's GET /key): read on the caps' timer, alerted once per fall below the threshold.</summary>
public sealed class KeyCreditAlertTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private readonly CapturingLoggerProvider _logs = new();

    public async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync(seed: 15);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ServiceProvider Process(string? keyLowUsd = "5", string? key = FakeOpenRouterServer.ValidKey, string? managementKey = null) => CoreHarness.Create(_server,
        new Dictionary<string, string?>
        {
            ["OPENROUTER_API_KEY"] = key,
            ["OPENROUTER_MANAGEMENT_KEY"] = managementKey,
            ["alerts:key_low_usd"] = keyLowUsd,
            ["cost_control:daily_spending_limit_usd"] = "20",
        }, _logs);

    private List<string> Sent() => _logs.Lines.Where(l => l.Contains("Operator alert:")).ToList();

    [Fact]
    public async Task CreditFallingBelowTheThreshold_AlertsOnce_AndAgainOnlyAfterATopUpAndANewFall()
    {
        await using var app = Process(keyLowUsd: "5");
        var reconciler = app.GetRequiredService<ProviderUsageReconciler>();
        var watch = app.GetRequiredService<KeyCreditWatch>();
        _server.KeyLimit = 10m;

        _server.KeyUsage = 4m;   // $6 left
        await reconciler.RefreshAsync();
        _server.KeyUsage = 6.5m; // $3.50 left
        await reconciler.RefreshAsync();
        await reconciler.RefreshAsync();
        Assert.Single(Sent());
        Assert.Contains("running out of credit: $3.50 of its $10.00 limit remains (alert below $5.00)", Sent()[0]);
        Assert.Equal([KeyCreditWatch.AlertKey], app.GetRequiredService<SpendAlerts>().Active().Select(a => a.Key));

        _server.KeyLimit = 30m;  // topped up: $23.50 left
        await reconciler.RefreshAsync();
        Assert.Empty(app.GetRequiredService<SpendAlerts>().Active());
        _server.KeyUsage = 26m;  // $4 left
        await reconciler.RefreshAsync();

        Assert.Equal(2, Sent().Count);
        Assert.Contains("$4.00 of its $30.00 limit remains", Sent()[1]);
        Assert.Equal((30m, 4m), (watch.Status.Last!.Limit, watch.Status.Last.Remaining));
    }

    [Fact]
    public async Task AfterARestart_ACreditAlreadyReportedLow_IsNotReportedAgain()
    {
        var dataDir = CoreHarness.NewDataDir();
        _server.KeyUsage = 9m; // $1 left of $10
        foreach (var _ in new[] { 1, 2 })
        {
            await using var app = CoreHarness.Create(_server, new Dictionary<string, string?> { ["DATA_DIR"] = dataDir, ["alerts:key_low_usd"] = "5" }, _logs);
            await app.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();
        }

        Assert.Single(Sent());
    }

    [Theory]
    [InlineData(null, "12", true)] // unset: the daily cap ($20) is the threshold
    [InlineData("5", "12", false)]
    [InlineData("5", "none", false)] // a key without a limit has nothing to run out of
    public async Task WhetherTheKeyCountsAsLow_FollowsTheSettingOrTheDailyCap(string? keyLowUsd, string remaining, bool alerted)
    {
        await using var app = Process(keyLowUsd);
        _server.KeyLimit = remaining == "none" ? null : 10m + decimal.Parse(remaining, System.Globalization.CultureInfo.InvariantCulture);
        _server.KeyUsage = 10m;

        await app.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();

        Assert.Equal(alerted ? 1 : 0, Sent().Count);
        Assert.Equal(keyLowUsd is null ? 20m : 5m, app.GetRequiredService<KeyCreditWatch>().LowUsd);
    }

    [Fact]
    public async Task WithoutAnOperatorKey_OpenRouterIsNeverAskedAboutIt()
    {
        await using var app = Process(key: null);
        var reconciler = app.GetRequiredService<ProviderUsageReconciler>();

        await reconciler.StartAsync(CancellationToken.None);
        await reconciler.RefreshAsync();
        await reconciler.StopAsync(CancellationToken.None);

        Assert.Equal(0, _server.KeyRequests);
        var status = app.GetRequiredService<KeyCreditWatch>().Status;
        Assert.False(status.Polled);
        Assert.Null(status.Last);
    }

    [Fact]
    public async Task AFailedCheck_IsRemembered_AndTheLastGoodFigureKept()
    {
        await using var app = Process();
        var reconciler = app.GetRequiredService<ProviderUsageReconciler>();
        await reconciler.RefreshAsync();
        _server.KeyInfoUnavailable = true;

        await reconciler.RefreshAsync();

        var status = app.GetRequiredService<KeyCreditWatch>().Status;
        Assert.Equal("HTTP 503", status.Failure?.Reason);
        Assert.Equal(8.75m, status.Last?.Remaining);
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(FakeOpenRouterServer.ValidKey));
    }

    [Fact]
    public async Task WithAManagementKey_AnAccountRunningDry_AlertsEvenThoughTheKeyHasNoLimit_AndATopUpRearmsIt()
    {
        await using var app = Process(keyLowUsd: "5", managementKey: FakeOpenRouterServer.ManagementKey);
        var reconciler = app.GetRequiredService<ProviderUsageReconciler>();
        _server.KeyLimit = null;
        _server.AccountCredits = 20m;

        _server.AccountUsage = 14m; // $6 left
        await reconciler.RefreshAsync();
        Assert.Empty(Sent());
        _server.AccountUsage = 17m; // $3 left
        await reconciler.RefreshAsync();
        await reconciler.RefreshAsync();

        var alert = Assert.Single(Sent());
        Assert.Contains("The OpenRouter account behind the shared key is running out of credit: $3.00 of the $20.00 bought remains (alert below $5.00)", alert);
        _server.AccountCredits = 70m; // topped up: $53 left
        await reconciler.RefreshAsync();
        Assert.Empty(app.GetRequiredService<SpendAlerts>().Active());
        Assert.Equal(53m, app.GetRequiredService<KeyCreditWatch>().Status.Last!.Account!.Remaining);
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(FakeOpenRouterServer.ManagementKey));
    }

    [Fact]
    public async Task WhenTheKeysLimitHasMoreLeftThanTheAccount_TheAccountIsWhatTheAlertNames()
    {
        await using var app = Process(keyLowUsd: "5", managementKey: FakeOpenRouterServer.ManagementKey);
        _server.KeyLimit = 100m;
        _server.KeyUsage = 97m;       // $3 left on the key
        _server.AccountCredits = 10m;
        _server.AccountUsage = 8m;    // $2 left on the account: it runs out first

        await app.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();

        Assert.Contains("account behind the shared key is running out of credit: $2.00 of the $10.00 bought", Assert.Single(Sent()));
    }

    [Fact]
    public async Task WithoutAManagementKey_TheAccountsBalanceIsNeverAsked()
    {
        await using var app = Process(managementKey: null);

        await app.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();

        Assert.Equal(0, _server.CreditsRequests);
        Assert.False(app.GetRequiredService<KeyCreditWatch>().Status.WatchesAccount);
    }

    [Fact]
    public async Task AManagementKeyOpenRouterRefuses_IsAFailedBalanceRead_AndTheKeysOwnLimitStillAlerts()
    {
        await using var app = Process(keyLowUsd: "5", managementKey: "sk-or-v1-not-a-management-key");
        _server.KeyLimit = 10m;
        _server.KeyUsage = 8m; // $2 left on the key

        await app.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();

        var status = app.GetRequiredService<KeyCreditWatch>().Status;
        Assert.Equal("HTTP 401", status.AccountFailure?.Reason);
        Assert.Null(status.Last!.Account);
        Assert.Contains("shared OpenRouter key is running out of credit: $2.00 of its $10.00 limit", Assert.Single(Sent()));
    }
}
