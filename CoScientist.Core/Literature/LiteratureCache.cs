using System.Text.Json;
using CoScientist.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Literature;

/// <summary>
/// Answers of the literature sources, in literature.db under DATA_DIR, shared by every caller and kept for a week,
/// so a repeated search asks no one. A connection is opened per operation. A broken disk only costs the cache:
/// reads miss and writes are dropped, and the search still goes to the source.
/// </summary>
public sealed class LiteratureCache(IOptions<StorageOptions> storage, TimeProvider clock, ILogger<LiteratureCache> logger)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(Path.GetFullPath(storage.Value.DataDir), "literature.db"),
        Pooling = true,
    }.ToString();
    private readonly Lock _readyGate = new();
    private volatile bool _ready;

    public IReadOnlyList<Paper>? TryGet(string key) => TryGet<List<Paper>>(key);

    public void Put(string key, IReadOnlyList<Paper> papers) => Put<IReadOnlyList<Paper>>(key, papers);

    /// <summary>Any answer kept under <paramref name="key"/> (the search queries made for a goal, say), or null.</summary>
    public T? TryGet<T>(string key) where T : class
    {
        try
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT papers FROM answers WHERE key = $key AND stored_at > $oldest";
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$oldest", (clock.GetUtcNow() - Lifetime).ToUnixTimeMilliseconds());
            return command.ExecuteScalar() is string json ? JsonSerializer.Deserialize<T>(json) : null;
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex) || ex is JsonException)
        {
            logger.LogWarning("The literature cache could not be read ({Error}); asking the source", ex.Message);
            return null;
        }
    }

    public void Put<T>(string key, T value)
    {
        try
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            // Expired answers are dropped as new ones arrive, so the file stays the size of a week's searches.
            command.CommandText = """
                INSERT INTO answers (key, papers, stored_at) VALUES ($key, $papers, $now)
                ON CONFLICT (key) DO UPDATE SET papers = excluded.papers, stored_at = excluded.stored_at;
                DELETE FROM answers WHERE stored_at <= $oldest;
                """;
            var now = clock.GetUtcNow();
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$papers", JsonSerializer.Serialize(value));
            command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$oldest", (now - Lifetime).ToUnixTimeMilliseconds());
            command.ExecuteNonQuery();
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            logger.LogWarning("The literature cache could not be written ({Error}); the answer is not kept", ex.Message);
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        if (!_ready)
        {
            lock (_readyGate)
            {
                if (!_ready)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(new SqliteConnectionStringBuilder(_connectionString).DataSource)!);
                    connection.Open();
                    using var command = connection.CreateCommand();
                    command.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, papers TEXT NOT NULL, stored_at INTEGER NOT NULL);";
                    command.ExecuteNonQuery();
                    _ready = true;
                    return connection;
                }
            }
        }
        connection.Open();
        return connection;
    }
}
