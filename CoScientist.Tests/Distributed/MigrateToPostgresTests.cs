using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Core;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Distributed;

/// <summary>An embedded installation moves to PostgreSQL with everything it holds, and never over data already there.</summary>
public sealed class MigrateToPostgresTests
{
    private static readonly DateTimeOffset At = ResearchStoreTests.Start;

    [Fact]
    public async Task MigrateToPostgres_CopiesTheLedgerAndEveryResearch_WhichReadBackTheSame_AndRefusesToCopyTwice()
    {
        var dataDir = CoreHarness.NewDataDir();
        var options = Options.Create(new StorageOptions { DataDir = dataDir });
        var ledger = new SpendLedger(options, NullLogger<SpendLedger>.Instance);
        var salt = ledger.ClientSalt();
        ledger.SetSetting("kill_switch", "true");
        var settled = ledger.Reserve(new CallReservation(At, "s1", "c1", "google/gemini-2.5-flash", "Generation", KeyKind.Operator, 0.02m));
        ledger.Settle(settled, CallStatus.Settled, 0.0123456789m, 1200, 340, "gen-1", null);
        ledger.Reserve(new CallReservation(At.AddMinutes(1), "s1", "c1", "google/gemini-2.5-flash", "Ranking", KeyKind.Operator, 0.03m));
        ledger.Reserve(new CallReservation(At.AddMinutes(2), "s2", "c2", "openai/gpt-4o", null, KeyKind.Visitor, 0.5m));
        var cycle = ledger.StartCycle(new CycleRecord(At, "s1", "c1", "Explain antibiotic resistance", "google/gemini-2.5-flash", KeyKind.Operator, 0.01m, 0.05m));
        ledger.FinishCycle(cycle, At.AddMinutes(3), "Completed", 0.0123456789m, 2);
        ledger.RecordClientStart(At, "ip-1", "browser-1", At.AddHours(-1));
        var sqlite = ResearchStoreTests.NewStore(dataDir);
        var (research, state) = await ResearchStoreTests.SavedResearchAsync(sqlite, cycles: 2);
        var (shared, _) = await ResearchStoreTests.SavedResearchAsync(sqlite, owner: "owner-b", cycles: 1, seed: 2);
        await sqlite.SetShareTokenAsync(shared.Id, ResearchIds.New());
        await sqlite.SetExampleAsync(shared.Id, true);
        var votes = new[] { new Vote("V1", 1, "H001", "H002", "H002", At), new Vote("V2", 2, "H003", "H001", "H003", At.AddMinutes(1)) };
        await sqlite.SaveChangesAsync(research.Id, new ResearchChanges { Votes = votes, Directive = new DirectiveChange("Focus on solid electrolytes") });
        var database = await PostgresStorage.NewDatabaseAsync();
        var output = new StringWriter();

        var exit = await MigrateToPostgresCommand.RunAsync(
            [MigrateToPostgresCommand.Name, $"--DATA_DIR={dataDir}", $"--ConnectionStrings:Postgres={database}"], output);

        Assert.True(exit == 0, output.ToString());
        Assert.Matches(@"calls\s+3 rows", output.ToString());
        Assert.Matches(@"votes\s+2 rows", output.ToString());
        using var store = PostgresStorage.Store(database);
        foreach (var id in new[] { research.Id, shared.Id })
        {
            DeepAssert.Equal(await sqlite.GetRecordAsync(id), await store.GetRecordAsync(id));
            DeepAssert.Equal(await sqlite.LoadAsync(id), await store.LoadAsync(id));
        }
        Assert.Equal(votes, (await store.LoadAsync(research.Id))!.Votes);
        Assert.Equal("Focus on solid electrolytes", (await store.LoadAsync(research.Id))!.PendingDirective);
        Assert.Equal(state.Snapshot().Hypotheses.Count, (await store.LoadAsync(research.Id))!.Hypotheses.Count);
        DeepAssert.Equal(await sqlite.StatsAsync() with { StorageBytes = 0 }, await store.StatsAsync() with { StorageBytes = 0 });

        using var moved = PostgresStorage.Ledger(database);
        var since = At.AddDays(-1);
        Assert.Equal(salt, moved.ClientSalt());
        Assert.Equal("true", moved.Setting("kill_switch"));
        Assert.Equal(ledger.OperatorSpendSince(since), moved.OperatorSpendSince(since));
        Assert.Equal(0.0423456789m, moved.OperatorSpendSince(since));
        Assert.Equal(2, moved.OpenReservations()); // the operator call and the visitor's call left open, at their worst case
        DeepAssert.Equal(ledger.SpendByModel(since), moved.SpendByModel(since));
        DeepAssert.Equal(ledger.Sessions(since), moved.Sessions(since));
        // SQLite's REAL arithmetic rounds in the 16th digit where PostgreSQL's numeric does not.
        Assert.Equal(ledger.Accuracy(since).MeanRatio, moved.Accuracy(since).MeanRatio, 12);
        DeepAssert.Equal(ledger.ClientStartsAfter("ip-1", "browser-1", since), moved.ClientStartsAfter("ip-1", "browser-1", since));
        Assert.True(moved.Reserve(new CallReservation(At, "s3", "c3", "m", null, KeyKind.Operator, 0.01m)) > settled + 2, "a new call reused a copied id");

        var again = new StringWriter();
        Assert.Equal(1, await MigrateToPostgresCommand.RunAsync(
            [MigrateToPostgresCommand.Name, $"--DATA_DIR={dataDir}", $"--ConnectionStrings:Postgres={database}"], again));
        Assert.Contains("already holds data", again.ToString());
        Assert.DoesNotContain("Password", again.ToString() + output, StringComparison.OrdinalIgnoreCase);
    }
}
