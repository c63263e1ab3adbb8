using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Storage;

/// <summary>
/// Saved research over ADO.NET, one SQL text for SQLite (<see cref="SqliteResearchStore"/>) and PostgreSQL
/// (<see cref="PostgresResearchStore"/>); each engine supplies only its connections, schema, read snapshot and which
/// failures mean it is unavailable. A connection is opened per operation (pooled), so any thread may call.
/// </summary>
public abstract partial class SqlResearchStore : IResearchStore
{
    private const string RecordColumns = """
        id, owner_id, title, goal, model, settings_json, created_at, last_activity_at, cycles, cost_usd,
        share_token, is_example, running_cycle, goal_embedding
        """;

    private readonly ILogger _logger;

    private protected SqlResearchStore(ILogger logger) => _logger = logger;

    /// <summary>Where the research is kept, as the logs and the admin page name it (never a password).</summary>
    private protected abstract string Description { get; }

    /// <summary>An open connection to a database migrated to the current schema.</summary>
    private protected abstract Task<DbConnection> OpenAsync();

    /// <summary>A read transaction that sees one consistent state of the database.</summary>
    private protected abstract Task<DbTransaction> BeginReadAsync(DbConnection connection);

    private protected abstract Task<long> StorageBytesAsync(DbConnection connection);

    /// <summary>Why the storage cannot be used now, fit to show a visitor; null when the failure is something else.</summary>
    private protected abstract string? Unavailable(Exception e);

    public Task CreateAsync(ResearchRecord record) => Write(async connection =>
    {
        await using var command = connection.Command($"""
            INSERT INTO research({RecordColumns}) VALUES (@id, @owner, @title, @goal, @model, @settings, @created, @activity,
                @cycles, @cost, @share, @example, @running, @embedding);
            """)
            .With("@id", record.Id).With("@owner", record.OwnerId).With("@title", record.Title).With("@goal", record.Goal)
            .With("@model", record.Model).With("@settings", record.SettingsJson).With("@created", Sql.Time(record.CreatedAt))
            .With("@activity", Sql.Time(record.LastActivityAt)).With("@cycles", record.Cycles).With("@cost", (double)record.CostUsd)
            .With("@share", record.ShareToken).With("@example", record.IsExample ? 1 : 0).With("@running", record.RunningCycle)
            .With("@embedding", record.GoalEmbedding is { } e ? ResearchJson.ToBlob(e) : null);
        return await command.ExecuteNonQueryAsync();
    });

    public async Task<ResearchRecord?> GetRecordAsync(string id) =>
        (await Records("WHERE id = @v", id)).SingleOrDefault();

    public async Task<ResearchRecord?> GetByShareTokenAsync(string shareToken) =>
        (await Records("WHERE share_token = @v", shareToken)).SingleOrDefault();

    public Task<IReadOnlyList<ResearchRecord>> ListByOwnerAsync(string ownerId) =>
        Records("WHERE owner_id = @v ORDER BY last_activity_at DESC", ownerId);

    public Task<IReadOnlyList<ResearchRecord>> ListSharedAsync(int limit = 200) =>
        Records("WHERE share_token IS NOT NULL ORDER BY last_activity_at DESC LIMIT @v", limit);

    public Task<IReadOnlyList<ResearchRecord>> ListExamplesAsync() =>
        Records("WHERE is_example = 1 ORDER BY created_at");

    public Task<IReadOnlyList<ResearchRecord>> InterruptedAsync() =>
        Records("WHERE running_cycle IS NOT NULL ORDER BY last_activity_at");

    public Task<bool> RenameAsync(string id, string title)
    {
        if (string.IsNullOrWhiteSpace(title)) return Task.FromException<bool>(new ArgumentException("A title cannot be empty.", nameof(title)));
        return Update(id, "title = @v", title.Trim());
    }

    public Task<bool> SetShareTokenAsync(string id, string? shareToken) => Update(id, "share_token = @v", shareToken);

    public Task<bool> SetExampleAsync(string id, bool isExample) => Update(id, "is_example = @v", isExample ? 1 : 0);

    public Task<bool> SetGoalEmbeddingAsync(string id, float[] embedding) => Update(id, "goal_embedding = @v", ResearchJson.ToBlob(embedding));

    public Task<bool> UpdateSummaryAsync(string id, ResearchSummary summary) => Write(connection => UpdateSummary(connection, id, summary));

    public Task<bool> DeleteAsync(string id) => Write(async connection =>
    {
        // Content goes with it (ON DELETE CASCADE).
        await using var command = connection.Command("DELETE FROM research WHERE id = @id;").With("@id", id);
        return await command.ExecuteNonQueryAsync() > 0;
    });

