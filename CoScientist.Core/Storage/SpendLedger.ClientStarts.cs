using Microsoft.Data.Sqlite;

namespace CoScientist.Core.Storage;

/// <summary>
/// Cycles started on the shared key, per visitor, for the hourly limit. A start is written when the
/// limit grants it, before the cycle runs, so a restart cannot hand a blocked visitor more cycles.
/// Kept apart from <c>cycles</c> because it is the limit's own record: written under the limit's lock
/// with both the IP and the browser hash, and pruned once out of the window.
/// </summary>
public sealed partial class SpendLedger
{
    private static void MigrateClientStarts(SqliteConnection connection)
    {
        using var exists = connection.CreateCommand();
        exists.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'client_starts';";
        if (Convert.ToInt32(exists.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0)
            return;
        // A ledger from before this table knew each cycle's IP hash only: those starts count by IP.
        using var transaction = connection.BeginTransaction();
        using var create = connection.CreateCommand();
        create.Transaction = transaction;
        create.CommandText = """
            CREATE TABLE client_starts (at TEXT NOT NULL, ip_hash TEXT NOT NULL, browser_hash TEXT);
            CREATE INDEX client_starts_at ON client_starts(at);
            CREATE INDEX client_starts_ip ON client_starts(ip_hash, at);
            CREATE INDEX client_starts_browser ON client_starts(browser_hash, at);
            INSERT INTO client_starts(at, ip_hash) SELECT started_at, client_hash FROM cycles WHERE key_kind = 'Operator';
            """;
        create.ExecuteNonQuery();
        transaction.Commit();
    }

    /// <summary>When this visitor started shared-key cycles after <paramref name="from"/>, oldest first, by IP hash and by browser hash.</summary>
    public (IReadOnlyList<DateTimeOffset> ByIp, IReadOnlyList<DateTimeOffset> ByBrowser) ClientStartsAfter(string ipHash, string browserHash, DateTimeOffset from)
    {
        IReadOnlyList<DateTimeOffset> Starts(string column, string hash) => Query(
            $"SELECT at FROM client_starts WHERE {column} = $hash AND at > $from ORDER BY at;",
            c => { c.Parameters.AddWithValue("$hash", hash); c.Parameters.AddWithValue("$from", Time(from)); },
            r => ParseTime(r.GetString(0)));
        return (Starts("ip_hash", ipHash), Starts("browser_hash", browserHash));
    }

    /// <summary>Records a granted start and forgets those from before <paramref name="forgetBefore"/>, which no limit looks at any more.</summary>
    public void RecordClientStart(DateTimeOffset at, string ipHash, string browserHash, DateTimeOffset forgetBefore)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO client_starts(at, ip_hash, browser_hash) VALUES ($at, $ip, $browser);
            DELETE FROM client_starts WHERE at < $forget;
            """;
        command.Parameters.AddWithValue("$at", Time(at));
        command.Parameters.AddWithValue("$ip", ipHash);
        command.Parameters.AddWithValue("$browser", browserHash);
        command.Parameters.AddWithValue("$forget", Time(forgetBefore));
        command.ExecuteNonQuery();
    }

    /// <summary>Takes back this visitor's latest start (its cycle produced nothing because OpenRouter was down).</summary>
    public void ForgetLatestClientStart(string ipHash, string browserHash)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            DELETE FROM client_starts WHERE rowid = (
                SELECT rowid FROM client_starts WHERE ip_hash = $ip AND browser_hash = $browser ORDER BY at DESC LIMIT 1);
            """;
        command.Parameters.AddWithValue("$ip", ipHash);
        command.Parameters.AddWithValue("$browser", browserHash);
        command.ExecuteNonQuery();
    }
}
