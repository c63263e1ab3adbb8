using CoScientist.Core.Llm;
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
/// Limits that a new tab cannot reset: cycles per client per hour (counted against both the IP
/// and the browser cookie, so clearing cookies or switching networks alone does not help) and the
/// server-wide number of concurrent cycles, which applies to visitors' own keys too.
/// </summary>
public sealed class ClientQuotas(IOptionsMonitor<CostControlOptions> options, TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _starts = [];
    private int _running;
    private DateTimeOffset _lastSweep;

    public int RunningCycles { get { lock (_gate) return _running; } }


    /// <summary>Claims a cycle for this client, or says which limit refuses it.</summary>
    public (CycleLease? Lease, LimitBlock? Block) TryStartCycle(ClientKey client, KeyKind keyKind)
    {
        var limits = options.CurrentValue;
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            Sweep(now);
            if (_running >= limits.MaxConcurrentCycles)
                return (null, new LimitBlock(LimitKind.ConcurrentCycles,
                    $"The server is running its maximum of {limits.MaxConcurrentCycles} cycles at once ({_running} running). Try again in a minute.",
                    now.AddMinutes(1), OwnKeyHelps: false));
            if (keyKind == KeyKind.Operator)
            {
                var used = Math.Max(Count("ip:" + client.IpHash, now), Count("browser:" + client.BrowserHash, now));
                if (used >= limits.MaxCyclesPerClientPerHour)
                {
                    var oldest = new[] { "ip:" + client.IpHash, "browser:" + client.BrowserHash }
                        .Where(_starts.ContainsKey).SelectMany(k => _starts[k]).Min();
                    var reset = oldest + Window;
                    return (null, new LimitBlock(LimitKind.ClientCyclesPerHour,
                        $"You have run {used}/{limits.MaxCyclesPerClientPerHour} cycles in the last hour on the shared key. The next one is allowed at {LimitBlock.Until(reset, now)}.",
                        reset, OwnKeyHelps: true));
                }
                Add("ip:" + client.IpHash, now);
                Add("browser:" + client.BrowserHash, now);
            }
            _running++;
            return (new CycleLease(() => { lock (_gate) _running--; }), null);
        }
    }

    /// <summary>A cycle that produced nothing because the provider was unreachable does not use up the client's hourly allowance.</summary>
    public void ReturnCycle(ClientKey client, KeyKind keyKind)
    {
        if (keyKind != KeyKind.Operator) return;
        lock (_gate)
        {
            foreach (var key in new[] { "ip:" + client.IpHash, "browser:" + client.BrowserHash })
                if (_starts.TryGetValue(key, out var queue) && queue.Count > 0)
                    _starts[key] = new Queue<DateTimeOffset>(queue.Take(queue.Count - 1));
        }
    }

    private int Count(string key, DateTimeOffset now)
    {
        if (!_starts.TryGetValue(key, out var queue)) return 0;
        while (queue.Count > 0 && now - queue.Peek() >= Window) queue.Dequeue();
        return queue.Count;
    }

    private void Add(string key, DateTimeOffset now)
    {
        if (!_starts.TryGetValue(key, out var queue))
            _starts[key] = queue = new Queue<DateTimeOffset>();
        queue.Enqueue(now);
    }

    /// <summary>Forgets clients idle for an hour, so the table does not grow with every visitor ever seen.</summary>
    private void Sweep(DateTimeOffset now)
    {
        if (now - _lastSweep < TimeSpan.FromMinutes(5)) return;
        _lastSweep = now;
        foreach (var key in _starts.Where(kv => kv.Value.Count == 0 || now - kv.Value.Last() >= Window).Select(kv => kv.Key).ToList())
            _starts.Remove(key);
    }
}

/// <summary>Salted hashes for client identifiers, so neither raw IPs nor cookie values are ever stored or shown.</summary>
public sealed class ClientHasher(Storage.SpendLedger ledger)
{
    private readonly Lazy<byte[]> _salt = new(() => Convert.FromHexString(ledger.ClientSalt()));

    public string Hash(string kind, string? value)
    {
        var bytes = System.Security.Cryptography.HMACSHA256.HashData(_salt.Value, System.Text.Encoding.UTF8.GetBytes(kind + ":" + (value ?? "")));
        return Convert.ToHexString(bytes, 0, 8).ToLowerInvariant();
    }

    public ClientKey For(string? ip, string? browserId) => new(Hash("ip", ip), Hash("browser", browserId));
}
