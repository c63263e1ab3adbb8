using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Core;

public class ResearchStoreTests
{
    internal static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);

    internal static SqliteResearchStore NewStore(string? dataDir = null) =>
        new(Options.Create(new StorageOptions { DataDir = dataDir ?? CoreHarness.NewDataDir() }), NullLogger<SqliteResearchStore>.Instance);

    /// <summary>Where a store keeps research (here a data directory): a new store over the same place is what a restart gives.</summary>
    protected virtual Task<string> NewPlaceAsync() => Task.FromResult(CoreHarness.NewDataDir());

    protected virtual IResearchStore OpenStore(string place) => NewStore(place);

    private async Task<IResearchStore> NewStoreAsync() => OpenStore(await NewPlaceAsync());

    /// <summary>A research saved item by item over <paramref name="cycles"/> cycles, as the research host saves it.</summary>
    internal static async Task<(ResearchRecord Record, ResearchState State)> SavedResearchAsync(IResearchStore store, string owner = "owner-a",
        int cycles = 3, DateTimeOffset? at = null, int seed = 1, bool literature = true)
    {
        var when = at ?? Start;
        var record = ResearchRecord.New(owner, "Find ways to make lithium-ion batteries safer", new ResearchSettings { Model = "google/gemini-2.5-flash", TopK = 4 },
            when, goalEmbedding: [0.25f, -0.5f, 0.125f]);
        await store.CreateAsync(record);
        var state = new ResearchState(record.Goal);
        var sample = new SampleResearch(seed, literature);
        for (var cycle = 0; cycle < cycles; cycle++)
        {
            var changes = new List<ResearchChanges>();
            sample.RunCycle(state, changes.Add, when.AddMinutes(cycle));
            foreach (var change in changes)
                Assert.True(await store.SaveChangesAsync(record.Id, change));
        }
        return (record, state);
    }

    [Fact]
    public async Task SavedResearch_LoadsBackFieldByField_AfterThreeCycles()
    {
        var store = await NewStoreAsync();
        var (record, state) = await SavedResearchAsync(store);
        // A fourth cycle that produced nothing because the provider was down.
        state.StartCycle();
        state.FinishCycle(new CycleReport(4, Start.AddHours(1), Start.AddHours(1).AddSeconds(3), CycleOutcome.Failed, [], [],
            "OpenRouter could not be reached.") { ProviderUnavailable = true });
        await store.SaveChangesAsync(record.Id, ResearchChanges.All(state.Snapshot()));

        var loaded = await store.LoadAsync(record.Id);

        var saved = state.Snapshot();
        DeepAssert.Equal(saved, loaded);
        // The sample holds everything a cycle can produce, so the comparison above covers all of it.
        Assert.Contains(saved.Hypotheses, h => h.Origin == HypothesisOrigin.Evolved && h.ParentIds.Count == 2 && h.Strategy is not null);
        Assert.Contains(saved.Hypotheses, h => h.Review is { References.Count: > 1 } && h.Embedding is { Length: 384 });
        Assert.Contains(saved.Hypotheses, h => h.ReviewError is not null);
        Assert.Contains(saved.Hypotheses, h => h.IsNearDuplicate);
        Assert.Contains(saved.Matches, m => m.IsDebate && m.Transcript.Count == 5);
        Assert.Equal([1, 2, 3], saved.MetaReviews.Select(m => m.Cycle));
        Assert.Contains(saved.Reports, r => r.Outcome == CycleOutcome.CompletedWithFailures && r.Failures.Count == 1);
        Assert.Contains(saved.Reports, r => r.ProviderUnavailable && r.Message is not null);
        Assert.Equal(Enumerable.Range(1, 9), saved.Papers.Select(p => p.Number));
        Assert.Contains(saved.Hypotheses, h => h.Citations.Count > 0 && h.Review is { Citations.Count: > 0, ClosestPriorWork.Count: > 0 }
            && h.Review.References.Any(r => r.Status == ReferenceStatus.Verified && r.Record is not null)
            && h.Review.References.Any(r => r.Status == ReferenceStatus.Unverified && r.Note is not null));
        Assert.Contains(saved.Reports, r => r.Literature is { OffTopic: > 0, Sources.Count: 2 });

        DeepAssert.Equal(record with { Cycles = 3, CostUsd = saved.Reports.Sum(r => r.CostUsd), LastActivityAt = Start.AddMinutes(2).AddSeconds(42) },
            await store.GetRecordAsync(record.Id));
        Assert.Equal(4, (await store.GetRecordAsync(record.Id))!.Settings.TopK);
        Assert.Equal(4, loaded!.Cycle);
    }

    [Fact]
    public async Task ARestoredResearch_ContinuesWithTheNextCycleAndIds()
    {
        var store = await NewStoreAsync();
        var (record, _) = await SavedResearchAsync(store);

        var state = ResearchState.Restore((await store.LoadAsync(record.Id))!);

        Assert.Equal(4, state.StartCycle());
        var added = state.Add(new HypothesisDraft("t", "s", "r", "p"));
        Assert.Equal("H028", added.Id); // 3 cycles × 9 hypotheses
        Assert.Equal("M037", state.RecordMatch("H001", added.Id, added.Id, "why", false, []).Id); // 3 cycles × 12 matches
    }

    [Fact]
    public async Task ARestoredResearchMissingAnItem_NeverReusesAnId()
    {
        var store = await NewStoreAsync();
        var (record, _) = await SavedResearchAsync(store, cycles: 1);
        var loaded = (await store.LoadAsync(record.Id))!;

        // A crash can lose a hypothesis saved after a later one; its id must not be handed out again.
        var state = ResearchState.Restore(loaded with { Hypotheses = loaded.Hypotheses.Where(h => h.Id != "H005").ToList() });

        Assert.Equal("H010", state.Add(new HypothesisDraft("t", "s", "r", "p")).Id);
    }

    [Fact]
    public async Task EachOwner_ListsOnlyTheirOwnResearch_MostRecentFirst()
    {
        var store = await NewStoreAsync();
        var (older, _) = await SavedResearchAsync(store, "owner-a", cycles: 1, at: Start);
        var (newer, _) = await SavedResearchAsync(store, "owner-a", cycles: 1, at: Start.AddHours(1));
        await SavedResearchAsync(store, "owner-b", cycles: 1);

        Assert.Equal([newer.Id, older.Id], (await store.ListByOwnerAsync("owner-a")).Select(r => r.Id));
        Assert.Single(await store.ListByOwnerAsync("owner-b"));
        Assert.Empty(await store.ListByOwnerAsync("owner-c"));
    }

    [Fact]
    public async Task AShareLink_OpensTheResearch_UntilRevoked()
    {
        var store = await NewStoreAsync();
        var (record, _) = await SavedResearchAsync(store, cycles: 1);
        var token = ResearchIds.New();

        Assert.Null(await store.GetByShareTokenAsync(token));
        Assert.True(await store.SetShareTokenAsync(record.Id, token));
        Assert.Equal(record.Id, (await store.GetByShareTokenAsync(token))?.Id);
        Assert.Equal([record.Id], (await store.ListSharedAsync()).Select(r => r.Id));

        Assert.True(await store.SetShareTokenAsync(record.Id, null));
        Assert.Null(await store.GetByShareTokenAsync(token));
        Assert.Empty(await store.ListSharedAsync());
    }

    [Fact]
    public async Task DeletingResearch_RemovesAllItsContent_AndNothingElse()
    {
        var store = await NewStoreAsync();
        var (gone, _) = await SavedResearchAsync(store, cycles: 2, seed: 1);
        var (kept, keptState) = await SavedResearchAsync(store, cycles: 1, seed: 2);

        Assert.True(await store.DeleteAsync(gone.Id));

        Assert.Null(await store.GetRecordAsync(gone.Id));
        Assert.Null(await store.LoadAsync(gone.Id));
        var stats = await store.StatsAsync();
        Assert.Equal((1, 9L, 12L), (stats.Research, stats.Hypotheses, stats.Matches));
        DeepAssert.Equal(keptState.Snapshot(), await store.LoadAsync(kept.Id));
        // A cycle still running when its research is deleted saves nothing back.
        Assert.False(await store.SaveHypothesisAsync(gone.Id, keptState.Get("H001")));
        Assert.False(await store.DeleteAsync(gone.Id));
    }

    [Fact]
    public async Task TheRetentionSweep_DeletesOnlyStaleResearchNobodyShared()
    {
        var store = await NewStoreAsync();
        var stale = Start.AddDays(-40);
        var (forgotten, _) = await SavedResearchAsync(store, cycles: 1, at: stale);
        var (shared, _) = await SavedResearchAsync(store, cycles: 1, at: stale);
        var (example, _) = await SavedResearchAsync(store, cycles: 1, at: stale);
        var (recent, _) = await SavedResearchAsync(store, cycles: 1, at: Start.AddDays(-2));
        await store.SetShareTokenAsync(shared.Id, ResearchIds.New());
        await store.SetExampleAsync(example.Id, true);

        Assert.Equal(1, await store.DeleteInactiveAsync(Start.AddDays(-30)));

        Assert.Null(await store.GetRecordAsync(forgotten.Id));
        foreach (var id in new[] { shared.Id, example.Id, recent.Id })
            Assert.NotNull(await store.LoadAsync(id));
        Assert.Equal([example.Id], (await store.ListExamplesAsync()).Select(r => r.Id));
    }

    [Fact]
    public async Task ACycleCutShortByARestart_IsMarkedInterrupted_KeepingWhatWasSaved()
    {
        var place = await NewPlaceAsync();
        var store = OpenStore(place);
        var (record, state) = await SavedResearchAsync(store, cycles: 1);
        state.StartCycle();
        var h = state.Add(new HypothesisDraft("half-way", "s", "r", "p"));
        await store.SaveChangesAsync(record.Id, new ResearchChanges { Hypotheses = [h], Summary = new(2, 0.01m, Start.AddHours(1), RunningCycle: 2) });

        var restarted = OpenStore(place);
        var interrupted = Assert.Single(await restarted.InterruptedAsync());
        Assert.Equal((record.Id, 2), (interrupted.Id, interrupted.RunningCycle));
        Assert.True(await restarted.MarkInterruptedAsync(record.Id, 2, Start.AddHours(2)));
        Assert.False(await restarted.MarkInterruptedAsync(record.Id, 1, Start.AddHours(2))); // cycle 1 is not running

        var loaded = (await restarted.LoadAsync(record.Id))!;
        Assert.Equal(2, loaded.Cycle);
        Assert.Equal([CycleOutcome.Completed, CycleOutcome.Interrupted], loaded.Reports.Select(r => r.Outcome));
        Assert.Contains(loaded.Hypotheses, x => x.Title == "half-way");
        Assert.Empty(await restarted.InterruptedAsync());
    }

    [Fact]
    public async Task MarkingACycleInterrupted_LeavesTheNextCycle_ThatStartedMeanwhile_Running()
    {
        var store = await NewStoreAsync();
        var (record, _) = await SavedResearchAsync(store, cycles: 1);
        // Cycle 2 was seen running; it ended and cycle 3 started before the mark came.
        await store.UpdateSummaryAsync(record.Id, new(2, 0.01m, Start.AddHours(1), RunningCycle: 3));

        Assert.False(await store.MarkInterruptedAsync(record.Id, 2, Start.AddHours(2)));

        Assert.Equal(3, (await store.GetRecordAsync(record.Id))!.RunningCycle);
        Assert.DoesNotContain((await store.LoadAsync(record.Id))!.Reports, r => r.Outcome == CycleOutcome.Interrupted);
    }

    [Fact]
    public async Task Renaming_ChangesTheTitleButNotTheGoal()
    {
        var store = await NewStoreAsync();
        var (record, _) = await SavedResearchAsync(store, cycles: 1);

        Assert.True(await store.RenameAsync(record.Id, "  Safer batteries  "));

        var renamed = (await store.GetRecordAsync(record.Id))!;
        Assert.Equal(("Safer batteries", record.Goal), (renamed.Title, renamed.Goal));
        await Assert.ThrowsAsync<ArgumentException>(() => store.RenameAsync(record.Id, " "));
        Assert.False(await store.RenameAsync("no-such-id", "x"));
    }
}
