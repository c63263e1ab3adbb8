using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Storage;

/// <summary>
/// Saved research in SQLite (research.db under DATA_DIR), the embedded default <see cref="IResearchStore"/>: its
/// connections, its versioned schema (PRAGMA user_version) and how its failures reach callers. Writers queue on
/// SQLite's lock; its work is synchronous underneath, so the tasks it returns are already complete.
/// </summary>
public sealed class SqliteResearchStore : SqlResearchStore
{
    private readonly string _connectionString;
    private readonly ILogger _logger;
    private readonly int _targetVersion;

    public SqliteResearchStore(IOptions<StorageOptions> options, ILogger<SqliteResearchStore> logger)
        : this(options.Value.ResearchPath, logger, CurrentVersion) { }

    /// <summary>Opens <paramref name="path"/> migrated up to <paramref name="targetVersion"/>; tests build old schemas with it.</summary>
    internal SqliteResearchStore(string path, ILogger logger, int targetVersion) : base(logger)
    {
        Path = path;
        _logger = logger;
        _targetVersion = targetVersion;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, ForeignKeys = true }.ToString();
    }

    public string Path { get; }

    private protected override string Description => Path;

    /// <summary>
    /// The schema's history, oldest first; the database's PRAGMA user_version is the last step applied.
    /// Never edit a released step: add one. Each runs in its own transaction with the version bump.
    /// </summary>
    internal static readonly IReadOnlyList<string> Migrations =
    [
        // 1: records and their content. Content rows hold a record as JSON (a server database could use jsonb);
        // hypotheses keep their embedding apart as float32 bytes.
        """
        CREATE TABLE research (
            id TEXT PRIMARY KEY,
            owner_id TEXT NOT NULL,
            title TEXT NOT NULL,
            goal TEXT NOT NULL,
            model TEXT NOT NULL,
            settings_json TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_activity_at TEXT NOT NULL,
            cycles INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            share_token TEXT UNIQUE,
            is_example INTEGER NOT NULL DEFAULT 0,
            running_cycle INTEGER,
            goal_embedding BLOB);
        CREATE INDEX research_owner ON research(owner_id, last_activity_at);
        CREATE TABLE hypotheses (
            research_id TEXT NOT NULL REFERENCES research(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            data TEXT NOT NULL,
            embedding BLOB,
            PRIMARY KEY (research_id, id));
        CREATE TABLE matches (
            research_id TEXT NOT NULL REFERENCES research(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (research_id, id));
        CREATE TABLE meta_reviews (
            research_id TEXT NOT NULL REFERENCES research(id) ON DELETE CASCADE,
            cycle INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (research_id, cycle));
        CREATE TABLE cycle_reports (
            research_id TEXT NOT NULL REFERENCES research(id) ON DELETE CASCADE,
            cycle INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (research_id, cycle));
        """,
        // 2: the retention sweep reads only research that may expire.
        "CREATE INDEX research_expiring ON research(last_activity_at) WHERE share_token IS NULL AND is_example = 0;",
        // 3: the papers a research retrieved, under the numbers its hypotheses and reviews cite.
        """
        CREATE TABLE papers (
            research_id TEXT NOT NULL REFERENCES research(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (research_id, number));
        """,
        // 4: the owner's votes (a track beside the judge's matches) and the directive waiting for the next cycle.
        """
        CREATE TABLE votes (
            research_id TEXT NOT NULL REFERENCES research(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (research_id, id));
        ALTER TABLE research ADD COLUMN pending_directive TEXT;
        """,
    ];

    public static int CurrentVersion => Migrations.Count;

    private readonly WriteQueue _writers = new();
    private protected override WriteQueue? Writers => _writers;

    private readonly Lock _readyGate = new();
    private volatile bool _ready;

    private protected override Task<DbConnection> OpenAsync()
    {
        EnsureMigrated();
        return Task.FromResult<DbConnection>(Connect());
    }

    private protected override Task<DbTransaction> BeginReadAsync(DbConnection connection) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: true));

    private protected override Task<long> StorageBytesAsync(DbConnection connection) =>
        Task.FromResult(new[] { Path, Path + "-wal" }.Select(f => new FileInfo(f)).Where(f => f.Exists).Sum(f => f.Length));

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        // synchronous=NORMAL under WAL: a commit survives the process dying, only a power cut may lose the
        // last few; it keeps a save after every finished item cheap.
        pragma.CommandText = "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>
    /// Migrates on first use rather than at construction: storage that is down then must not stop the app
    /// from starting, and a later call tries again.
    /// </summary>
    private void EnsureMigrated()
    {
        if (_ready) return;
        lock (_readyGate)
        {
            if (_ready) return;
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            using var connection = Connect();
            Execute(connection, "PRAGMA journal_mode = WAL;");
            var from = Version(connection);
            if (from > Migrations.Count)
                throw new StorageUnavailableException(
                    $"Saved research is unavailable: {Path} was written by a newer version of CoScientist (schema {from}, this version knows {Migrations.Count}).");
            for (var version = from + 1; version <= _targetVersion; version++)
            {
                using var transaction = connection.BeginTransaction();
                // Another process may have migrated between our reading the version and taking the write lock.
                if (Version(connection) >= version) continue;
                Execute(connection, Migrations[version - 1] + $"\nPRAGMA user_version = {version};");
                transaction.Commit();
            }
            if (from < _targetVersion)
                _logger.LogInformation("Research store {Path} migrated from schema {From} to {To}", Path, from, _targetVersion);
            _ready = true;
        }
    }

    private static int Version(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private protected override string? Unavailable(Exception e) => e switch
    {
        SqliteException { SqliteErrorCode: 13 } => "the server's disk is full",
        SqliteException { SqliteErrorCode: 3 or 8 or 14 } => "the server's storage cannot be written (read-only or missing)",
        SqliteException { SqliteErrorCode: 5 or 6 } => "the storage stayed busy too long",
        SqliteException { SqliteErrorCode: 10 } => "the server's disk reported an error",
        SqliteException { SqliteErrorCode: 11 or 26 } => "the research database is damaged",
        IOException or UnauthorizedAccessException => "the server's storage cannot be reached",
        _ => null,
    };
}
