using System.Collections.Immutable;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Models;
using CoScientist.Core.Research;
using Microsoft.Extensions.Options;

namespace CoScientist.Web.Session;

/// <summary>
/// The circuit's adapter onto the research it shows: it attaches to a <see cref="LiveResearch"/> of
/// the <see cref="ResearchHost"/>, forwards commands with this visitor's identity, quota and key, and
/// passes changes on to the components watching it. The running cycle belongs to the host, not to
/// this circuit. The visitor's own key lives here, in memory only.
/// </summary>
public sealed partial class ResearchSession : IAsyncDisposable
{
    private readonly ResearchHost _host;
    private readonly ModelPolicy _policy;
    private readonly OpenRouterKeyClient _keyClient;
    private readonly ResearchOptions _research;
    private readonly ClientContext _client;
    private readonly SessionRegistry _registry;
    private readonly ILogger<ResearchSession> _logger;
    // Copied on change, read without a lock (every event reads it).
    private ImmutableArray<Func<Task>> _watchers = [];
    private readonly ITimer _idleTimer;
    private LiveResearch _live;
    private IDisposable _attachment;
    private bool _readOnly;
    private string? _sharedToken;
    private string? _visitorKey;
    private string? _limitMessage;

    public ResearchSession(ResearchHost host, ModelPolicy policy, OpenRouterKeyClient keyClient, IOptions<ResearchOptions> research,
        IOptions<DeploymentOptions> deployment, IOptions<CostControlOptions> costs, DeploymentEnvironment environment, ClientContext client,
        SessionRegistry registry, TimeProvider clock, ILogger<ResearchSession> logger)
    {
        (_host, _policy, _keyClient, _research, _client, _registry, _logger) = (host, policy, keyClient, research.Value, client, registry, logger);
        Environment = environment;
        Quota = new SessionQuota(deployment.Value, costs.Value, clock);
        StartedAt = clock.GetUtcNow();
        _live = host.Create();
        _attachment = _live.Subscribe(NotifyAsync);
        _registry.Add(Id, () => new SessionSummary(Id, _client.Client.LedgerHash, StartedAt, Quota.CyclesUsed, Quota.RequestsUsed, IsRunning, UsesOwnKey));
        _idleTimer = clock.CreateTimer(_ => _ = ExpireIfIdleAsync(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    public string Id { get; } = Guid.NewGuid().ToString("N")[..12];
    public DateTimeOffset StartedAt { get; }
    public DeploymentEnvironment Environment { get; }
    public SessionQuota Quota { get; }
    public int MaxGoalLength => _host.Admission.MaxGoalLength;
    public int MaxHypothesesPerCycle => _host.Admission.MaxHypothesesPerCycle;

    /// <summary>The research this circuit shows.</summary>
    public LiveResearch Research => _live;
    public ResearchState? State => _live.State.Cycle == 0 && _live.State.Snapshot().Hypotheses.Count == 0 ? null : _live.State;
    public ResearchStatus Status => _limitMessage is not null && !_live.IsRunning ? ResearchStatus.Blocked : _live.Status;
    public string StatusMessage => _limitMessage is not null && !_live.IsRunning
        ? "A limit stops new cycles for now. Everything produced so far is kept."
        : _live.StatusMessage;
    /// <summary>The message of the limit that blocks this session, shown with test id limit-message.</summary>
    public string? LimitMessage => _limitMessage ?? (_live.Status == ResearchStatus.Blocked ? _live.StoppedByLimit : null);
    public int? RunningCycle => _live.RunningCycle;
    public decimal RunningCost => _live.RunningCost;
    public CycleEstimate? LastEstimate => _live.LastEstimate;
    public ResearchSettings? LastSettings => _live.LastSettings;
    public decimal? LastActualCost => _live.LastActualCost;
    public IReadOnlyList<StepView> Steps => _live.Steps;
    public IReadOnlyList<ItemFailure> Failures => _live.Failures;
    public bool IsRunning => _live.IsRunning;
    public bool UsesOwnKey => _visitorKey is not null;
    public KeyKind KeyKind => UsesOwnKey ? KeyKind.Visitor : KeyKind.Operator;

    public ResearchSnapshot? Snapshot() => State?.Snapshot();

    /// <summary>
    /// Calls <paramref name="onChange"/> (off the renderer's thread) whenever anything visible changed, until disposed.
    /// Its exceptions reach the caller's own error handling: components pass a handler that dispatches them.
    /// </summary>
    public IDisposable Subscribe(Func<Task> onChange)
    {
        ImmutableInterlocked.Update(ref _watchers, w => w.Add(onChange));
        return new Watch(this, onChange);
    }

    public Task<ModelOffer> OfferAsync(CancellationToken cancellationToken = default) => _policy.OfferAsync(KeyKind, cancellationToken);

    /// <summary>The settings a run would use: the user's choices, clamped on the server whatever the browser sent.</summary>
    public ResearchSettings SettingsFor(ResearchForm form, string model) => _host.Admission.Clamp(form.ToSettings(_research, model));

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
        DetachIfRevoked();
        foreach (var watcher in _watchers)
            await watcher();
    }

    private async Task ExpireIfIdleAsync()
    {
        if (IsRunning || !Quota.IsExpired || Status == ResearchStatus.Blocked && LimitMessage == Quota.Check(KeyKind)?.Message)
            return;
        _visitorKey = null;
        _limitMessage = Quota.Check(KeyKind)!.FullMessage;
        await NotifyAsync();
    }

    /// <summary>Cancels the running cycle, if any, and waits until its calls are settled.</summary>
    public async Task StopAsync()
    {
        if (!await _live.StopAsync(TimeSpan.FromSeconds(10)))
            _logger.LogWarning("Session {Session}: the cycle did not stop within 10 s", Id);
    }

    /// <summary>Closing the tab detaches from the research: an admitted cycle runs on to its end and is saved.</summary>
    public async ValueTask DisposeAsync()
    {
        ImmutableInterlocked.InterlockedExchange(ref _watchers, []);
        _registry.Remove(Id);
        await _idleTimer.DisposeAsync();
        _attachment.Dispose();
        _host.Release(_live);
        _visitorKey = null;
    }

    private sealed class Watch(ResearchSession session, Func<Task> onChange) : IDisposable
    {
        public void Dispose()
        {
            ImmutableInterlocked.Update(ref session._watchers, w => w.Remove(onChange));
        }
    }
}
