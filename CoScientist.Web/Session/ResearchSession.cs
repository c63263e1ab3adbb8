using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Models;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Options;

namespace CoScientist.Web.Session;

/// <summary>
/// One visitor's research, scoped to the Blazor circuit: it owns the research state, the running
/// cycle and its cancellation, the session's quota counters and the visitor's own key (in memory
/// only). Components subscribe to <see cref="Changed"/>; closing the tab disposes the circuit's
/// scope, which cancels the run and forgets the key.
/// </summary>
public sealed partial class ResearchSession : IAsyncDisposable
{
    private readonly CycleSupervisor _supervisor;
    private readonly ModelPolicy _policy;
    private readonly ClientQuotas _clientQuotas;
    private readonly SpendGuard _spendGuard;
    private readonly SpendLedger _ledger;
    private readonly OpenRouterKeyClient _keyClient;
    private readonly CoScientist.Core.Embeddings.MiniLmEmbeddingModel _embeddings;
    private readonly ResearchOptions _research;
    private readonly DeploymentOptions _deployment;
    private readonly ClientContext _client;
    private readonly SessionRegistry _registry;
    private readonly TimeProvider _clock;
    private readonly ILogger<ResearchSession> _logger;
    private readonly Lock _gate = new();
    private readonly List<ItemFailure> _failures = [];
    private readonly ITimer _idleTimer;
    private CancellationTokenSource? _runCts;
    private Task _run = Task.CompletedTask;
    private IReadOnlyList<StepView> _steps = StepView.Initial();
    private string? _visitorKey;
    private bool _starting;

