using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CoScientist.Tests.Benchmarks;

/// <summary>
/// What moving the ledger and the research to PostgreSQL costs a cycle: the same cycles (N = 6, zero LLM latency, so
/// storage's share is as large as it can be) with both in SQLite and both in PostgreSQL on this machine, alternated.
/// The PostgreSQL cluster is made durable first (fsync and synchronous commit on), as a production one would be.
/// </summary>
public static class PostgresBenchmark
{
    public static async Task RunAsync()
    {
        Console.WriteLine("Ledger and research in SQLite vs PostgreSQL (local, durable): cycle wall time and save latency (N=6, zero latency, alternated, after a warm-up)");
        await using var postgres = await PostgresServer.StartAsync();
        await using (var admin = new NpgsqlConnection(postgres.AdminConnectionString))
        {
            await admin.OpenAsync();
            foreach (var sql in new[] { "ALTER SYSTEM SET fsync = on", "ALTER SYSTEM SET synchronous_commit = on", "ALTER SYSTEM SET full_page_writes = on", "SELECT pg_reload_conf()" })
                await new NpgsqlCommand(sql, admin).ExecuteNonQueryAsync();
        }
        await using var server = await FakeOpenRouterServer.StartAsync(seed: 31);
        var sqliteSaves = new ConcurrentBag<double>();
        var postgresSaves = new ConcurrentBag<double>();
        await using var sqlite = Services(server, null, sqliteSaves);
        await using var onPostgres = Services(server, await postgres.CreateDatabaseAsync(), postgresSaves);
        await PersistenceBenchmark.TimeCycleAsync(sqlite);
        await PersistenceBenchmark.TimeCycleAsync(onPostgres);
        sqliteSaves.Clear();
        postgresSaves.Clear();
        var sqliteCycles = new List<double>();
        var postgresCycles = new List<double>();
        for (var round = 0; round < 20; round++)
            foreach (var pg in round % 2 == 0 ? new[] { false, true } : [true, false])
                (pg ? postgresCycles : sqliteCycles).Add(await PersistenceBenchmark.TimeCycleAsync(pg ? onPostgres : sqlite));
        Report("SQLite", sqliteCycles, sqliteSaves);
        Report("PostgreSQL", postgresCycles, postgresSaves);
    }

    private static void Report(string name, List<double> cycles, IEnumerable<double> saves)
    {
        var s = saves.ToList();
        Console.WriteLine($"  {name,-10}  cycle median {Percentile(cycles, 0.5),7:0.0} ms, p95 {Percentile(cycles, 0.95),7:0.0} ms ({cycles.Count} cycles);"
                          + $"  save median {Percentile(s, 0.5):0.00} ms, p95 {Percentile(s, 0.95):0.00} ms ({s.Count / cycles.Count} saves a cycle)");
    }

    private static ServiceProvider Services(FakeOpenRouterServer server, string? postgres, ConcurrentBag<double> saves) => CoreHarness.Create(server, new Dictionary<string, string?>
    {
        ["ConnectionStrings:Postgres"] = postgres,
        ["num_hypotheses"] = "6",
        ["cost_control:max_cycles_per_client_per_hour"] = "1000",
        ["deployment:max_cycles_per_session"] = "1000",
        ["cost_control:per_session_limit_requests"] = "1000",
        ["cost_control:daily_spending_limit_usd"] = "1000",
        ["cost_control:monthly_spending_limit_usd"] = "1000",
    }, more: s => s.AddSingleton<IResearchStore>(sp =>
    {
        IResearchStore inner = postgres is null
            ? new SqliteResearchStore(sp.GetRequiredService<IOptions<StorageOptions>>(), sp.GetRequiredService<ILogger<SqliteResearchStore>>())
            : new PostgresResearchStore(new PostgresDatabase(postgres), sp.GetRequiredService<ILogger<PostgresResearchStore>>());
        return TimedStore.Around(inner, saves);
    }));

    private static double Percentile(List<double> values, double p) =>
        values.Count == 0 ? 0 : values.Order().ElementAt(Math.Min(values.Count - 1, (int)(values.Count * p)));

    /// <summary>Times each SaveChangesAsync of the store it wraps.</summary>
    public class TimedStore : DispatchProxy
    {
        private IResearchStore _inner = null!;
        private ConcurrentBag<double> _saves = null!;

        public static IResearchStore Around(IResearchStore inner, ConcurrentBag<double> saves)
        {
            var store = Create<IResearchStore, TimedStore>();
            ((TimedStore)(object)store)._inner = inner;
            ((TimedStore)(object)store)._saves = saves;
            return store;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            var watch = Stopwatch.StartNew();
            var result = method!.Invoke(_inner, args);
            if (method.Name == nameof(IResearchStore.SaveChangesAsync) && result is Task task)
                task.ContinueWith(_ => _saves.Add(watch.Elapsed.TotalMilliseconds), TaskScheduler.Default);
            return result;
        }
    }
}
