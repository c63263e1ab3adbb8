using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Cost;

/// <summary>
/// A visitor as the server can recognise them across tabs and reconnects: a salted hash of the IP
/// (taken from X-Forwarded-For only behind a trusted proxy) and of a long-lived browser cookie.
/// </summary>
public sealed record ClientKey(string IpHash, string BrowserHash)
{
    public static ClientKey Unknown { get; } = new("unknown", "unknown");

    /// <summary>The hash the ledger keeps for this client (never the raw IP).</summary>
    public string LedgerHash => IpHash;
}

/// <summary>Releases a server-wide cycle slot when the cycle ends.</summary>
public sealed class CycleLease(Action release) : IDisposable
{
    private int _released;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) release();
    }
}

/// <summary>
/// Limits that neither a new tab nor a restart can reset: cycles per client per hour on the shared
/// key (counted against both the IP and the browser cookie, so clearing cookies or switching networks
/// alone does not help; kept in the ledger) and the server-wide number of concurrent cycles, which
/// applies to visitors' own keys too. With <paramref name="shared"/> (Redis) both are counted across all instances
/// (ClientQuotas.Shared.cs); the ledger keeps recording each start.
/// </summary>
public sealed partial class ClientQuotas(IOptionsMonitor<CostControlOptions> options, SpendLedger ledger, TimeProvider clock, ILogger<ClientQuotas> logger,
    Distributed.RedisClientLimits? shared = null)
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private readonly Lock _gate = new();
    private int _running;

    public int RunningCycles => shared is null ? LocalRunning : SharedRunning();

    private int LocalRunning { get { lock (_gate) return _running; } }

    /// <summary>Claims a cycle for this client, or says which limit refuses it.</summary>
    public (CycleLease? Lease, LimitBlock? Block) TryStartCycle(ClientKey client, KeyKind keyKind)
    {
        var limits = options.CurrentValue;
        if (shared is not null)
            return SharedTryStart(shared, client, keyKind, limits);
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            if (_running >= limits.MaxConcurrentCycles)
                return (null, Busy(limits.MaxConcurrentCycles, _running, now));
            if (keyKind == KeyKind.Operator && ClaimHourlySlot(client, limits.MaxCyclesPerClientPerHour, now) is { } block)
                return (null, block);
            _running++;
            return (new CycleLease(() => { lock (_gate) _running--; }), null);
        }
    }

    /// <summary>A cycle that produced nothing because the provider was unreachable does not use up the client's hourly allowance.</summary>
    public void ReturnCycle(ClientKey client, KeyKind keyKind)
    {
        if (keyKind != KeyKind.Operator) return;
        if (shared is not null)
            SharedReturn(shared, client);
        lock (_gate)
        {
            try
            {
                ledger.ForgetLatestClientStart(client.IpHash, client.BrowserHash);
            }
            catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
            {
                logger.LogError(ex, "The spend ledger could not give a failed cycle's start back to the hourly limit");
            }
        }
    }

    private static LimitBlock HourlyBlock(IReadOnlyList<DateTimeOffset> byIp, IReadOnlyList<DateTimeOffset> byBrowser, int limit, DateTimeOffset now)
    {
        var used = Math.Max(byIp.Count, byBrowser.Count);
        // Free again once enough of the starts behind each exhausted count have left the window.
        var reset = new[] { byIp, byBrowser }.Where(s => s.Count >= limit).Max(s => s[s.Count - limit]) + Window;
        return new LimitBlock(LimitKind.ClientCyclesPerHour,
            $"You have run {used}/{limit} cycles in the last hour on the shared key. The next one is allowed at {LimitBlock.Until(reset, now)}.",
            reset, OwnKeyHelps: true);
    }

    private static LimitBlock Busy(int max, long running, DateTimeOffset now) => new(LimitKind.ConcurrentCycles,
        $"The server is running its maximum of {max} cycles at once ({running} running). Try again in a minute.",
        now.AddMinutes(1), OwnKeyHelps: false);

    private static LimitBlock Unchecked(DateTimeOffset now) => new(LimitKind.ClientCyclesPerHour,
        "The server could not check your hourly cycle limit right now. Try again in a minute.", now.AddMinutes(1), OwnKeyHelps: true);

    /// <summary>Counts the last hour's starts from the ledger and records this one there; null when it is allowed.</summary>
    private LimitBlock? ClaimHourlySlot(ClientKey client, int limit, DateTimeOffset now)
    {
        try
        {
            var (byIp, byBrowser) = ledger.ClientStartsAfter(client.IpHash, client.BrowserHash, now - Window);
            var used = Math.Max(byIp.Count, byBrowser.Count);
            if (used >= limit)
                return HourlyBlock(byIp, byBrowser, limit, now);
            ledger.RecordClientStart(now, client.IpHash, client.BrowserHash, forgetBefore: now - Window);
            return null;
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            // Unrecorded starts would slip past the limit after a restart: refuse rather than guess.
            logger.LogError(ex, "The spend ledger could not count or record a cycle start for the hourly limit");
            return Unchecked(now);
        }
    }
}

/// <summary>Salted hashes for client identifiers, so neither raw IPs nor cookie values are ever stored or shown.</summary>
public sealed class ClientHasher(SpendLedger ledger, ILogger<ClientHasher> logger)
{
    private readonly byte[] _temporarySalt = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
    private byte[]? _salt;
    private int _fallbackLogged;

    /// <summary>
    /// The installation's salt from the ledger. While the ledger cannot be read, a salt for this run stands in so the
    /// page still works and says what is wrong (nothing can be recorded then: no cycle starts, no research is saved);
    /// it is not kept, so the real salt, and with it every owner's research, is back as soon as the disk is.
    /// </summary>
    private byte[] Salt()
    {
        if (_salt is { } salt) return salt;
        try
        {
            return _salt = Convert.FromHexString(ledger.ClientSalt());
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            if (Interlocked.Exchange(ref _fallbackLogged, 1) == 0)
                logger.LogError("The client salt could not be read from the ledger ({Error}); a salt for this run only is used until it can", ex.Message);
            return _temporarySalt;
        }
    }

    public string Hash(string kind, string? value)
    {
        var bytes = System.Security.Cryptography.HMACSHA256.HashData(Salt(), System.Text.Encoding.UTF8.GetBytes(kind + ":" + (value ?? "")));
        return Convert.ToHexString(bytes, 0, 8).ToLowerInvariant();
    }

    public ClientKey For(string? ip, string? browserId) => new(Hash("ip", ip), Hash("browser", browserId));
}
