using Microsoft.Extensions.AI;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CoScientist.Tests.Core;

/// <summary>The caps count OpenRouter's figure for the operator key when it is above the ledger's (an ephemeral disk, other apps on the key).</summary>
public sealed class ProviderUsageTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private readonly CapturingLoggerProvider _logs = new();

    public async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync(seed: 8);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>A server process on a fresh, empty data directory, as a Space without a bucket restarts.</summary>
    private ServiceProvider Process(TimeProvider? clock = null, decimal dailyCap = 1m, decimal monthlyCap = 10m) => CoreHarness.Create(_server,
        new Dictionary<string, string?>
        {
            ["cost_control:daily_spending_limit_usd"] = dailyCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["cost_control:monthly_spending_limit_usd"] = monthlyCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, _logs, s => { if (clock is not null) s.AddSingleton(clock); });

    private static CallReservation Call(decimal worstCase, DateTimeOffset? at = null) =>
        new(at ?? DateTimeOffset.UtcNow, "s", "c", "google/gemini-2.5-flash", null, KeyKind.Operator, worstCase);

    private static async Task SpendAsync(SpendGuard guard, decimal actual, TimeProvider? clock = null)
    {
        var reservation = await guard.ReserveAsync(Call(actual * 2, clock?.GetUtcNow()), CancellationToken.None);
        await guard.SettleAsync(reservation, new LlmUsage("google/gemini-2.5-flash", null, 10, 10, actual, "gen-1", Succeeded: true), error: null);
    }

    [Fact]
    public async Task AfterARestartOnAnEmptyDisk_OpenRoutersCountOfToday_StillHoldsTheDailyCap()
    {
        _server.ProviderUsageDaily = 0.999m; // spent before the restart; the new ledger knows nothing of it
        _server.ProviderUsageMonthly = 3m;
        await using var services = Process(dailyCap: 1m);
        var reconciler = services.GetRequiredService<ProviderUsageReconciler>();

        await reconciler.StartAsync(CancellationToken.None);
        var guard = services.GetRequiredService<SpendGuard>();
        var refused = await Assert.ThrowsAsync<LlmException>(() => services.GetRequiredService<IChatClient>().CompleteAsync(new LlmRequest
        {
            Model = "google/gemini-2.5-flash", SystemPrompt = "s", UserPrompt = "u",
        }, CancellationToken.None));
        await reconciler.StopAsync(CancellationToken.None);

        Assert.Equal(LimitKind.DailySpend, refused.Block?.Kind);
        Assert.Contains("$0.9990 spent", refused.Message);
        Assert.Empty(_server.Requests);
        Assert.Equal((0.999m, 3m), guard.Totals());
        Assert.Equal(0m, guard.Sources().LedgerToday);
        Assert.True(guard.Sources().ProviderInForceToday);
    }

    [Fact]
    public async Task CallsSettledAfterTheFigureWasRead_AddToIt_AndCallsBeforeItAreNotCountedTwice()
    {
        await using var services = Process();
        var guard = services.GetRequiredService<SpendGuard>();
        var reconciler = services.GetRequiredService<ProviderUsageReconciler>();
        await SpendAsync(guard, 0.10m);
        _server.ProviderUsageDaily = 0.40m; // includes the 0.10 above, and 0.30 another app spent on the key
        _server.ProviderUsageMonthly = 0.40m;

        await reconciler.RefreshAsync();
        await SpendAsync(guard, 0.05m);

        Assert.Equal((0.45m, 0.45m), guard.Totals());
        Assert.Equal(0.15m, guard.Sources().LedgerToday);
        Assert.Equal(0.45m, guard.Sources().ProviderToday);

        _server.ProviderUsageDaily = _server.ProviderUsageMonthly = 0.01m; // OpenRouter lagging behind the ledger
        await reconciler.RefreshAsync();

        Assert.Equal((0.15m, 0.15m), guard.Totals());
        Assert.False(guard.Sources().ProviderInForceToday);
    }

    [Fact]
    public async Task WhenOpenRouterCannotBeReached_TheLedgersFigureStaysInForce_AndTheLogSaysWhy()
    {
        _server.KeyInfoUnavailable = true;
        await using var services = Process();
        var guard = services.GetRequiredService<SpendGuard>();
        await SpendAsync(guard, 0.2m);

        await services.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();

        Assert.Equal(0.2m, guard.Totals().Today);
        Assert.Null(guard.Sources().ProviderToday);
        Assert.NotNull(services.GetRequiredService<ProviderUsageReconciler>().LastFailure);
        Assert.Contains(_logs.Lines, l => l.StartsWith("Warning") && l.Contains("Could not read the operator key's spend from OpenRouter (HTTP 503); the ledger's figure stays in force"));
        Assert.DoesNotContain(FakeOpenRouterServer.ValidKey, _logs.All);
    }

    [Fact]
    public async Task WhenOpenRouterStopsAnswering_ItsLastFigureStaysInForce()
    {
        await using var services = Process();
        var guard = services.GetRequiredService<SpendGuard>();
        var reconciler = services.GetRequiredService<ProviderUsageReconciler>();
        _server.ProviderUsageDaily = _server.ProviderUsageMonthly = 0.7m;
        await reconciler.RefreshAsync();

        _server.KeyInfoUnavailable = true;
        _server.ProviderUsageDaily = _server.ProviderUsageMonthly = 0m;
        await reconciler.RefreshAsync();

        Assert.Equal((0.7m, 0.7m), guard.Totals());
        Assert.Contains(_logs.Lines, l => l.StartsWith("Warning") && l.Contains("the figure read at"));
    }

    [Fact]
    public async Task YesterdaysFigure_IsNotAppliedAfterUtcMidnight_ButThisMonthsStillIs()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 23, 50, 0, TimeSpan.Zero));
        await using var services = Process(clock);
        var guard = services.GetRequiredService<SpendGuard>();
        _server.ProviderUsageDaily = 0.9m;
        _server.ProviderUsageMonthly = 4m;
        await services.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();
        Assert.Equal((0.9m, 4m), guard.Totals());

        clock.Advance(TimeSpan.FromMinutes(15));

        Assert.Equal((0m, 4m), guard.Totals());
        await guard.ReserveAsync(Call(0.95m, clock.GetUtcNow()), CancellationToken.None); // today's cap is whole again
    }

    [Fact]
    public async Task LastMonthsFigure_IsNotAppliedInANewMonth()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 23, 50, 0, TimeSpan.Zero));
        await using var services = Process(clock);
        var guard = services.GetRequiredService<SpendGuard>();
        _server.ProviderUsageDaily = 0.9m;
        _server.ProviderUsageMonthly = 9.9m;
        await services.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();

        clock.Advance(TimeSpan.FromMinutes(15));

        Assert.Equal((0m, 0m), guard.Totals());
    }

    [Fact]
    public async Task TheFigureIsReadAgainEveryFewMinutes()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero));
        _server.ProviderUsageDaily = _server.ProviderUsageMonthly = 0.1m;
        await using var services = CoreHarness.Create(_server, new Dictionary<string, string?>
        {
            ["cost_control:provider_usage_refresh_minutes"] = "5",
        }, more: s => s.AddSingleton<TimeProvider>(clock));
        var guard = services.GetRequiredService<SpendGuard>();
        var reconciler = services.GetRequiredService<ProviderUsageReconciler>();
        await reconciler.StartAsync(CancellationToken.None);
        Assert.Equal(0.1m, guard.Totals().Today);

        _server.ProviderUsageDaily = 0.3m;
        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(0.1m, guard.Totals().Today);
        clock.Advance(TimeSpan.FromMinutes(1));

        await Wait.UntilAsync(() => guard.Totals().Today == 0.3m);
        await reconciler.StopAsync(CancellationToken.None);
    }
}
