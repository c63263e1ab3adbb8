using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Storage;

/// <summary>
/// Saved research in SQLite (research.db under DATA_DIR), the embedded default <see cref="IResearchStore"/>.
/// A connection is opened per operation (pooled), so any thread may call; writers queue on SQLite's lock.
/// Work is synchronous underneath: the tasks it returns are already complete.
/// </summary>
public sealed partial class SqliteResearchStore : IResearchStore
{
    private const string RecordColumns = """
        id, owner_id, title, goal, model, settings_json, created_at, last_activity_at, cycles, cost_usd,
        share_token, is_example, running_cycle, goal_embedding
        """;

    private readonly string _connectionString;
    private readonly ILogger _logger;
    private readonly int _targetVersion;

    public SqliteResearchStore(IOptions<StorageOptions> options, ILogger<SqliteResearchStore> logger)
        : this(options.Value.ResearchPath, logger, CurrentVersion) { }

    /// <summary>Opens <paramref name="path"/> migrated up to <paramref name="targetVersion"/>; tests build old schemas with it.</summary>
    internal SqliteResearchStore(string path, ILogger logger, int targetVersion)
    {
        Path = path;
        _logger = logger;
        _targetVersion = targetVersion;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, ForeignKeys = true }.ToString();
    }

    public string Path { get; }

    public Task CreateAsync(ResearchRecord record) => Run(() =>
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO research({RecordColumns}) VALUES ($id, $owner, $title, $goal, $model, $settings, $created, $activity, " +
                              "$cycles, $cost, $share, $example, $running, $embedding);";
        command.Parameters.AddWithValue("$id", record.Id);
        command.Parameters.AddWithValue("$owner", record.OwnerId);
        command.Parameters.AddWithValue("$title", record.Title);
        command.Parameters.AddWithValue("$goal", record.Goal);
        command.Parameters.AddWithValue("$model", record.Model);
        command.Parameters.AddWithValue("$settings", record.SettingsJson);
        command.Parameters.AddWithValue("$created", Time(record.CreatedAt));
        command.Parameters.AddWithValue("$activity", Time(record.LastActivityAt));
        command.Parameters.AddWithValue("$cycles", record.Cycles);
        command.Parameters.AddWithValue("$cost", (double)record.CostUsd);
        command.Parameters.AddWithValue("$share", (object?)record.ShareToken ?? DBNull.Value);
        command.Parameters.AddWithValue("$example", record.IsExample);
        command.Parameters.AddWithValue("$running", (object?)record.RunningCycle ?? DBNull.Value);
        command.Parameters.AddWithValue("$embedding", record.GoalEmbedding is { } e ? ResearchJson.ToBlob(e) : DBNull.Value);
        return command.ExecuteNonQuery();
    });

    public Task<ResearchRecord?> GetRecordAsync(string id) =>
        Run(() => Records("WHERE id = $v", id).SingleOrDefault());

    public Task<ResearchRecord?> GetByShareTokenAsync(string shareToken) =>
        Run(() => Records("WHERE share_token = $v", shareToken).SingleOrDefault());

    public Task<IReadOnlyList<ResearchRecord>> ListByOwnerAsync(string ownerId) =>
        Run(() => Records("WHERE owner_id = $v ORDER BY last_activity_at DESC", ownerId));

    public Task<IReadOnlyList<ResearchRecord>> ListSharedAsync(int limit = 200) =>
        Run(() => Records("WHERE share_token IS NOT NULL ORDER BY last_activity_at DESC LIMIT $v", limit));

    public Task<IReadOnlyList<ResearchRecord>> ListExamplesAsync() =>
        Run(() => Records("WHERE is_example = 1 ORDER BY created_at"));

    public Task<IReadOnlyList<ResearchRecord>> InterruptedAsync() =>
        Run(() => Records("WHERE running_cycle IS NOT NULL ORDER BY last_activity_at"));

    public Task<bool> RenameAsync(string id, string title)
    {
        if (string.IsNullOrWhiteSpace(title)) return Task.FromException<bool>(new ArgumentException("A title cannot be empty.", nameof(title)));
        return Update(id, "title = $v", title.Trim());
    }

    public Task<bool> SetShareTokenAsync(string id, string? shareToken) => Update(id, "share_token = $v", shareToken);

    public Task<bool> SetExampleAsync(string id, bool isExample) => Update(id, "is_example = $v", isExample);

    public Task<bool> UpdateSummaryAsync(string id, ResearchSummary summary) => Run(() =>
    {
        using var connection = Open();
        return UpdateSummary(connection, id, summary);
    });

    public Task<bool> DeleteAsync(string id) => Run(() =>
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM research WHERE id = $id;"; // content goes with it (ON DELETE CASCADE)
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteNonQuery() > 0;
    });

    public Task<int> DeleteInactiveAsync(DateTimeOffset olderThan) => Run(() =>
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        // Freed pages are reused by later research; the file itself does not shrink.
        command.CommandText = """
            DELETE FROM research
            WHERE share_token IS NULL AND is_example = 0 AND running_cycle IS NULL AND last_activity_at < $cutoff;
            """;
        command.Parameters.AddWithValue("$cutoff", Time(olderThan));
        return command.ExecuteNonQuery();
    });

    public Task<ResearchStoreStats> StatsAsync() => Run(() =>
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COUNT(*), COUNT(share_token), COALESCE(SUM(is_example), 0), COUNT(running_cycle),
                   (SELECT COUNT(*) FROM hypotheses), (SELECT COUNT(*) FROM matches)
            FROM research;
            """;
        using var reader = command.ExecuteReader();
        reader.Read();
        var bytes = new[] { Path, Path + "-wal" }.Select(f => new FileInfo(f)).Where(f => f.Exists).Sum(f => f.Length);
        return new ResearchStoreStats(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3),
            reader.GetInt64(4), reader.GetInt64(5), bytes);
    });

    private Task<bool> Update(string id, string assignment, object? value) => Run(() =>
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE research SET {assignment} WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$v", value ?? DBNull.Value);
        return command.ExecuteNonQuery() > 0;
    });

    private static bool UpdateSummary(SqliteConnection connection, string id, ResearchSummary summary)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE research SET cycles = $cycles, cost_usd = $cost, last_activity_at = $activity, running_cycle = $running WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$cycles", summary.Cycles);
        command.Parameters.AddWithValue("$cost", (double)summary.CostUsd);
        command.Parameters.AddWithValue("$activity", Time(summary.LastActivityAt));
        command.Parameters.AddWithValue("$running", (object?)summary.RunningCycle ?? DBNull.Value);
        if (summary.Settings is { } settings)
        {
            command.CommandText = command.CommandText.Replace(" WHERE id = $id;", ", settings_json = $settings, model = $model WHERE id = $id;");
            command.Parameters.AddWithValue("$settings", ResearchJson.Write(settings));
            command.Parameters.AddWithValue("$model", settings.Model);
        }
        return command.ExecuteNonQuery() > 0;
    }

    private IReadOnlyList<ResearchRecord> Records(string where, object? value = null)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {RecordColumns} FROM research {where};";
        if (value is not null) command.Parameters.AddWithValue("$v", value);
        using var reader = command.ExecuteReader();
        var records = new List<ResearchRecord>();
        while (reader.Read())
            records.Add(new ResearchRecord
            {
                Id = reader.GetString(0),
                OwnerId = reader.GetString(1),
                Title = reader.GetString(2),
                Goal = reader.GetString(3),
                Model = reader.GetString(4),
                SettingsJson = reader.GetString(5),
                CreatedAt = ParseTime(reader.GetString(6)),
                LastActivityAt = ParseTime(reader.GetString(7)),
                Cycles = reader.GetInt32(8),
                CostUsd = (decimal)reader.GetDouble(9),
                ShareToken = reader.IsDBNull(10) ? null : reader.GetString(10),
                IsExample = reader.GetBoolean(11),
                RunningCycle = reader.IsDBNull(12) ? null : reader.GetInt32(12),
                GoalEmbedding = reader.IsDBNull(13) ? null : ResearchJson.FromBlob((byte[])reader[13]),
            });
        return records;
    }

    // ISO 8601 in UTC, to the tick: sorts as text, so the retention cutoff compares correctly.
    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string s) =>
        DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
