using System.Collections.Concurrent;
using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Cost;
using CoScientist.Core.Embeddings;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Research;

/// <summary>
/// Owns the research that is live in this server and the cycles running on it, with their
/// cancellation and their server slots, independently of any browser circuit: a circuit attaches
/// to a research, forwards commands and watches; closing it leaves an admitted cycle running.
/// Research is saved to the <see cref="IResearchStore"/> as it progresses (see <see cref="ResearchSaver"/>)
/// and loaded from it by id, so a link opens it after the tab closed or the server restarted.
/// </summary>
public sealed partial class ResearchHost(CycleSupervisor supervisor, CycleAdmission admission, IResearchStore store, IEmbeddingModel embeddings,
    Microsoft.Extensions.Options.IOptions<StorageOptions> storage, IResearchRelay relay, TimeProvider clock, ILogger<ResearchHost> logger)
{
    private readonly ConcurrentDictionary<string, LiveResearch> _live = new();
    // Finding or adding a research and taking a hold on it, and dropping a hold and forgetting it, are one step each.
    private readonly Lock _holds = new();
    private readonly ResearchSaver _saver = new(store, clock, logger);
    private volatile bool _shuttingDown;
    private int _starting;

    public CycleAdmission Admission => admission;
    public IResearchStore Store => store;

    /// <summary>A new, empty research with an unguessable id; it is saved when its first cycle starts.</summary>
    public LiveResearch Create()
    {
        var research = Track(new LiveResearch(ResearchIds.New(), new ResearchState("")));
        lock (_holds)
        {
            research.Holds = 1;
            _live[research.Id] = research;
        }
        return research;
    }

    /// <summary>
    /// The research with this id, live or from the store, with a hold taken for the caller (who gives it back with
    /// <see cref="Release"/>); null when there is none.
    /// </summary>
    public async Task<LiveResearch?> OpenAsync(string id)
    {
        if (TryHold(id) is { } live)
            return live;
        var record = await store.GetRecordAsync(id);
        // Saved as running, and not running here: on one instance that was a crash; on several, ask whether its instance lives.
        bool? leased = null;
        if (record is { RunningCycle: { } cycle } && relay.IsShared && (leased = await relay.IsRunLeasedAsync(id)) == false)
            record = await MarkInterruptedAsync(record, cycle);
        if (record is null || await store.LoadAsync(id) is not { } snapshot)
            return null;
        var loaded = Track(new LiveResearch(id, ResearchState.Restore(snapshot)));
        loaded.Loaded(record, snapshot);
        if (relay.IsShared && record.RunningCycle is { } running)
            loaded.RunningElsewhere(running, live: leased == true);
        LiveResearch kept;
        lock (_holds)
        {
            // Someone else may have loaded it meanwhile: there is only ever one live copy of a research.
            kept = _live.GetOrAdd(id, loaded);
            kept.Holds++;
        }
        if (kept == loaded)
            await ListenAsync(kept, recheck: leased == true);
        return kept;
    }

    private LiveResearch? TryHold(string id)
    {
        lock (_holds)
        {
            if (!_live.TryGetValue(id, out var live)) return null;
            live.Holds++;
            return live;
        }
    }

    /// <summary>The research a read-only link points to; null when the link was revoked or never existed.</summary>
    public async Task<LiveResearch?> OpenSharedAsync(string shareToken)
    {
        var record = await store.GetByShareTokenAsync(shareToken);
        return record is null ? null : await OpenAsync(record.Id);
    }

    /// <summary>The research whose cycles run on this instance.</summary>
    public IReadOnlyList<LiveResearch> Running => _live.Values.Where(r => r.RunsHere).ToList();

    /// <summary>
    /// Asks <see cref="CycleAdmission"/> whether the next cycle may run and, if so, starts it; the first cycle saves the
    /// research under <paramref name="ownerId"/>. Only the owner may run a saved research's cycles.
    /// </summary>
    public async Task<AdmissionResult> StartCycleAsync(LiveResearch research, CycleRequest request, LlmCallContext call, string ownerId,
        CancellationToken cancellationToken = default)
    {
        if (research.Record is { } owned && owned.OwnerId != ownerId)
            return new AdmissionResult { InputError = "Only the owner of this research can run its cycles." };
        if (research.RunsElsewhere && await RunningElsewhereRefusalAsync(research) is { } elsewhere)
            return new AdmissionResult { InputError = elsewhere };
        if (research.IsRunning)
            return new AdmissionResult { InputError = "A cycle is already running; wait for it or cancel it." };
        if (_shuttingDown)
            return new AdmissionResult { InputError = "The server is restarting; try again in a minute. Everything so far is kept." };
        if (!research.TryClaimStart())
            return new AdmissionResult { InputError = "A cycle is already starting; wait a moment." };
        Interlocked.Increment(ref _starting);
        try
        {
            return await StartClaimedAsync(research, request, call, ownerId, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _starting);
            // Whatever stopped the start (a refusal, an exception, a cycle over before its start was announced, whose
            // end could not give the lease back while the start held it), a lease with no cycle running here goes back.
            if (research.EndStart())
                await relay.ReleaseRunAsync(research.Id);
            research.ReleaseStart();
        }
    }

    private async Task<AdmissionResult> StartClaimedAsync(LiveResearch research, CycleRequest request, LlmCallContext call, string ownerId,
        CancellationToken cancellationToken)
    {
        var goal = request.Goal.Trim();
        var snapshot = research.Snapshot() is { Cycle: > 0 } s && string.Equals(s.Goal, goal, StringComparison.Ordinal) ? s : null;
        // One runner per research across the site, settled before admission spends or reserves anything.
        if (LeaseRefusal(await relay.ClaimRunAsync(research.Id)) is { } refused)
            return new AdmissionResult { InputError = refused };
        var admitted = await admission.AdmitAsync(request with { Research = snapshot }, cancellationToken);
        if (admitted.Ticket is not { } ticket)
            return admitted;
        try
        {
            if (research.Record is null)
            {
                research.ResetForGoal(goal);
                // The goal's embedding is made when research on a similar goal is first looked for (SimilarSharedAsync):
                // most research is never shared, and a start waits for no turn at the model.
                var record = ResearchRecord.New(ownerId, goal, ticket.Settings, clock.GetUtcNow()) with { Id = research.Id };
                await store.CreateAsync(record);
                research.Record = record;
            }
            // The running cycle holds the research until it ends, whoever watches.
            lock (_holds) research.Holds++;
            await ListenAsync(research);
            if (!research.TryStart(ticket, call, supervisor, logger))
            {
                Release(research);
                ticket.Abandon();
                return new AdmissionResult { InputError = "A cycle is already running; wait for it or cancel it." };
            }
        }
        catch (Exception ex)
        {
            // Admitted but never run: its slot, its ledger row and the visitor's allowance all go back.
            ticket.Abandon();
            logger.LogError(ex, "Research {Research}: an admitted cycle could not start", research.Id);
            return new AdmissionResult
            {
                InputError = ex is StorageUnavailableException ? ex.Message : "The cycle could not start because of a server error; nothing was spent. Try again.",
            };
        }
        await research.NotifyAsync();
        return admitted;
    }

    /// <summary>
    /// Marks cycles that were running when an earlier process stopped as interrupted (their finished items are kept).
    /// On a site of several instances, only those whose run lease lapsed: a cycle another live instance runs is left alone.
    /// </summary>
    public async Task<int> RecoverInterruptedAsync()
    {
        var interrupted = new List<ResearchRecord>();
        foreach (var record in await store.InterruptedAsync())
            if (!relay.IsShared || await relay.IsRunLeasedAsync(record.Id) == false)
                interrupted.Add(record);
        var marked = 0;
        foreach (var record in interrupted)
            if (await store.MarkInterruptedAsync(record.Id, record.RunningCycle!.Value, clock.GetUtcNow()))
                marked++;
        if (marked > 0)
            logger.LogWarning("{Count} research cycle(s) were running when the server last stopped; they are marked interrupted", marked);
        return marked;
    }

    /// <summary>
    /// Shutdown: lets running cycles go on for up to <paramref name="grace"/>, then cancels what is left; a cycle cut
    /// short this way is saved as interrupted. Returns how many cycles were running.
    /// </summary>
    public async Task<int> StopAllAsync(TimeSpan grace)
    {
        _shuttingDown = true;
        // Cycles admitted just before the flag was set are let through their start, so they are waited for too.
        var started = clock.GetUtcNow();
        while (Volatile.Read(ref _starting) > 0 && clock.GetUtcNow() - started < TimeSpan.FromSeconds(5))
            await Task.Delay(TimeSpan.FromMilliseconds(20), clock);
        var running = Running;
        var finished = Task.WhenAll(running.Select(r => r.Run));
        if (await Task.WhenAny(finished, Task.Delay(grace, clock)) != finished)
            await Task.WhenAll(running.Select(r => r.StopAsync(TimeSpan.FromSeconds(5))));
        return running.Count;
    }

    /// <summary>Gives back a hold; a research nobody holds any more (no circuit, no running cycle) is forgotten here and lives on in the store.</summary>
    public void Release(LiveResearch research)
    {
        lock (_holds)
        {
            if (--research.Holds > 0 || !_live.TryRemove(new KeyValuePair<string, LiveResearch>(research.Id, research)))
                return;
        }
        _ = StopListeningAsync(research.Id);
    }

    /// <summary>Removes a research from this server and from the store; the spend ledger keeps its costs.</summary>
    public async Task<bool> DeleteAsync(LiveResearch research)
    {
        if (research.RunsElsewhere) research.Cancel(); // its instance stops saving into a deleted research
        await research.StopAsync(TimeSpan.FromSeconds(10));
        if (_live.TryRemove(research.Id, out _))
            await StopListeningAsync(research.Id);
        return await store.DeleteAsync(research.Id);
    }

    /// <summary>The research's read-only link token, made on first use; null when it is not saved.</summary>
    public async Task<string?> ShareAsync(LiveResearch research)
    {
        if (research.Record is not { } record) return null;
        if (record.ShareToken is { } existing) return existing;
        var token = ResearchIds.New();
        if (!await store.SetShareTokenAsync(record.Id, token)) return null;
        research.Record = record with { ShareToken = token };
        await research.NotifyAsync();
        // Its goal is embedded now, in the background, so a visitor stopped by a limit later waits for no embedding of it.
        _ = KeepGoalEmbeddingAsync(record);
        return token;
    }

    /// <summary>Revokes the read-only link: it stops working at once; readers already watching are not cut off mid-page.</summary>
    public async Task RevokeShareAsync(LiveResearch research)
    {
        if (research.Record is not { ShareToken: not null } record) return;
        await store.SetShareTokenAsync(record.Id, null);
        research.Record = record with { ShareToken = null };
        await research.NotifyAsync();
    }

    /// <summary>
    /// Shared research and the operator's examples on a goal like <paramref name="goal"/>, most similar first: what a
    /// visitor stopped by a limit can read instead of spending. Similarity is the cosine of the goals' embeddings.
    /// </summary>
    public async Task<IReadOnlyList<(ResearchRecord Record, double Similarity)>> SimilarSharedAsync(string goal, int limit = 5)
    {
        goal = goal.Trim();
        if (goal.Length == 0) return [];
        var candidates = (await store.ListSharedAsync()).Concat(await store.ListExamplesAsync())
            .Where(r => r.Cycles > 0).DistinctBy(r => r.Id).ToList();
        if (candidates.Count == 0) return [];
        var wanted = await embeddings.EmbedAsync(goal);
        var similar = new List<(ResearchRecord Record, double Similarity)>();
        foreach (var record in candidates)
        {
            var embedding = await GoalEmbeddingAsync(record);
            var similarity = Similarity.Cosine(wanted, embedding);
            if (similarity >= storage.Value.FallbackSimilarity)
                similar.Add((record, similarity));
        }
        return similar.OrderByDescending(x => x.Similarity).Take(limit).ToList();
    }

    /// <summary>The research's goal embedding, made and kept with it the first time it is asked for (kept only if the store can).</summary>
    private async Task<float[]> GoalEmbeddingAsync(ResearchRecord record)
    {
        if (record.GoalEmbedding is { } kept) return kept;
        var made = await embeddings.EmbedAsync(record.Goal);
        try
        {
            await store.SetGoalEmbeddingAsync(record.Id, made);
        }
        catch (StorageUnavailableException ex)
        {
            logger.LogWarning("Research {Research}: its goal's embedding could not be kept ({Error}); it is made again when next needed", record.Id, ex.Message);
        }
        return made;
    }

    private async Task KeepGoalEmbeddingAsync(ResearchRecord record)
    {
        try
        {
            await GoalEmbeddingAsync(record);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Research {Research}: its goal could not be embedded when it was shared; it is embedded when next needed", record.Id);
        }
    }

    private LiveResearch Track(LiveResearch research)
    {
        research.WatcherFailed = ex => logger.LogWarning(ex, "A watcher of research {Research} failed to update", research.Id);
        research.Persist = e => _saver.SaveAsync(research, e, _shuttingDown);
        research.Idle = Ended;
        research.Announce = AnnounceAsync;
        research.CancelElsewhere = r => _ = relay.PublishAsync(r.Id, new ResearchNews { Kind = NewsKind.Cancel });
        Tracking?.Invoke(research);
        return research;
    }

    /// <summary>Told of each research as the host begins to keep it, before any cycle runs (the load benchmark times events through it).</summary>
    internal Action<LiveResearch>? Tracking { get; set; }
}
