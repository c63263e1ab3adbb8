using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CoScientist.Core.Storage;

/// <summary>How many rows of a table were copied.</summary>
public sealed record CopiedTable(string Table, long Rows);

/// <summary>
/// Moves an embedded installation (ledger.db and research.db under DATA_DIR) into an empty PostgreSQL database, in one
/// transaction: either everything arrives or nothing does. The SQLite files are first brought to the current schema by
/// their own classes, so the columns on both sides are the same.
/// </summary>
public static class PostgresImport
{
    // Parents before children (content references research); identity columns are copied as they are.
    private static readonly (string Table, string Columns)[] LedgerTables =
    [
        ("calls", "id, at, session_id, client_hash, model, step, key_kind, status, reserved_usd, cost_usd, input_tokens, output_tokens, generation_id, error"),
        ("cycles", "id, started_at, finished_at, session_id, client_hash, goal, model, key_kind, outcome, expected_usd, worst_usd, actual_usd, calls"),
        ("client_starts", "at, ip_hash, browser_hash"),
        ("meta", "key, value"),
    ];

    private static readonly (string Table, string Columns)[] ResearchTables =
    [
        ("research", "id, owner_id, title, goal, model, settings_json, created_at, last_activity_at, cycles, cost_usd, share_token, is_example, " +
                     "running_cycle, goal_embedding, pending_directive"),
        ("hypotheses", "research_id, id, data, embedding"),
        ("matches", "research_id, id, data"),
        ("meta_reviews", "research_id, cycle, data"),
        ("cycle_reports", "research_id, cycle, data"),
        ("papers", "research_id, number, data"),
        ("votes", "research_id, id, data"),
    ];

    /// <summary>
    /// Copies everything; throws <see cref="InvalidOperationException"/> with a message for the operator when there is
    /// nothing to copy or the target already holds data.
    /// </summary>
    public static async Task<IReadOnlyList<CopiedTable>> CopyAsync(StorageOptions storage, string connectionString, ILoggerFactory loggers)
    {
        if (!File.Exists(storage.LedgerPath) && !File.Exists(storage.ResearchPath))
            throw new InvalidOperationException($"There is no embedded installation to copy: neither {storage.LedgerPath} nor {storage.ResearchPath} exists (check DATA_DIR).");
        var options = Options.Create(storage);
        if (File.Exists(storage.LedgerPath))
            new SpendLedger(options, loggers.CreateLogger<SpendLedger>()).OpenReservations(); // throws if it cannot be opened
        if (File.Exists(storage.ResearchPath))
            await new SqliteResearchStore(options, loggers.CreateLogger<SqliteResearchStore>()).StatsAsync();

        using var target = new PostgresDatabase(connectionString);
        var logger = loggers.CreateLogger(typeof(PostgresImport));
        target.Migrate(PostgresLedgerDatabase.Schema, PostgresLedgerDatabase.Migrations, logger);
        target.Migrate(PostgresResearchStore.Schema, PostgresResearchStore.Migrations, logger);

        await using var connection = (NpgsqlConnection)await target.OpenAsync();
        foreach (var (table, _) in LedgerTables.Concat(ResearchTables))
        {
            await using var any = connection.Command($"SELECT EXISTS (SELECT 1 FROM {table});");
            if ((bool)(await any.ExecuteScalarAsync())!)
                throw new InvalidOperationException(
                    $"{target.Description} already holds data (table {table} is not empty); migrate-to-postgres copies only into an empty database.");
        }

        var copied = new List<CopiedTable>();
        await using var transaction = await connection.BeginTransactionAsync();
        copied.AddRange(await CopyFileAsync(storage.LedgerPath, LedgerTables, connection));
        copied.AddRange(await CopyFileAsync(storage.ResearchPath, ResearchTables, connection));
        // New rows continue after the copied ids.
        foreach (var table in new[] { "calls", "cycles" })
        {
            await using var sequence = connection.Command(
                $"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false);");
            await sequence.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        return copied;
    }

    private static async Task<IEnumerable<CopiedTable>> CopyFileAsync(string path, (string Table, string Columns)[] tables, NpgsqlConnection target)
    {
        if (!File.Exists(path)) return tables.Select(t => new CopiedTable(t.Table, 0));
        var copied = new List<CopiedTable>();
        await using var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await source.OpenAsync();
        foreach (var (table, columns) in tables)
        {
            var names = columns.Split(", ");
            await using var read = source.Command($"SELECT {columns} FROM {table};");
            await using var rows = await read.ExecuteReaderAsync();
            await using var insert = target.Command($"INSERT INTO {table}({columns}) VALUES ({string.Join(", ", names.Select(n => "@" + n))});");
            var parameters = names.Select(n => insert.Param("@" + n, null)).ToArray();
            long count = 0;
            while (await rows.ReadAsync())
            {
                for (var i = 0; i < parameters.Length; i++)
                    parameters[i].Value = rows.GetValue(i);
                await insert.ExecuteNonQueryAsync();
                count++;
            }
            copied.Add(new CopiedTable(table, count));
        }
        return copied;
    }
}
