using System.Diagnostics;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Benchmarks;

/// <summary>
/// What saving research costs: bytes per cycle, the time of a save after every finished item (as the research
/// host saves), and the time to open a research of ten cycles.
/// </summary>
public static class StoreBenchmark
{
    private const int Cycles = 10;
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);

    public static async Task RunAsync()
    {
        Console.WriteLine($"Research store: research.db (SQLite, WAL), {Cycles} cycles of N=6: 9 hypotheses (3 evolved) reviewed and embedded, " +
                          $"{SampleResearch.MatchesPerCycle} matches (1 debate), a meta-review; saved after every finished item");
        await SaveAsync(NewStore(), 2, seed: 99, report: false); // warm-up: JIT and the connection pool
        var store = NewStore();
        var id = await SaveAsync(store, Cycles, seed: 1, report: true);

        var loads = new List<double>();
        ResearchSnapshot? snapshot = null;
        for (var i = 0; i < 30; i++)
        {
            var watch = Stopwatch.StartNew();
            snapshot = await store.LoadAsync(id);
            ResearchState.Restore(snapshot!);
            loads.Add(watch.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"  open a research of {Cycles} cycles ({snapshot!.Hypotheses.Count} hypotheses, {snapshot.Matches.Count} matches): " +
                          $"Load + Restore median {Median(loads):F1} ms, min {loads.Min():F1} ms, max {loads.Max():F1} ms (30 loads)");
    }

    private static async Task<string> SaveAsync(SqliteResearchStore store, int cycles, int seed, bool report)
    {
        var record = ResearchRecord.New("owner", "Find ways to make lithium-ion batteries safer", new ResearchSettings { Model = "google/gemini-2.5-flash" }, Start);
        await store.CreateAsync(record);
        var state = new ResearchState(record.Goal);
        var sample = new SampleResearch(seed);
        var size = FileBytes(store.Path);
        if (report)
            Console.WriteLine("  cycle | saves | all saves | item save median / max | whole-research saves (start, finish) | file after | growth");
        for (var cycle = 1; cycle <= cycles; cycle++)
        {
            var changes = new List<ResearchChanges>();
            sample.RunCycle(state, changes.Add, Start.AddMinutes(cycle));
            var times = new List<double>();
            foreach (var change in changes)
            {
                var watch = Stopwatch.StartNew();
                await store.SaveChangesAsync(record.Id, change);
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
            var after = FileBytes(store.Path);
            var items = times.Skip(1).SkipLast(1).ToList(); // the first and last saves carry every hypothesis
            if (report)
                Console.WriteLine($"  {cycle,5} | {times.Count,5} | {times.Sum(),6:F1} ms | {Median(items),6:F2} / {items.Max(),5:F2} ms | " +
                                  $"{times[0],6:F2}, {times[^1],6:F2} ms | {after / 1024.0,7:F0} KiB | {(after - size) / 1024.0,5:F0} KiB");
            size = after;
        }
        if (report)
            Payload(store.Path, cycles);
        return record.Id;
    }

    /// <summary>What the rows hold, apart from SQLite's pages and indexes.</summary>
    private static void Payload(string path, int cycles)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT (SELECT SUM(length(data)) FROM hypotheses), (SELECT SUM(length(embedding)) FROM hypotheses),
                   (SELECT SUM(length(data)) FROM matches), (SELECT SUM(length(data)) FROM meta_reviews), (SELECT SUM(length(data)) FROM cycle_reports);
            """;
        using var r = command.ExecuteReader();
        r.Read();
        var parts = new[] { ("hypotheses JSON", r.GetInt64(0)), ("embeddings", r.GetInt64(1)), ("matches", r.GetInt64(2)),
            ("meta-reviews", r.GetInt64(3)), ("cycle reports", r.GetInt64(4)) };
        Console.WriteLine($"  payload per cycle: {parts.Sum(p => p.Item2) / cycles / 1024.0:F1} KiB (" +
                          string.Join(", ", parts.Select(p => $"{p.Item1} {p.Item2 / cycles / 1024.0:F1}")) + ")");
    }

    /// <summary>The file with its write-ahead log folded in, as it would sit on disk at rest.</summary>
    private static long FileBytes(string path)
    {
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            connection.Open();
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            checkpoint.ExecuteNonQuery();
        }
        return new FileInfo(path).Length + (File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0);
    }

    private static SqliteResearchStore NewStore() => new(
        Options.Create(new StorageOptions { DataDir = Path.Combine(Path.GetTempPath(), "coscientist-bench", Guid.NewGuid().ToString("N")) }),
        NullLogger<SqliteResearchStore>.Instance);

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
