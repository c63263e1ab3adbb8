using Microsoft.Extensions.AI;
using System.Net;
using System.Net.Sockets;
using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CoScientist.Tests.Core;

/// <summary>
/// The money promise when the network misbehaves: a call the provider may have charged for is never
/// counted at $0, a stalled provider cannot hold a cycle forever, and an unreachable one reads as a failure.
/// </summary>
public sealed class NetworkFaultTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private readonly CapturingLoggerProvider _logs = new();

    public async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync(seed: 11);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ServiceProvider Services(string? baseUrl = null, Dictionary<string, string?>? more = null, Action<IServiceCollection>? services = null)
    {
        var settings = new Dictionary<string, string?> { ["num_hypotheses"] = "3" };
        if (baseUrl is not null) settings["openrouter_base_url"] = baseUrl;
        foreach (var (k, v) in more ?? []) settings[k] = v;
        return CoreHarness.Create(_server, settings, _logs, services);
    }

    private static LlmRequest Request() => new()
    {
        Model = "google/gemini-2.5-flash",
        SystemPrompt = "You judge.",
        UserPrompt = "Which is better?",
        MaxOutputTokens = 300,
        Schema = new JsonSchemaSpec("match_judgement", JsonSchemaBuilder.Object(("winner", JsonSchemaBuilder.Enum("w", "A", "B")))),
        Step = CycleStep.Ranking,
    };

    private static Task<string> CallAsync(IServiceProvider services) =>
        services.GetRequiredService<StructuredLlm>().CallAsync(Request(), n => JsonRead.RequiredText(n, "winner"), CancellationToken.None);

    private static decimal LedgerSpend(IServiceProvider services) =>
        services.GetRequiredService<SpendLedger>().OperatorSpendSince(DateTimeOffset.UtcNow.AddDays(-1));

    /// <summary>Runs one cycle to its end; its last event is always the report.</summary>
    private static async Task<CycleReport> RunCycleAsync(IServiceProvider services, ResearchState state, ResearchSettings settings)
    {
        CycleEvent? last = null;
        await foreach (var e in services.GetRequiredService<CycleSupervisor>().RunCycleAsync(state, settings, new LlmCallContext()))
            last = e;
        return Assert.IsType<CycleCompleted>(last).Report;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task AConnectionResetAfterTheProviderCharged_IsCountedAtItsWorstCase_AndSaysTheConnectionWasLost()
    {
        await using var services = Services();
        _server.Enqueue(FaultKind.ResetAfterCharge, FaultKind.ResetAfterCharge);

        var ex = await Assert.ThrowsAsync<LlmException>(() => CallAsync(services));

        Assert.Equal(LlmErrorKind.ConnectionLost, ex.Kind);
        Assert.Contains("connection to OpenRouter was lost", ex.Message);
        Assert.DoesNotContain("HTTP 0", ex.Message);
        Assert.Equal(2, _server.Requests.Count); // retried once, as a new call
        Assert.True(_server.TotalCharged > 0);
        Assert.True(LedgerSpend(services) >= _server.TotalCharged,
            $"the ledger holds ${LedgerSpend(services)} but OpenRouter charged ${_server.TotalCharged}");
        Assert.True(services.GetRequiredService<SpendGuard>().Totals().Today >= _server.TotalCharged);
    }

    [Fact]
    public async Task ALostConnection_IsRetried_AndTheLostAttemptStillCounts()
    {
        await using var services = Services();
        _server.Enqueue(FaultKind.ResetAfterCharge);

        var winner = await CallAsync(services);

        Assert.Contains(winner, new[] { "A", "B" });
        Assert.Equal(2, _server.Requests.Count);
        Assert.True(LedgerSpend(services) >= _server.TotalCharged,
            $"the ledger holds ${LedgerSpend(services)} but OpenRouter charged ${_server.TotalCharged} for two attempts");
    }

    [Fact]
    public async Task WhenOpenRouterCannotBeReached_NothingIsCharged_AndTheMessageSaysSo()
    {
        await using var services = Services(baseUrl: $"http://127.0.0.1:{FreePort()}/api/v1");

        var ex = await Assert.ThrowsAsync<LlmException>(() => CallAsync(services));

        Assert.Equal(LlmErrorKind.Unreachable, ex.Kind);
        Assert.StartsWith("OpenRouter could not be reached", ex.Message);
        Assert.DoesNotContain("HTTP 0", ex.Message);
        Assert.Equal(0m, LedgerSpend(services));
        Assert.Equal(0m, services.GetRequiredService<SpendGuard>().Totals().Today);
    }

    [Fact]
    public async Task AStalledProvider_IsAbandonedAtTheCallTimeout_AndTheCallKeepsItsWorstCase()
    {
        await using var services = Services(more: new() { ["openrouter_timeout_seconds"] = "1" });
        _server.Enqueue(FaultKind.Stall, FaultKind.Stall);

        var ex = await Assert.ThrowsAsync<LlmException>(() => CallAsync(services));

        Assert.Equal(LlmErrorKind.Timeout, ex.Kind);
        Assert.Contains("within 1 s", ex.Message);
        Assert.True(_server.TotalCharged > 0);
        Assert.True(LedgerSpend(services) >= _server.TotalCharged);
    }

    [Fact]
    public async Task AStreamCutMidway_IsReconciledWithWhatOpenRouterReallyCharged()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var services = Services(services: s => s.AddSingleton(sp => new CallReconciler(
            sp.GetRequiredService<OpenRouterGenerationClient>(), sp.GetRequiredService<SpendLedger>(), sp.GetRequiredService<SpendGuard>(),
            clock, sp.GetRequiredService<ILogger<CallReconciler>>())));
        _server.Enqueue(FaultKind.CutStreamAfterCharge);
        var llm = services.GetRequiredService<IChatClient>();

        var ex = await Assert.ThrowsAsync<LlmException>(() => llm.CompleteAsync(Request(), CancellationToken.None));

        Assert.Equal(LlmErrorKind.ConnectionLost, ex.Kind);
        var charged = _server.TotalCharged;
        var worstCase = LedgerSpend(services);
        Assert.True(worstCase > charged, "a lost call is first counted at its worst case");
        var reconciler = services.GetRequiredService<CallReconciler>();
        Assert.Equal(1, reconciler.Pending);

        clock.Advance(CallReconciler.Delays[0]);
        await Wait.UntilAsync(() => LedgerSpend(services) < worstCase);

        Assert.Equal(charged, LedgerSpend(services), 6);
        Assert.Equal(charged, services.GetRequiredService<SpendGuard>().Totals().Today, 6);
        Assert.Equal(0, reconciler.Pending);
    }

    [Fact]
    public async Task ALostCallOpenRouterNeverConfirms_StaysAtItsWorstCase()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var services = Services(services: s => s.AddSingleton(sp => new CallReconciler(
            sp.GetRequiredService<OpenRouterGenerationClient>(), sp.GetRequiredService<SpendLedger>(), sp.GetRequiredService<SpendGuard>(),
            clock, sp.GetRequiredService<ILogger<CallReconciler>>())));
        _server.GenerationsQueryable = false;
        _server.Enqueue(FaultKind.CutStreamAfterCharge);
        await Assert.ThrowsAsync<LlmException>(() => services.GetRequiredService<IChatClient>().CompleteAsync(Request(), CancellationToken.None));
        var worstCase = LedgerSpend(services);
        var reconciler = services.GetRequiredService<CallReconciler>();

        for (var i = 0; i < CallReconciler.Delays.Length; i++)
        {
            await Wait.UntilAsync(() => reconciler.Pending == 1); // the next attempt is scheduled before the clock moves
            var asked = _server.GenerationLookups;
            clock.Advance(CallReconciler.Delays[i]);
            await Wait.UntilAsync(() => _server.GenerationLookups > asked);
        }
        await Wait.UntilAsync(() => reconciler.Pending == 0);

        Assert.Equal(CallReconciler.Delays.Length, _server.GenerationLookups);
        Assert.Equal(worstCase, LedgerSpend(services));
    }

    [Fact]
    public async Task ACycleAgainstAStalledProvider_StopsAtItsDeadline_KeepsWhatFinished_AndSaysWhy()
    {
        await using var services = Services(more: new() { ["cycle_deadline_minutes"] = "0.05", ["openrouter_timeout_seconds"] = "60" });
        var state = new ResearchState("Explain antibiotic resistance");
        var settings = services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings();
        // Generation answers; every call after that stalls.
        _server.Enqueue(FaultKind.None, FaultKind.None);
        for (var i = 0; i < 40; i++) _server.Enqueue(FaultKind.Stall);

        var report = await RunCycleAsync(services, state, settings);
        Assert.Equal(CycleOutcome.TimedOut, report.Outcome);
        Assert.Contains("time limit of 3 seconds", report.Message);
        Assert.NotEmpty(state.Snapshot().Hypotheses);
        Assert.True(report.Duration < TimeSpan.FromSeconds(30), $"the cycle took {report.Duration}");
        Assert.True(LedgerSpend(services) >= _server.TotalCharged);
    }

    [Fact]
    public async Task ACycleWithOpenRouterUnreachable_Fails_SaysSo_AndIsMarkedAsNotCounting()
    {
        await using var services = Services(baseUrl: $"http://127.0.0.1:{FreePort()}/api/v1");
        var state = new ResearchState("Explain antibiotic resistance");
        var settings = services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings();

        var report = await RunCycleAsync(services, state, settings);
        Assert.Equal(CycleOutcome.Failed, report.Outcome);
        Assert.True(report.ProviderUnavailable);
        Assert.Contains("OpenRouter could not be reached", report.Message);
        Assert.Contains("does not count against your cycle limits", report.Message);
        Assert.Empty(state.Snapshot().Hypotheses);
    }

    [Fact]
    public async Task ACycleInA429Storm_FailsAsProviderTrouble_AndTheLedgerCoversEveryCharge()
    {
        await using var services = Services();
        _server.TransientFailureRate = 1.0;
        var state = new ResearchState("Explain antibiotic resistance");
        var settings = services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings();

        var report = await RunCycleAsync(services, state, settings);
        Assert.Equal(CycleOutcome.Failed, report.Outcome);
        Assert.True(report.ProviderUnavailable);
        Assert.Equal(0m, LedgerSpend(services));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task ThroughAConnectionResettingProxy_TheLedgerNeverHoldsLessThanTheProviderCharged(int seed)
    {
        await using var proxy = new ResettingProxy(new Uri(_server.BaseUrl), resetRate: 0.08, seed);
        await using var services = Services(baseUrl: proxy.BaseUrlFor(_server.BaseUrl), more: new() { ["max_parallel_calls"] = "4" });
        var settings = services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings();

        for (var cycle = 0; cycle < 2; cycle++)
        {
            var state = new ResearchState("Explain antibiotic resistance " + cycle);
            await RunCycleAsync(services, state, settings);
        }

        Assert.True(proxy.Resets > 0, "the proxy reset nothing");
        Assert.True(_server.TotalCharged > 0);
        var ledger = LedgerSpend(services);
        Assert.True(ledger >= _server.TotalCharged, $"the ledger holds ${ledger} but OpenRouter charged ${_server.TotalCharged} ({proxy.Resets} resets)");
        Assert.True(services.GetRequiredService<SpendGuard>().Totals().Today >= _server.TotalCharged);
    }

    [Fact]
    public async Task ACallAbandonedWhileWaitingToRetryARateLimit_CostsNothing_AndSaysRateLimited()
    {
        await using var services = Services(more: new() { ["openrouter_timeout_seconds"] = "3", ["openrouter_max_backoff_ms"] = "10000" });
        var client = services.GetRequiredService<IChatClient>();
        var guard = services.GetRequiredService<SpendGuard>();
        // One answered call first: the connection, the model list and the code paths are ready, so the deadline below is
        // spent waiting to retry, not setting up.
        await client.CompleteAsync(Request(), CancellationToken.None);
        var (spent, today) = (LedgerSpend(services), guard.Totals().Today);
        // Told to come back in 30 s (the wait capped at 10 s), the call's 3 s deadline comes while it waits to retry, unless
        // the rate-limited answer itself took 3 s. (With Retry-After: 1 s and a 1 s deadline, a busy machine sometimes
        // spent the second on the first answer, and the call said Timeout.)
        _server.RetryAfterSeconds = 30;
        _server.Enqueue(FaultKind.RateLimitedWithRetryAfter, FaultKind.RateLimitedWithRetryAfter, FaultKind.RateLimitedWithRetryAfter);

        var ex = await Assert.ThrowsAsync<LlmException>(() => client.CompleteAsync(Request(), CancellationToken.None));

        Assert.Equal(LlmErrorKind.RateLimited, ex.Kind);
        Assert.Equal(spent, LedgerSpend(services));
        Assert.Equal(today, guard.Totals().Today);
    }

    [Fact]
    public async Task AnAnswerWhoseUsageHasNoCost_IsCountedAtItsWorstCase_NotAtZero()
    {
        await using var services = Services();
        _server.Enqueue(FaultKind.UsageWithoutCost);

        var response = await services.GetRequiredService<IChatClient>().CompleteAsync(Request(), CancellationToken.None);

        Assert.False(response.Usage.CostReported);
        Assert.True(_server.TotalCharged > 0);
        Assert.True(LedgerSpend(services) >= _server.TotalCharged, $"the ledger holds ${LedgerSpend(services)} for a call charged ${_server.TotalCharged}");
    }
}
