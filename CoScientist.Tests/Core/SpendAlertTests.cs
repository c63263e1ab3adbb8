using System.Globalization;
using CoScientist.Core.Alerts;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CoScientist.Tests.Core;

/// <summary>Alerts at 50%, 80% and 100% of the daily and monthly caps: each once per UTC day or month, across restarts and instances.</summary>
public sealed class SpendAlertTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private readonly CapturingLoggerProvider _logs = new();
    private readonly string _dataDir = CoreHarness.NewDataDir();

    public async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync(seed: 13);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>One server process on this test's data directory (a second one shares the ledger, as after a restart).</summary>
    private ServiceProvider Process(TimeProvider clock, decimal dailyCap = 1m, decimal monthlyCap = 10m) => CoreHarness.Create(_server,
        new Dictionary<string, string?>
        {
            ["DATA_DIR"] = _dataDir,
            ["cost_control:daily_spending_limit_usd"] = dailyCap.ToString(CultureInfo.InvariantCulture),
            ["cost_control:monthly_spending_limit_usd"] = monthlyCap.ToString(CultureInfo.InvariantCulture),
        }, _logs, s => s.AddSingleton(clock));

    private static async Task SpendAsync(IServiceProvider app, decimal actual, TimeProvider clock, decimal? worstCase = null)
    {
        var guard = app.GetRequiredService<SpendGuard>();
        var call = new CallReservation(clock.GetUtcNow(), "s", "c", "google/gemini-2.5-flash", null, KeyKind.Operator, worstCase ?? actual);
        var reservation = await guard.ReserveAsync(call, CancellationToken.None);
        await guard.SettleAsync(reservation, new LlmUsage("google/gemini-2.5-flash", null, 10, 10, actual, "gen", Succeeded: true), error: null);
    }

    private List<string> Sent() => _logs.Lines.Where(l => l.Contains("Operator alert:")).ToList();

    [Fact]
    public async Task SpendCrossingHalfThenEightyPercentOfTheDailyCap_RaisesEachAlertOnce_SayingWhichCapAndHowMuch()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
        await using var app = Process(clock);
        var alerts = app.GetRequiredService<SpendAlerts>();

        await SpendAsync(app, 0.40m, clock);
        alerts.Check();
        Assert.Empty(Sent());

        await SpendAsync(app, 0.15m, clock);
        alerts.Check();
        alerts.Check();
        await SpendAsync(app, 0.01m, clock);
        alerts.Check();
        Assert.Single(Sent());
        Assert.Contains("daily spending cap on the shared OpenRouter key is 50% used (2026-03-10 UTC): $0.55 of $1.00 spent", Sent()[0]);

        await SpendAsync(app, 0.30m, clock);
        alerts.Check();
        Assert.Equal(2, Sent().Count);
        Assert.Contains("daily spending cap on the shared OpenRouter key is 80% used (2026-03-10 UTC): $0.86 of $1.00 spent", Sent()[1]);
        Assert.Equal(["spend:daily:2026-03-10:80"], alerts.Active().Select(a => a.Key));
    }

    [Fact]
    public async Task ACallRefusedByTheDailyCap_RaisesTheHundredPercentAlert_AlthoughSpendStaysJustBelowIt()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
        await using var app = Process(clock);
        var alerts = app.GetRequiredService<SpendAlerts>();
        await SpendAsync(app, 0.90m, clock);
        alerts.Check();

        var refused = await Assert.ThrowsAsync<LlmException>(() => SpendAsync(app, 0.05m, clock, worstCase: 0.20m));
        alerts.Check();

        Assert.Equal(LimitKind.DailySpend, refused.Block?.Kind);
        Assert.Equal(2, Sent().Count);
        Assert.Contains("daily spending cap on the shared OpenRouter key refused a call (2026-03-10 UTC): $0.90 of $1.00 spent, and the calls in flight plus that one's worst case would pass the cap", Sent()[1]);
        Assert.Equal(["spend:daily:2026-03-10:100"], alerts.Active().Select(a => a.Key));
    }

    [Fact]
    public async Task CallsStillInFlight_DoNotCountAsSpent_SoNoAlertSaysMoneyIsGoneThatIsOnlyHeld()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
        await using var app = Process(clock);
        var alerts = app.GetRequiredService<SpendAlerts>();
        var guard = app.GetRequiredService<SpendGuard>();
        await SpendAsync(app, 0.20m, clock);
        var inFlight = new List<SpendReservation>();
        for (var i = 0; i < 6; i++) // $0.60 held at the calls' worst case: the caps count it, an alert must not
            inFlight.Add(await guard.ReserveAsync(new CallReservation(clock.GetUtcNow(), "s", "c", "google/gemini-2.5-flash", null, KeyKind.Operator, 0.10m), CancellationToken.None));

        alerts.Check();
        Assert.Empty(Sent());

        foreach (var reservation in inFlight) // they settle for less than they held
            await guard.SettleAsync(reservation, new LlmUsage("google/gemini-2.5-flash", null, 10, 10, 0.06m, "gen", Succeeded: true), error: null);
        alerts.Check();
        Assert.Single(Sent());
        Assert.Contains("is 50% used (2026-03-10 UTC): $0.56 of $1.00 spent", Sent()[0]);
    }

    [Fact]
    public async Task AfterARestart_AnAlertSentEarlierToday_IsNotSentAgain_ButTheNextThresholdIs()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
        await using (var before = Process(clock))
        {
            await SpendAsync(before, 0.60m, clock);
            before.GetRequiredService<SpendAlerts>().Check();
        }
        Assert.Single(Sent());

        await using var after = Process(clock);
        var alerts = after.GetRequiredService<SpendAlerts>();
        alerts.Check();
        Assert.Single(Sent());

        await SpendAsync(after, 0.25m, clock);
        alerts.Check();
        Assert.Equal(2, Sent().Count);
        Assert.Contains("80% used", Sent()[1]);
    }

    [Fact]
    public async Task TwoInstancesOnOneLedger_SendEachAlertOnce()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
        await using var first = Process(clock);
        await SpendAsync(first, 0.60m, clock);
        await using var second = Process(clock); // reads the 0.60 from the ledger, as another instance would
        var both = new[] { first, second }.Select(app => app.GetRequiredService<SpendAlerts>()).ToList();
        Assert.Equal(0.60m, second.GetRequiredService<SpendGuard>().Totals().Today);

        using var start = new Barrier(2);
        await Task.WhenAll(both.Select(alerts => Task.Run(() => { start.SignalAndWait(); alerts.Check(); })));

        Assert.Single(Sent());
        Assert.All(both, alerts => Assert.Equal(["spend:daily:2026-03-10:50"], alerts.Active().Select(a => a.Key)));
    }

    [Fact]
    public async Task ANewUtcDay_RaisesTheDailyAlertsAgain_AndANewMonthTheMonthlyOnes()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 30, 23, 0, 0, TimeSpan.Zero));
        await using var app = Process(clock, dailyCap: 1m, monthlyCap: 1.2m);
        var alerts = app.GetRequiredService<SpendAlerts>();

        await SpendAsync(app, 0.60m, clock); // 60% of today's cap, 50% of March's
        alerts.Check();
        clock.Advance(TimeSpan.FromHours(2)); // 31 March
        await SpendAsync(app, 0.50m, clock); // 50% of today's cap, 92% of March's
        alerts.Check();
        clock.Advance(TimeSpan.FromDays(1)); // 1 April
        await SpendAsync(app, 0.60m, clock);
        alerts.Check();

        var sent = Sent().Select(l => l[(l.IndexOf("The ", StringComparison.Ordinal) + 4)..l.IndexOf(" UTC)", StringComparison.Ordinal)]).ToList();
        Assert.Equal(
        [
            "daily spending cap on the shared OpenRouter key is 50% used (2026-03-30",
            "monthly spending cap on the shared OpenRouter key is 50% used (2026-03",
            "daily spending cap on the shared OpenRouter key is 50% used (2026-03-31",
            "monthly spending cap on the shared OpenRouter key is 80% used (2026-03",
            "daily spending cap on the shared OpenRouter key is 50% used (2026-04-01",
            "monthly spending cap on the shared OpenRouter key is 50% used (2026-04",
        ], sent);
        Assert.Equal(["spend:daily:2026-04-01:50", "spend:monthly:2026-04:50"], alerts.Active().Select(a => a.Key).Order());
    }

    [Fact]
    public async Task ASettledCall_IsCheckedInTheBackground_WithoutAnyoneAsking()
    {
        await using var app = Process(TimeProvider.System);
        var alerts = app.GetRequiredService<SpendAlerts>();
        await alerts.StartAsync(CancellationToken.None);
        await Wait.UntilAsync(() => alerts.Checks == 1); // the check at start is done: what follows is found only through the settlement's signal

        await SpendAsync(app, 0.85m, TimeProvider.System);

        await Wait.UntilAsync(() => Sent().Count == 1);
        Assert.Contains("80% used", Sent()[0]);
        await alerts.StopAsync(CancellationToken.None);
    }
}
