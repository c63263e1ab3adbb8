using System.Globalization;
using CoScientist.Core.Llm;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Storage;

/// <summary>
/// The durable record of every LLM call and cycle, in SQLite under DATA_DIR. A call is written as a
/// reservation at its worst-case cost before it is made and settled after, so a crash leaves it
/// counted at its worst case, never lost. A connection is opened per operation.
/// Holds no raw IPs and no keys: clients appear as salted hashes.
/// </summary>
public sealed partial class SpendLedger
{
    private readonly string _connectionString;
    private readonly ILogger<SpendLedger> _logger;

    public SpendLedger(IOptions<StorageOptions> options, ILogger<SpendLedger> logger)
    {
        _logger = logger;
        Path = options.Value.LedgerPath;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = true }.ToString();
        try
        {
            EnsureReady();
            if (OpenReservations() is > 0 and var open)
                _logger.LogWarning("The ledger holds {Count} reservations left open by an earlier run; they count at their worst case", open);
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            // The app still starts, so that it can say what is wrong; it makes no call it cannot record.
            _logger.LogError("The spend ledger at {Path} cannot be opened ({Error}); no LLM call is made until it can", Path, ex.Message);
        }
    }

    private readonly Lock _readyGate = new();
    private volatile bool _ready;

    /// <summary>Creates the directory and the schema on first use, and again after a failure, so a fixed disk is picked up.</summary>
    private void EnsureReady()
    {
        if (_ready) return;
        lock (_readyGate)
        {
            if (_ready) return;
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            Migrate();
            _ready = true;
        }
    }

    /// <summary>The failures that mean the disk under DATA_DIR is unwritable, full or missing.</summary>
    public static bool IsStorageFailure(Exception ex) => ex is SqliteException or IOException or UnauthorizedAccessException;

    public string Path { get; }

    private SqliteConnection Open()
    {
        EnsureReady();
        return OpenRaw();
    }

    private SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 5000;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    private void Migrate()
    {
        using var connection = OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS calls (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                at TEXT NOT NULL,
                session_id TEXT NOT NULL,
                client_hash TEXT NOT NULL,
                model TEXT NOT NULL,
                step TEXT,
                key_kind TEXT NOT NULL,
                status TEXT NOT NULL,
                reserved_usd REAL NOT NULL,
                cost_usd REAL NOT NULL DEFAULT 0,
                input_tokens INTEGER NOT NULL DEFAULT 0,
                output_tokens INTEGER NOT NULL DEFAULT 0,
                generation_id TEXT,
                error TEXT);
            CREATE INDEX IF NOT EXISTS calls_at ON calls(at);
            CREATE TABLE IF NOT EXISTS cycles (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                started_at TEXT NOT NULL,
                finished_at TEXT,
                session_id TEXT NOT NULL,
                client_hash TEXT NOT NULL,
                goal TEXT NOT NULL,
                model TEXT NOT NULL,
                key_kind TEXT NOT NULL,
                outcome TEXT,
                expected_usd REAL NOT NULL,
                worst_usd REAL NOT NULL,
                actual_usd REAL,
                calls INTEGER);
            CREATE INDEX IF NOT EXISTS cycles_started ON cycles(started_at);
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """;
        command.ExecuteNonQuery();
        MigrateClientStarts(connection);
    }

    /// <summary>A per-installation secret that salts client hashes; kept in the ledger so hashes stay stable across restarts.</summary>
    public string ClientSalt()
    {
        using var connection = Open();
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT OR IGNORE INTO meta(key, value) VALUES ('client_salt', $v); SELECT value FROM meta WHERE key = 'client_salt';";
        insert.Parameters.AddWithValue("$v", Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        return (string)insert.ExecuteScalar()!;
    }

    public long Reserve(CallReservation call)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO calls(at, session_id, client_hash, model, step, key_kind, status, reserved_usd)
            VALUES ($at, $session, $client, $model, $step, $kind, 'Reserved', $reserved);
            SELECT last_insert_rowid();
            """;
        command.Parameters.AddWithValue("$at", Time(call.At));
        command.Parameters.AddWithValue("$session", call.SessionId);
        command.Parameters.AddWithValue("$client", call.ClientHash);
        command.Parameters.AddWithValue("$model", call.Model);
        command.Parameters.AddWithValue("$step", (object?)call.Step ?? DBNull.Value);
        command.Parameters.AddWithValue("$kind", call.KeyKind.ToString());
        command.Parameters.AddWithValue("$reserved", (double)call.ReservedUsd);
        return (long)command.ExecuteScalar()!;
    }

    public void Settle(long id, CallStatus status, decimal costUsd, long inputTokens, long outputTokens, string? generationId, string? error)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE calls SET status = $status, cost_usd = $cost, input_tokens = $in, output_tokens = $out,
                generation_id = $gen, error = $error WHERE id = $id;
            """;
        command.Parameters.AddWithValue("$status", status.ToString());
        command.Parameters.AddWithValue("$cost", (double)costUsd);
        command.Parameters.AddWithValue("$in", inputTokens);
        command.Parameters.AddWithValue("$out", outputTokens);
        command.Parameters.AddWithValue("$gen", (object?)generationId ?? DBNull.Value);
        command.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
        command.Parameters.AddWithValue("$id", id);
        command.ExecuteNonQuery();
    }

    /// <summary>OpenRouter confirmed what an unconfirmed call cost: its worst case gives way to the real figure.</summary>
    public bool Confirm(long id, decimal costUsd, long inputTokens, long outputTokens)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE calls SET status = 'Failed', cost_usd = $cost, input_tokens = $in, output_tokens = $out,
                error = COALESCE(error, '') || ' (cost confirmed by OpenRouter)' WHERE id = $id AND status = 'Unconfirmed';
            """;
        command.Parameters.AddWithValue("$cost", (double)costUsd);
        command.Parameters.AddWithValue("$in", inputTokens);
        command.Parameters.AddWithValue("$out", outputTokens);
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteNonQuery() == 1;
    }

    /// <summary>Operator-key spend since <paramref name="from"/>: settled costs, plus open reservations at their worst case.</summary>
    public decimal OperatorSpendSince(DateTimeOffset from)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COALESCE(SUM(CASE status WHEN 'Reserved' THEN reserved_usd ELSE cost_usd END), 0)
            FROM calls WHERE key_kind = 'Operator' AND at >= $from;
            """;
        command.Parameters.AddWithValue("$from", Time(from));
        return Convert.ToDecimal(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public long StartCycle(CycleRecord cycle)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO cycles(started_at, session_id, client_hash, goal, model, key_kind, expected_usd, worst_usd)
            VALUES ($at, $session, $client, $goal, $model, $kind, $expected, $worst);
            SELECT last_insert_rowid();
            """;
        command.Parameters.AddWithValue("$at", Time(cycle.StartedAt));
        command.Parameters.AddWithValue("$session", cycle.SessionId);
        command.Parameters.AddWithValue("$client", cycle.ClientHash);
        command.Parameters.AddWithValue("$goal", cycle.Goal.Length > 500 ? cycle.Goal[..500] : cycle.Goal);
        command.Parameters.AddWithValue("$model", cycle.Model);
        command.Parameters.AddWithValue("$kind", cycle.KeyKind.ToString());
        command.Parameters.AddWithValue("$expected", (double)cycle.ExpectedUsd);
        command.Parameters.AddWithValue("$worst", (double)cycle.WorstUsd);
        return (long)command.ExecuteScalar()!;
    }

    public void FinishCycle(long id, DateTimeOffset finishedAt, string outcome, decimal actualUsd, int calls)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE cycles SET finished_at = $at, outcome = $outcome, actual_usd = $actual, calls = $calls WHERE id = $id;";
        command.Parameters.AddWithValue("$at", Time(finishedAt));
        command.Parameters.AddWithValue("$outcome", outcome);
        command.Parameters.AddWithValue("$actual", (double)actualUsd);
        command.Parameters.AddWithValue("$calls", calls);
        command.Parameters.AddWithValue("$id", id);
        command.ExecuteNonQuery();
    }

    public string? Setting(string key)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = $key;";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as string;
    }

    public void SetSetting(string key, string value)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO meta(key, value) VALUES ($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value;";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

    /// <summary>Throws unless the ledger accepts a write right now (readiness check).</summary>
    public void CheckWritable()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO meta(key, value) VALUES ('ready_check', $at) ON CONFLICT(key) DO UPDATE SET value = excluded.value;";
        command.Parameters.AddWithValue("$at", Time(DateTimeOffset.UtcNow));
        command.ExecuteNonQuery();
    }

    /// <summary>Reservations a previous process left open (it stopped mid-call); they stay counted at worst case.</summary>
    public int OpenReservations()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM calls WHERE status = 'Reserved';";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    // ISO 8601 in UTC sorts as text, so range queries on it are correct.
    internal static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTime(string s) =>
        DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
