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

    private ServiceProvider Process(string? keyLowUsd = "5", string? key = FakeOpenRouterServer.ValidKey) => CoreHarness.Create(_server,
        new Dictionary<string, string?>
        {
            ["OPENROUTER_API_KEY"] = key,
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
}
