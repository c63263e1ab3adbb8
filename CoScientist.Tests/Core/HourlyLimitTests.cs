using Microsoft.Extensions.Time.Testing;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Core;

/// <summary>The per-visitor hourly limit on the shared key, across restarts of the server, whatever holds the ledger.</summary>
public abstract class HourlyLimitBehaviour : IAsyncLifetime
{
    protected static readonly DateTimeOffset Nine = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Nine);
    protected readonly string DataDir = CoreHarness.NewDataDir();
    protected readonly ClientKey Visitor = new("ip-hash-1", "browser-hash-1");
    private FakeOpenRouterServer _server = null!;

    private string? _postgres;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync();
        _postgres = await NewPostgresDatabaseAsync();
    }

    /// <summary>Null: the ledger is SQLite under DATA_DIR; otherwise the PostgreSQL database every "process" of a test shares.</summary>
    protected abstract Task<string?> NewPostgresDatabaseAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>A server process over the test's data directory: a new one is what a restart gives.</summary>
    protected ServiceProvider Process() => CoreHarness.Create(_server, new Dictionary<string, string?>
    {
        ["DATA_DIR"] = DataDir,
        ["ConnectionStrings:Postgres"] = _postgres,
        ["cost_control:max_cycles_per_client_per_hour"] = "2",
    }, more: s => s.AddSingleton<TimeProvider>(_clock));

    protected static void Run(ServiceProvider process, ClientKey client, KeyKind keyKind = KeyKind.Operator)
    {
        var (lease, block) = process.GetRequiredService<ClientQuotas>().TryStartCycle(client, keyKind);
        Assert.True(lease is not null, $"the cycle was refused: {block?.Message}");
        lease.Dispose();
    }

    [Fact]
    public async Task AVisitorAtTheHourlyLimit_IsStillRefusedAfterARestart_UntilTheWindowSlides()
    {
        await using (var before = Process())
        {
            Run(before, Visitor);
            _clock.Advance(TimeSpan.FromMinutes(20));
            Run(before, Visitor);
        }

        await using var after = Process();
        var quotas = after.GetRequiredService<ClientQuotas>();
        var (lease, block) = quotas.TryStartCycle(Visitor, KeyKind.Operator);
        var (_, sameBrowserNewNetwork) = quotas.TryStartCycle(Visitor with { IpHash = "ip-hash-2" }, KeyKind.Operator);

        Assert.Null(lease);
        Assert.Equal(LimitKind.ClientCyclesPerHour, block!.Kind);
        Assert.Equal(Nine.AddHours(1), block.ResetsAt);
        Assert.Contains("2/2 cycles in the last hour", block.Message);
        Assert.Contains("10:00 UTC", block.Message);
        Assert.Equal(LimitKind.ClientCyclesPerHour, sameBrowserNewNetwork?.Kind);

        _clock.Advance(TimeSpan.FromMinutes(40)); // 10:00: the 9:00 cycle has left the window, the 9:20 one has not
        Run(after, Visitor);
        var (_, again) = quotas.TryStartCycle(Visitor, KeyKind.Operator);
        Assert.Equal(Nine.AddMinutes(80), again?.ResetsAt);
    }

    [Fact]
    public async Task OwnKeyCycles_DoNotCountTowardTheHourlyLimit_AfterARestart()
    {
        await using (var before = Process())
            for (var i = 0; i < 3; i++)
                Run(before, Visitor, KeyKind.Visitor);

        await using var after = Process();
        Run(after, Visitor);
        Run(after, Visitor);
    }
}

/// <summary>The hourly limit with the embedded ledger, including one written by an older version.</summary>
public sealed class HourlyLimitTests : HourlyLimitBehaviour
{
    protected override Task<string?> NewPostgresDatabaseAsync() => Task.FromResult<string?>(null);

    [Fact]
    public async Task ALedgerFromBeforeTheUpgrade_StillCountsTheLastHoursCyclesByIp()
    {
        // The schema as it was before starts were kept per visitor: cycles knew only the IP hash.
        Directory.CreateDirectory(DataDir);
        using (var old = new SqliteConnection($"Data Source={Path.Combine(DataDir, "ledger.db")};Pooling=False"))
        {
            old.Open();
            using var command = old.CreateCommand();
            command.CommandText = """
                CREATE TABLE cycles (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, finished_at TEXT, session_id TEXT NOT NULL,
                    client_hash TEXT NOT NULL, goal TEXT NOT NULL, model TEXT NOT NULL, key_kind TEXT NOT NULL, outcome TEXT,
                    expected_usd REAL NOT NULL, worst_usd REAL NOT NULL, actual_usd REAL, calls INTEGER);
                INSERT INTO cycles(started_at, session_id, client_hash, goal, model, key_kind, expected_usd, worst_usd) VALUES
                    ($a, 's1', 'ip-hash-1', 'g', 'm', 'Operator', 0, 0),
                    ($b, 's1', 'ip-hash-1', 'g', 'm', 'Operator', 0, 0),
                    ($b, 's2', 'ip-hash-9', 'g', 'm', 'Visitor', 0, 0),
                    ($b, 's2', 'ip-hash-9', 'g', 'm', 'Visitor', 0, 0);
                """;
            command.Parameters.AddWithValue("$a", SpendLedger.Time(Nine.AddMinutes(-50)));
            command.Parameters.AddWithValue("$b", SpendLedger.Time(Nine.AddMinutes(-10)));
            command.ExecuteNonQuery();
        }

        await using var upgraded = Process();
        var (_, block) = upgraded.GetRequiredService<ClientQuotas>().TryStartCycle(Visitor, KeyKind.Operator);

        Assert.Equal(LimitKind.ClientCyclesPerHour, block?.Kind);
        Assert.Equal(Nine.AddMinutes(10), block!.ResetsAt);
        Run(upgraded, new ClientKey("ip-hash-9", "browser-hash-9")); // own-key cycles never counted
    }
}
