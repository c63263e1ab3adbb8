using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Storage;

/// <summary>
/// Where the spend ledger lives, and the little that differs by engine: opening a connection, the schema, which
/// failures mean the storage is gone, and how a row is addressed. The ledger's queries are one text for both.
/// </summary>
internal abstract class LedgerDatabase
{
    /// <summary>What the admin page and the logs name as the ledger's place; never holds a password.</summary>
    public abstract string Description { get; }
    /// <param name="flush">
    /// Whether each commit waits until it is on the disk. Either way a commit survives the process dying (a crash, a
    /// kill -9); without the flush a power cut or an operating-system crash may lose the last few. Rows whose loss
    /// errs on the safe side (a settlement lost leaves its call counted at its worst case) or costs no money (a cycle's
    /// row, a visitor's start, a readiness probe) are written without it; a reservation, which must be on the disk before
    /// its call is made, and the kill switch are written with it.
    /// </param>
    public abstract DbConnection Open(bool flush = true);
    public abstract void Migrate(ILogger logger);
    /// <summary>The hidden column that tells apart rows with equal values.</summary>
    public abstract string RowId { get; }
    /// <summary>The failures that mean the ledger cannot be read or written now; may reset state to recover from them.</summary>
    public abstract bool IsFailure(Exception ex);
}

internal sealed class SqliteLedgerDatabase(string path) : LedgerDatabase
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();

    public override string Description => path;
    public override string RowId => "rowid";

    public override DbConnection Open(bool flush = true)
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // Set on every opening: a pooled connection keeps what its last user set. Under WAL, FULL syncs the log at
        // each commit (which also puts on the disk every unflushed commit before it); NORMAL leaves that to the OS.
        using var pragma = connection.Command(flush
            ? "PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL;"
            : "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;");
        pragma.ExecuteNonQuery();
        return connection;
    }

    public override bool IsFailure(Exception ex) => SpendLedger.IsStorageFailure(ex);

    public override void Migrate(ILogger logger)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var connection = Open();
        using var command = connection.Command("""
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
            CREATE TABLE IF NOT EXISTS alerts (key TEXT PRIMARY KEY, period TEXT NOT NULL, raised_at TEXT NOT NULL, message TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS calls_reserved ON calls(at) WHERE status = 'Reserved';
            """);
        command.ExecuteNonQuery();
        MigrateClientStarts(connection);
    }

    private static void MigrateClientStarts(DbConnection connection)
    {
        using var exists = connection.Command("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'client_starts';");
        if (Convert.ToInt32(exists.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0)
            return;
        // A ledger from before this table knew each cycle's IP hash only: those starts count by IP.
        using var transaction = connection.BeginTransaction();
        using var create = connection.Command("""
            CREATE TABLE client_starts (at TEXT NOT NULL, ip_hash TEXT NOT NULL, browser_hash TEXT);
            CREATE INDEX client_starts_at ON client_starts(at);
            CREATE INDEX client_starts_ip ON client_starts(ip_hash, at);
            CREATE INDEX client_starts_browser ON client_starts(browser_hash, at);
            INSERT INTO client_starts(at, ip_hash) SELECT started_at, client_hash FROM cycles WHERE key_kind = 'Operator';
            """);
        create.Transaction = transaction;
        create.ExecuteNonQuery();
        transaction.Commit();
    }
}

/// <summary>
/// The ledger in PostgreSQL. Times stay ISO 8601 text, in the "C" collation so they sort as they do in SQLite and every
/// query is shared; money is numeric, so sums are exact.
/// </summary>
internal sealed class PostgresLedgerDatabase(PostgresDatabase database) : LedgerDatabase, IDisposable
{
    /// <summary>Never edit a released step: add one.</summary>
    internal static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE calls (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            at text COLLATE "C" NOT NULL,
            session_id text NOT NULL,
            client_hash text NOT NULL,
            model text NOT NULL,
            step text,
            key_kind text NOT NULL,
            status text NOT NULL,
            reserved_usd numeric(24, 12) NOT NULL,
            cost_usd numeric(24, 12) NOT NULL DEFAULT 0,
            input_tokens bigint NOT NULL DEFAULT 0,
            output_tokens bigint NOT NULL DEFAULT 0,
            generation_id text,
            error text);
        CREATE INDEX calls_at ON calls(at);
        CREATE TABLE cycles (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            started_at text COLLATE "C" NOT NULL,
            finished_at text COLLATE "C",
            session_id text NOT NULL,
            client_hash text NOT NULL,
            goal text NOT NULL,
            model text NOT NULL,
            key_kind text NOT NULL,
            outcome text,
            expected_usd numeric(24, 12) NOT NULL,
            worst_usd numeric(24, 12) NOT NULL,
            actual_usd numeric(24, 12),
            calls integer);
        CREATE INDEX cycles_started ON cycles(started_at);
        CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE client_starts (at text COLLATE "C" NOT NULL, ip_hash text NOT NULL, browser_hash text);
        CREATE INDEX client_starts_at ON client_starts(at);
        CREATE INDEX client_starts_ip ON client_starts(ip_hash, at);
        CREATE INDEX client_starts_browser ON client_starts(browser_hash, at);
        """,
        // Operator alerts sent: the key is the claim, so several instances send each alert once. The open reservations'
        // index keeps the sweep of abandoned ones from reading the whole (never trimmed) calls table.
        """
        CREATE TABLE alerts (key text PRIMARY KEY, period text NOT NULL, raised_at text COLLATE "C" NOT NULL, message text NOT NULL);
        CREATE INDEX calls_reserved ON calls(at) WHERE status = 'Reserved';
        """,
    ];

    public const string Schema = "ledger";

    public override string Description => database.Description;
    public override string RowId => "ctid";
    /// <summary>PostgreSQL commits concurrent transactions with one flush of its log already; every commit here is flushed.</summary>
    public override DbConnection Open(bool flush = true) => database.Open();
    public override bool IsFailure(Exception ex) => database.IsFailure(ex);
    public override void Migrate(ILogger logger) => database.Migrate(Schema, Migrations, logger);
    public void Dispose() => database.Dispose();
}
