using Microsoft.Extensions.AI;
using CoScientist.Core.Research;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Extensions;
using CoScientist.Web.Session;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Core;

public class SpendCapTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private readonly string _dataDir = CoreHarness.NewDataDir();

    private string? _postgres;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync(seed: 5);
        _postgres = await NewPostgresDatabaseAsync();
    }

    /// <summary>Null: the ledger is SQLite under DATA_DIR; otherwise the PostgreSQL database every "process" of a test shares.</summary>
    protected virtual Task<string?> NewPostgresDatabaseAsync() => Task.FromResult<string?>(null);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ServiceProvider Services(decimal dailyCap, int clients = 1000) => CoreHarness.Create(_server, new Dictionary<string, string?>
    {
        ["DATA_DIR"] = _dataDir,
        ["ConnectionStrings:Postgres"] = _postgres,
        ["cost_control:daily_spending_limit_usd"] = dailyCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["cost_control:max_cycles_per_client_per_hour"] = clients.ToString(),
        ["cost_control:max_concurrent_cycles"] = "500",
        ["num_hypotheses"] = "3",
    }, more: s => s.AddCoScientistSessions());

    private static ResearchForm Form(IServiceProvider services, string goal)
    {
        var form = ResearchForm.From(services.GetRequiredService<IOptions<ResearchOptions>>().Value);
        form.Goal = goal;
        return form;
    }

    private static async Task<List<ResearchSession>> RunSessionsAsync(IServiceProvider services, int count)
    {
        var sessions = Enumerable.Range(0, count)
            .Select(_ => services.CreateAsyncScope().ServiceProvider.GetRequiredService<ResearchSession>()).ToList();
        await Task.WhenAll(sessions.Select(s => s.StartCycleAsync(Form(services, "Explain antibiotic resistance"))));
        await Wait.UntilAsync(() => sessions.All(s => !s.IsRunning), TimeSpan.FromSeconds(120));
        return sessions;
    }

    [Fact]
    public async Task DailyCap_IsNeverExceeded_UnderConcurrentCycles()
    {
        const decimal cap = 0.05m;
        await using var services = Services(cap);

        var sessions = await RunSessionsAsync(services, 100);

        Assert.True(_server.TotalCharged <= cap, $"OpenRouter charged ${_server.TotalCharged} against a ${cap} cap");
        Assert.True(_server.TotalCharged > cap / 4, $"the cap was barely used (${_server.TotalCharged}): reservations are too pessimistic to be useful");
        Assert.Contains(sessions, s => s.Status == ResearchStatus.Blocked);
        Assert.All(sessions.Where(s => s.Status == ResearchStatus.Blocked), s => Assert.Contains("daily spending limit", s.LimitMessage));
        var (today, _) = services.GetRequiredService<SpendGuard>().Totals();
        Assert.Equal(_server.TotalCharged, today, 6);
    }

    [Fact]
    public async Task SpendSurvivesARestart_AndKeepsBlocking()
    {
        const decimal cap = 0.02m;
        await using (var first = Services(cap))
        {
            for (var i = 0; i < 10; i++)
                if ((await RunSessionsAsync(first, 1))[0].Status == ResearchStatus.Blocked)
                    break;
        }
        var chargedBefore = _server.TotalCharged;
        _server.ResetCounters();

        await using var second = Services(cap);
        var (today, month) = second.GetRequiredService<SpendGuard>().Totals();
        var sessions = await RunSessionsAsync(second, 1);

        Assert.Equal(chargedBefore, today, 6);
        Assert.Equal(chargedBefore, month, 6);
        Assert.Equal(ResearchStatus.Blocked, sessions[0].Status);
        Assert.Contains("daily spending limit", sessions[0].LimitMessage);
        Assert.True(chargedBefore + _server.TotalCharged <= cap, "the restart gave the cap a fresh start");
        var guard = second.GetRequiredService<SpendGuard>();
        var headroom = cap - guard.Totals().Today;
        var refused = await Assert.ThrowsAsync<LlmException>(() => guard.ReserveAsync(
            new CallReservation(DateTimeOffset.UtcNow, "s", "c", "m", null, KeyKind.Operator, headroom + 0.000001m), CancellationToken.None));
        Assert.Equal(LimitKind.DailySpend, refused.Block!.Kind);
    }

    [Fact]
    public async Task AReservationLeftOpenByACrash_CountsAtItsWorstCase()
    {
        await using (var first = Services(1m))
            first.GetRequiredService<SpendLedger>().Reserve(new CallReservation(DateTimeOffset.UtcNow, "s", "c", "google/gemini-2.5-flash", "Ranking", KeyKind.Operator, 0.2m));

        await using var restarted = Services(1m);

        Assert.Equal(0.2m, restarted.GetRequiredService<SpendGuard>().Totals().Today);
    }

    [Fact]
    public async Task AFailedCall_GivesItsReservationBack()
    {
        await using var services = Services(1m);
        _server.Enqueue(FaultKind.OutOfCredits);

        await Assert.ThrowsAsync<LlmException>(() => services.GetRequiredService<IChatClient>().CompleteAsync(new LlmRequest
        {
            Model = "google/gemini-2.5-flash", SystemPrompt = "s", UserPrompt = "u",
        }, CancellationToken.None));

        Assert.Equal(0m, services.GetRequiredService<SpendGuard>().Totals().Today);
    }

    [Fact]
    public async Task TheKillSwitch_StopsOperatorCallsBeforeTheyLeaveTheServer()
    {
        await using var services = Services(1m);
        services.GetRequiredService<SpendGuard>().SetPaused(true);

        var ex = await Assert.ThrowsAsync<LlmException>(() => services.GetRequiredService<IChatClient>().CompleteAsync(new LlmRequest
        {
            Model = "google/gemini-2.5-flash", SystemPrompt = "s", UserPrompt = "u",
        }, CancellationToken.None));

        Assert.Equal(LlmErrorKind.LimitReached, ex.Kind);
        Assert.Contains("paused", ex.Message);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task AVisitorsOwnKey_IsNotCountedAgainstTheOperatorsCaps()
    {
        const string visitorKey = "sk-or-v1-visitor-own-key";
        _server.AcceptedKeys.Add(visitorKey);
        await using var services = Services(0.000001m);

        var response = await services.GetRequiredService<IChatClient>().CompleteAsync(new LlmRequest
        {
            Model = "google/gemini-2.5-flash", SystemPrompt = "s", UserPrompt = "u",
            Context = new LlmCallContext { KeyKind = KeyKind.Visitor, VisitorApiKey = visitorKey },
        }, CancellationToken.None);

        Assert.True(response.Usage.CostUsd > 0);
        Assert.Equal(0m, services.GetRequiredService<SpendGuard>().Totals().Today);
        Assert.Equal("Bearer " + visitorKey, Assert.Single(_server.Requests).Headers["Authorization"]);
        Assert.Contains(services.GetRequiredService<SpendLedger>().UsageByKeyKind(DateTimeOffset.UtcNow.AddDays(-1)), u => u.KeyKind == KeyKind.Visitor && u.Calls == 1);
    }

    /// <summary>
    /// Own-key calls write the ledger in turn with everyone else's, waiting as tasks: a burst of them no longer holds the
    /// server's threads in the database's lock while pages wait to be drawn.
    /// </summary>
    [Fact]
    public async Task OwnKeyCalls_WaitTheirTurnToWriteTheLedger_AsSharedKeyCallsDo()
    {
        await using var services = Services(1m);
        var ledger = services.GetRequiredService<SpendLedger>();
        var guard = services.GetRequiredService<SpendGuard>();
        var call = new CallReservation(DateTimeOffset.UtcNow, "s", "c", "google/gemini-2.5-flash", "Generation", KeyKind.Visitor, 0.1m);

        Task<SpendReservation> reserving;
        using (await ledger.WriteTurnAsync())
        {
            reserving = guard.ReserveAsync(call, CancellationToken.None);
            Assert.False(reserving.IsCompleted);
            Assert.DoesNotContain(ledger.UsageByKeyKind(DateTimeOffset.UtcNow.AddDays(-1)), u => u.KeyKind == KeyKind.Visitor);
        }
        var reservation = await reserving;

        Task settling;
        using (await ledger.WriteTurnAsync())
        {
            settling = guard.SettleAsync(reservation, new LlmUsage("google/gemini-2.5-flash", CycleStep.Generation, 10, 20, 0.02m, "gen-1", Succeeded: true), null);
            Assert.False(settling.IsCompleted);
        }
        await settling;
        Assert.Contains(ledger.UsageByKeyKind(DateTimeOffset.UtcNow.AddDays(-1)), u => u.KeyKind == KeyKind.Visitor && u.Calls == 1 && u.CostUsd == 0.02m);
        Assert.Equal(0m, guard.Totals().Today);
    }

}