    public Task<int> DeleteInactiveAsync(DateTimeOffset olderThan) => Write(async connection =>
    {
        // Freed space is reused by later research; the database itself does not shrink.
        await using var command = connection.Command("""
            DELETE FROM research
            WHERE share_token IS NULL AND is_example = 0 AND running_cycle IS NULL AND last_activity_at < @cutoff;
            """).With("@cutoff", Sql.Time(olderThan));
        return await command.ExecuteNonQueryAsync();
    });

    public Task<ResearchStoreStats> StatsAsync() => Run(async connection =>
    {
        await using var command = connection.Command("""
            SELECT COUNT(*), COUNT(share_token), COALESCE(SUM(is_example), 0), COUNT(running_cycle),
                   (SELECT COUNT(*) FROM hypotheses), (SELECT COUNT(*) FROM matches)
            FROM research;
            """);
        int research, shared, examples, running;
        long hypotheses, matches;
        await using (var reader = await command.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            (research, shared, examples, running, hypotheses, matches) =
                (reader.Int(0), reader.Int(1), reader.Int(2), reader.Int(3), reader.Long(4), reader.Long(5));
        }
        return new ResearchStoreStats(research, shared, examples, running, hypotheses, matches, await StorageBytesAsync(connection));
    });

    private Task<bool> Update(string id, string assignment, object? value) => Write(async connection =>
    {
        await using var command = connection.Command($"UPDATE research SET {assignment} WHERE id = @id;").With("@id", id).With("@v", value);
        return await command.ExecuteNonQueryAsync() > 0;
    });

    private static async Task<bool> UpdateSummary(DbConnection connection, string id, ResearchSummary summary)
    {
        var settings = summary.Settings;
        await using var command = connection.Command($"""
            UPDATE research SET cycles = @cycles, cost_usd = @cost, last_activity_at = @activity, running_cycle = @running
                {(settings is null ? "" : ", settings_json = @settings, model = @model")} WHERE id = @id;
            """)
            .With("@id", id).With("@cycles", summary.Cycles).With("@cost", (double)summary.CostUsd)
            .With("@activity", Sql.Time(summary.LastActivityAt)).With("@running", summary.RunningCycle);
        if (settings is not null)
            command.With("@settings", ResearchJson.Write(settings)).With("@model", settings.Model);
        return await command.ExecuteNonQueryAsync() > 0;
    }

    private Task<IReadOnlyList<ResearchRecord>> Records(string where, object? value = null) => Run(async connection =>
    {
        await using var command = connection.Command($"SELECT {RecordColumns} FROM research {where};");
        if (value is not null) command.Param("@v", value);
        await using var reader = await command.ExecuteReaderAsync();
        var records = new List<ResearchRecord>();
        while (await reader.ReadAsync())
            records.Add(new ResearchRecord
            {
                Id = reader.GetString(0),
                OwnerId = reader.GetString(1),
                Title = reader.GetString(2),
                Goal = reader.GetString(3),
                Model = reader.GetString(4),
                SettingsJson = reader.GetString(5),
                CreatedAt = Sql.ParseTime(reader.GetString(6)),
                LastActivityAt = Sql.ParseTime(reader.GetString(7)),
                Cycles = reader.Int(8),
                CostUsd = reader.Money(9),
                ShareToken = reader.NullableString(10),
                IsExample = reader.Int(11) != 0,
                RunningCycle = reader.IsDBNull(12) ? null : reader.Int(12),
                GoalEmbedding = reader.IsDBNull(13) ? null : ResearchJson.FromBlob((byte[])reader[13]),
            });
        return (IReadOnlyList<ResearchRecord>)records;
    });

    /// <summary>Where writers take turns when the engine takes one writer at a time (SQLite); null when it runs writes side by side (PostgreSQL).</summary>
    private protected virtual WriteQueue? Writers => null;

    /// <summary>A storage operation that writes: <see cref="Run{T}"/>, one at a time where the engine wants that.</summary>
    private protected async Task<T> Write<T>(Func<DbConnection, Task<T>> operation)
    {
        if (Writers is not { } writers) return await Run(operation);
        using (await writers.TurnAsync())
            return await Run(operation);
    }

    /// <summary>Runs a storage operation on an open connection, its storage failures told as <see cref="StorageUnavailableException"/>.</summary>
    private protected async Task<T> Run<T>(Func<DbConnection, Task<T>> operation)
    {
        try
        {
            await using var connection = await OpenAsync();
            return await operation(connection);
        }
        catch (Exception e) when (Unavailable(e) is { } reason)
        {
            _logger.LogError(e, "Research store {Path} is unavailable: {Reason}", Description, reason);
            throw new StorageUnavailableException($"Saved research is unavailable right now: {reason}.", e);
        }
    }
}
