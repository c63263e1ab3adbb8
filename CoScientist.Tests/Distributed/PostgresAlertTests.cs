using CoScientist.Core.Alerts;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CoScientist.Tests.Distributed;

/// <summary>The operator's alerts with the ledger in PostgreSQL: several instances, one alert each time.</summary>
public sealed class PostgresAlertTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private readonly CapturingLoggerProvider _logs = new();

    public async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync(seed: 17);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ServiceProvider Instance(string database, TimeProvider clock) => CoreHarness.Create(_server, new Dictionary<string, string?>
    {
        ["ConnectionStrings:Postgres"] = database,
        ["cost_control:daily_spending_limit_usd"] = "1",
        ["alerts:key_low_usd"] = "5",
    }, _logs, s => s.AddSingleton(clock));

    private List<string> Sent() => _logs.Lines.Where(l => l.Contains("Operator alert:")).ToList();

    [Fact]
    public async Task InstancesSharingAPostgresLedger_SendASpendAlertAndAKeyAlertOnce_AndAllShowThem()
    {
        var database = await PostgresStorage.NewDatabaseAsync();
        TimeProvider clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
        await using var first = Instance(database, clock);
        var guard = first.GetRequiredService<SpendGuard>();
        var call = await guard.ReserveAsync(new CallReservation(clock.GetUtcNow(), "s", "c", "m", null, KeyKind.Operator, 0.6m), default);
        await guard.SettleAsync(call, new LlmUsage("m", null, 1, 1, 0.6m, null, Succeeded: true), error: null);
        var instances = new List<ServiceProvider> { first, Instance(database, clock), Instance(database, clock) };
        _server.KeyUsage = 8m; // $2 left of $10
        using var start = new Barrier(instances.Count);

        await Task.WhenAll(instances.Select(app => Task.Run(async () =>
        {
            start.SignalAndWait();
            app.GetRequiredService<SpendAlerts>().Check();
            await app.GetRequiredService<ProviderUsageReconciler>().RefreshAsync();
        })));

        Assert.Equal(2, Sent().Count);
        Assert.Single(Sent(), l => l.Contains("daily spending cap on the shared OpenRouter key is 50% used (2026-03-10 UTC): $0.60 of $1.00"));
        Assert.Single(Sent(), l => l.Contains("running out of credit: $2.00"));
        Assert.All(instances, app => Assert.Equal([KeyCreditWatch.AlertKey, "spend:daily:2026-03-10:50"],
            app.GetRequiredService<SpendAlerts>().Active().Select(a => a.Key).Order()));
        foreach (var app in instances.Skip(1)) await app.DisposeAsync();
    }
}
