using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CoScientist.Core.Storage;

/// <summary>
/// The PostgreSQL database named by <c>ConnectionStrings:Postgres</c>: a pooled data source, the versioned schemas applied
/// one instance at a time, and which failures mean it cannot be reached. Never logs the connection string (it may hold a
/// password); <see cref="Description"/> names only the host and the database.
/// </summary>
public sealed class PostgresDatabase : IDisposable
{
    /// <summary>Held while migrating, so instances starting together apply each step once ("CoSc" in ASCII).</summary>
    internal const long MigrationLockKey = 0x436F5363;

    private readonly NpgsqlDataSource _dataSource;

    public PostgresDatabase(string connectionString)
    {
        Description = Describe(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    /// <summary>The database and its server, without the credentials.</summary>
    public static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"PostgreSQL database {builder.Database} on {builder.Host}:{builder.Port}";
    }

    public string Description { get; }

    public NpgsqlConnection Open() => _dataSource.OpenConnection();

    public async Task<DbConnection> OpenAsync() => await _dataSource.OpenConnectionAsync();

    /// <summary>
    /// Down, unreachable, too slow, full or refusing (a PostgresException is an NpgsqlException). For use in an exception
    /// filter: when the connection itself failed it forgets the pooled connections, which died with the server, so the
    /// first call after the server is back succeeds.
    /// </summary>
    public bool IsFailure(Exception ex)
    {
        if (!IsFailureOf(ex)) return false;
        if (ex is NpgsqlException and not PostgresException || ex is PostgresException { SqlState: var state } && (state.StartsWith("57") || state.StartsWith("08")))
            _dataSource.Clear();
        return true;
    }

    public static bool IsFailureOf(Exception ex) => ex is NpgsqlException or StorageUnavailableException;

    /// <summary>
    /// Applies the steps of <paramref name="schema"/> not yet recorded in <c>schema_migrations</c>, each in its own
    /// transaction with its record, under a session advisory lock. Returns the version the database was at.
    /// </summary>
    public int Migrate(string schema, IReadOnlyList<string> steps, ILogger logger)
    {
        using var connection = Open();
        Execute(connection, "SELECT pg_advisory_lock(@key);", MigrationLockKey);
        try
        {
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    name text NOT NULL,
                    version integer NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (name, version));
                """);
            using var read = connection.Command("SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE name = @name;").With("@name", schema);
            var from = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
            if (from > steps.Count)
                throw new StorageUnavailableException(
                    $"the {schema} schema in {Description} was written by a newer version of CoScientist (schema {from}, this version knows {steps.Count})");
            for (var version = from + 1; version <= steps.Count; version++)
            {
                using var transaction = connection.BeginTransaction();
                Execute(connection, steps[version - 1]);
                using var record = connection.Command("INSERT INTO schema_migrations(name, version) VALUES (@name, @version);")
                    .With("@name", schema).With("@version", version);
                record.ExecuteNonQuery();
                transaction.Commit();
            }
            if (from < steps.Count)
                logger.LogInformation("The {Schema} schema in {Database} migrated from version {From} to {To}", schema, Description, from, steps.Count);
            return from;
        }
        finally
        {
            // A broken connection has lost the lock with its session; a pooled one is reset (DISCARD ALL) on return anyway.
            try { Execute(connection, "SELECT pg_advisory_unlock(@key);", MigrationLockKey); }
            catch (NpgsqlException) { }
        }
    }

    private static void Execute(NpgsqlConnection connection, string sql, long? key = null)
    {
        using var command = connection.Command(sql);
        if (key is { } k) command.Param("@key", k);
        command.ExecuteNonQuery();
    }

    public void Dispose() => _dataSource.Dispose();
}
