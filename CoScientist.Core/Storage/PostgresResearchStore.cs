using System.Data;
using System.Data.Common;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CoScientist.Core.Storage;

/// <summary>
/// Saved research in PostgreSQL (<c>ConnectionStrings:Postgres</c>), shared by every instance. Same tables and queries as
/// <see cref="SqliteResearchStore"/>: ids and times are text in the "C" collation so they sort alike, content is the same
/// JSON text (jsonb would buy nothing: nothing queries inside it), money is numeric, embeddings bytea.
/// </summary>
public sealed class PostgresResearchStore : SqlResearchStore, IDisposable
{
    public const string Schema = "research";

    /// <summary>The schema's history, recorded in schema_migrations; never edit a released step: add one.</summary>
    internal static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE research (
            id text COLLATE "C" PRIMARY KEY,
            owner_id text NOT NULL,
            title text NOT NULL,
            goal text NOT NULL,
            model text NOT NULL,
            settings_json text NOT NULL,
            created_at text COLLATE "C" NOT NULL,
            last_activity_at text COLLATE "C" NOT NULL,
            cycles integer NOT NULL DEFAULT 0,
            cost_usd numeric(24, 12) NOT NULL DEFAULT 0,
            share_token text UNIQUE,
            is_example integer NOT NULL DEFAULT 0,
            running_cycle integer,
            goal_embedding bytea,
            pending_directive text);
        CREATE INDEX research_owner ON research(owner_id, last_activity_at);
        CREATE INDEX research_expiring ON research(last_activity_at) WHERE share_token IS NULL AND is_example = 0;
        CREATE TABLE hypotheses (
            research_id text COLLATE "C" NOT NULL REFERENCES research(id) ON DELETE CASCADE,
            id text COLLATE "C" NOT NULL,
            data text NOT NULL,
            embedding bytea,
            PRIMARY KEY (research_id, id));
        CREATE TABLE matches (
            research_id text COLLATE "C" NOT NULL REFERENCES research(id) ON DELETE CASCADE,
            id text COLLATE "C" NOT NULL,
            data text NOT NULL,
            PRIMARY KEY (research_id, id));
        CREATE TABLE meta_reviews (
            research_id text COLLATE "C" NOT NULL REFERENCES research(id) ON DELETE CASCADE,
            cycle integer NOT NULL,
            data text NOT NULL,
            PRIMARY KEY (research_id, cycle));
        CREATE TABLE cycle_reports (
            research_id text COLLATE "C" NOT NULL REFERENCES research(id) ON DELETE CASCADE,
            cycle integer NOT NULL,
            data text NOT NULL,
            PRIMARY KEY (research_id, cycle));
        CREATE TABLE papers (
            research_id text COLLATE "C" NOT NULL REFERENCES research(id) ON DELETE CASCADE,
            number integer NOT NULL,
            data text NOT NULL,
            PRIMARY KEY (research_id, number));
        CREATE TABLE votes (
            research_id text COLLATE "C" NOT NULL REFERENCES research(id) ON DELETE CASCADE,
            id text COLLATE "C" NOT NULL,
            data text NOT NULL,
            PRIMARY KEY (research_id, id));
        """,
    ];

    private readonly PostgresDatabase _database;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _readyGate = new(1, 1);
    private volatile bool _ready;

    public PostgresResearchStore(PostgresDatabase database, ILogger<PostgresResearchStore> logger) : base(logger)
    {
        _database = database;
        _logger = logger;
    }

    private protected override string Description => _database.Description;

    public void Dispose() => _database.Dispose();

    /// <summary>
    /// Migrates on first use rather than at construction: a database that is down then must not stop the app from
    /// starting, and a later call tries again.
    /// </summary>
    private protected override async Task<DbConnection> OpenAsync()
    {
        if (!_ready)
        {
            await _readyGate.WaitAsync();
            try
            {
                if (!_ready)
                {
                    await Task.Run(() => _database.Migrate(Schema, Migrations, _logger));
                    _ready = true;
                }
            }
            finally
            {
                _readyGate.Release();
            }
        }
        return await _database.OpenAsync();
    }

    private protected override async Task<DbTransaction> BeginReadAsync(DbConnection connection) =>
        await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead);

    private protected override async Task<long> StorageBytesAsync(DbConnection connection)
    {
        await using var command = connection.Command("""
            SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c
            WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
              AND c.relname IN ('research', 'hypotheses', 'matches', 'meta_reviews', 'cycle_reports', 'papers', 'votes');
            """);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private protected override string? Unavailable(Exception e)
    {
        if (!_database.IsFailure(e)) return null;
        return e switch
        {
            StorageUnavailableException => e.Message,
            PostgresException { SqlState: "53100" } => "the database server's disk is full",
            // Integrity and syntax errors are bugs or conflicts, not an outage: they reach the caller as they are.
            PostgresException { SqlState: var state } when state.StartsWith("23", StringComparison.Ordinal) || state.StartsWith("42", StringComparison.Ordinal) => null,
            PostgresException { SqlState: var state } when state.StartsWith("53", StringComparison.Ordinal) => "the database server is out of resources",
            PostgresException { SqlState: var state } when state.StartsWith("57", StringComparison.Ordinal) => "the database server is shutting down or restarting",
            PostgresException => "the database refused the operation",
            _ => "the database server cannot be reached",
        };
    }
}
