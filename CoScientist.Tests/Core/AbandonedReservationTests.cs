using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CoScientist.Tests.Core;

/// <summary>A reservation whose process died mid-call is closed once no call could still be running, and keeps counting.</summary>
public sealed class AbandonedReservationTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2027, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync(seed: 2);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task AReservationLeftOpenByAKilledProcess_IsClosedAtItsWorstCase_OnceItsWindowHasPassed_AndNotBefore()
    {
        var dataDir = CoreHarness.NewDataDir();
        var settings = new Dictionary<string, string?> { ["DATA_DIR"] = dataDir, ["openrouter_timeout_seconds"] = "30" };
        await using (var dead = CoreHarness.Create(_server, settings))
            dead.GetRequiredService<SpendLedger>().Reserve(new CallReservation(_clock.GetUtcNow(), "s", "c", "google/gemini-2.5-flash", "Ranking", KeyKind.Operator, 0.04m));

        await using var restarted = CoreHarness.Create(_server, settings, more: s => s.AddSingleton<TimeProvider>(_clock));
        var ledger = restarted.GetRequiredService<SpendLedger>();
        var sweep = restarted.GetRequiredService<AbandonedReservationSweep>();
        Assert.Equal(TimeSpan.FromSeconds(100), sweep.Window); // a minute's wait for room, 30 s of call, 10 s margin

        _clock.Advance(TimeSpan.FromSeconds(99)); // the call could still be running somewhere
        Assert.Equal(0, sweep.Sweep());
        Assert.Equal(1, ledger.OpenReservations());

        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, sweep.Sweep());
        Assert.Equal(0, ledger.OpenReservations());
        Assert.Equal(0.04m, ledger.OperatorSpendSince(DateTimeOffset.MinValue), 6);
        Assert.Contains(ledger.Errors(DateTimeOffset.MinValue), e => e.Error == "Interrupted" && e.Count == 1);
    }
}