    public ResearchSession(CycleSupervisor supervisor, ModelPolicy policy, ClientQuotas clientQuotas, SpendGuard spendGuard,
        SpendLedger ledger, OpenRouterKeyClient keyClient, CoScientist.Core.Embeddings.MiniLmEmbeddingModel embeddings, IOptions<ResearchOptions> research, IOptions<DeploymentOptions> deployment,
        IOptions<CostControlOptions> costs, DeploymentEnvironment environment, ClientContext client, SessionRegistry registry,
        TimeProvider clock, ILogger<ResearchSession> logger)
    {
        (_supervisor, _policy, _clientQuotas, _spendGuard, _ledger, _keyClient, _embeddings) = (supervisor, policy, clientQuotas, spendGuard, ledger, keyClient, embeddings);
        (_research, _deployment, _client, _registry, _clock, _logger) = (research.Value, deployment.Value, client, registry, clock, logger);
        Environment = environment;
        Quota = new SessionQuota(_deployment, costs.Value, clock);
        StartedAt = clock.GetUtcNow();
        _registry.Add(Id, () => new SessionSummary(Id, _client.Client.LedgerHash, StartedAt, Quota.CyclesUsed, Quota.RequestsUsed, IsRunning, UsesOwnKey),
            StopAsync);
        _idleTimer = clock.CreateTimer(_ => _ = ExpireIfIdleAsync(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    public string Id { get; } = Guid.NewGuid().ToString("N")[..12];
    public DateTimeOffset StartedAt { get; }
    public DeploymentEnvironment Environment { get; }
    public SessionQuota Quota { get; }
    public int MaxGoalLength => _deployment.MaxGoalLength;
    public ResearchState? State { get; private set; }
    public SessionStatus Status { get; private set; } = SessionStatus.Idle;
    public string StatusMessage { get; private set; } = "Enter a research goal and run a cycle.";
    /// <summary>The message of the limit that blocks this session, shown with test id limit-message.</summary>
    public string? LimitMessage { get; private set; }
    public int? RunningCycle { get; private set; }
    public decimal RunningCost { get; private set; }
    public CycleEstimate? LastEstimate { get; private set; }
    /// <summary>The settings of the latest run, for exports.</summary>
    public ResearchSettings? LastSettings { get; private set; }
    public decimal? LastActualCost { get; private set; }
    public IReadOnlyList<StepView> Steps => _steps;
    public IReadOnlyList<ItemFailure> Failures { get { lock (_gate) return _failures.ToList(); } }
    public bool IsRunning => Status == SessionStatus.Running;
    public bool UsesOwnKey => _visitorKey is not null;
    public KeyKind KeyKind => UsesOwnKey ? KeyKind.Visitor : KeyKind.Operator;

    /// <summary>Raised (off the renderer's thread) whenever anything visible changed.</summary>
    public event Func<Task>? Changed;

    public ResearchSnapshot? Snapshot() => State?.Snapshot();

    public Task<ModelOffer> OfferAsync(CancellationToken cancellationToken = default) => _policy.OfferAsync(KeyKind, cancellationToken);

    /// <summary>The most hypotheses per cycle this deployment allows.</summary>
    public int MaxHypothesesPerCycle => Environment.IsProduction ? _deployment.MaxHypothesesPerCycle : 20;

    /// <summary>The settings a run would use: the user's choices, clamped on the server whatever the browser sent.</summary>
    public ResearchSettings SettingsFor(ResearchForm form, string model)
    {
        return _research.ToSettings(model) with
        {
            HypothesesPerCycle = Math.Clamp(form.Hypotheses, 1, MaxHypothesesPerCycle),
            GenerationTemperature = Math.Clamp(form.GenerationTemperature, 0, 2),
            ReflectionTemperature = Math.Clamp(form.ReflectionTemperature, 0, 2),
            EloKFactor = Math.Clamp(form.EloK, 1, 200),
            TopK = Math.Clamp(form.TopK, 1, 10),
        };
    }

    /// <summary>What <see cref="SettingsFor"/> changed, in words, so a clamped value is never a silent surprise.</summary>
    public IReadOnlyList<string> ClampNotices(ResearchForm form)
    {
        var used = SettingsFor(form, form.Model);
        var notes = new List<string>();
        void Note(string name, double asked, double applied)
        {
            if (Math.Abs(asked - applied) > 1e-9)
                notes.Add($"{name} {asked:0.##} is outside what this deployment allows; {applied:0.##} is used.");
        }
        Note("Hypotheses per cycle", form.Hypotheses, used.HypothesesPerCycle);
        Note("Generation temperature", form.GenerationTemperature, used.GenerationTemperature);
        Note("Reflection temperature", form.ReflectionTemperature, used.ReflectionTemperature);
        Note("Elo K-factor", form.EloK, used.EloKFactor);
        Note("Top-k", form.TopK, used.TopK);
        return notes;
    }

    public async Task<CycleEstimate?> EstimateAsync(ResearchForm form, CancellationToken cancellationToken = default)
    {
        if (await _policy.ResolveAsync(form.Model, KeyKind, cancellationToken) is not { Info.IsPriceKnown: true } model)
            return null;
        var snapshot = State is { } s && s.Goal == form.Goal.Trim() ? s.Snapshot() : null;
        return CostEstimator.Estimate(SettingsFor(form, model.Id), model.Info, form.Goal.Trim(), snapshot);
    }

    private async Task NotifyAsync()
    {
        if (Changed is not { } handlers) return;
        foreach (var handler in handlers.GetInvocationList().Cast<Func<Task>>())
        {
            try
            {
                await handler();
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Session {Session}: a subscriber failed to update", Id);
            }
        }
    }

    private async Task ExpireIfIdleAsync()
    {
        if (IsRunning || !Quota.IsExpired || Status == SessionStatus.Blocked && LimitMessage == Quota.Check(KeyKind)?.Message)
            return;
        _visitorKey = null;
        Block(Quota.Check(KeyKind)!);
        await NotifyAsync();
    }

    /// <summary>Cancels the running cycle, if any, and waits until its calls are settled.</summary>
    public async Task StopAsync()
    {
        CancellationTokenSource? cts;
        lock (_gate)
            cts = _runCts;
        cts?.Cancel();
        try
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            _logger.LogWarning("Session {Session}: the cycle did not stop within 10 s", Id);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Changed = null;
        _registry.Remove(Id);
        await _idleTimer.DisposeAsync();
        await StopAsync();
        _visitorKey = null;
        _runCts?.Dispose();
    }
}
