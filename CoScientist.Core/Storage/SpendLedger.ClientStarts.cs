namespace CoScientist.Core.Storage;

/// <summary>
/// Cycles started on the shared key, per visitor, for the hourly limit. A start is written when the
/// limit grants it, before the cycle runs, so a restart cannot hand a blocked visitor more cycles. Not flushed
/// (<see cref="LedgerDatabase.Open"/>): only a power cut could lose one, and with it one start of a visitor's hour.
/// Kept apart from <c>cycles</c> because it is the limit's own record: written under the limit's lock
/// with both the IP and the browser hash, and pruned once out of the window.
/// </summary>
public sealed partial class SpendLedger
{
    /// <summary>When this visitor started shared-key cycles after <paramref name="from"/>, oldest first, by IP hash and by browser hash.</summary>
    public (IReadOnlyList<DateTimeOffset> ByIp, IReadOnlyList<DateTimeOffset> ByBrowser) ClientStartsAfter(string ipHash, string browserHash, DateTimeOffset from)
    {
        IReadOnlyList<DateTimeOffset> Starts(string column, string hash) => Query(
            $"SELECT at FROM client_starts WHERE {column} = @hash AND at > @from ORDER BY at;",
            c => c.With("@hash", hash).With("@from", Time(from)),
            r => ParseTime(r.GetString(0)));
        return (Starts("ip_hash", ipHash), Starts("browser_hash", browserHash));
    }

    /// <summary>Records a granted start and forgets those from before <paramref name="forgetBefore"/>, which no limit looks at any more.</summary>
    public void RecordClientStart(DateTimeOffset at, string ipHash, string browserHash, DateTimeOffset forgetBefore) => Execute("""
        INSERT INTO client_starts(at, ip_hash, browser_hash) VALUES (@at, @ip, @browser);
        DELETE FROM client_starts WHERE at < @forget;
        """, c => c.With("@at", Time(at)).With("@ip", ipHash).With("@browser", browserHash).With("@forget", Time(forgetBefore)), flush: false);

    /// <summary>Takes back this visitor's latest start (its cycle produced nothing because OpenRouter was down).</summary>
    public void ForgetLatestClientStart(string ipHash, string browserHash) => Execute($"""
        DELETE FROM client_starts WHERE {_database.RowId} = (
            SELECT {_database.RowId} FROM client_starts WHERE ip_hash = @ip AND browser_hash = @browser ORDER BY at DESC LIMIT 1);
        """, c => c.With("@ip", ipHash).With("@browser", browserHash), flush: false);
}
