using System.Security.Cryptography;
using System.Text;
using CoScientist.Core.Cost;

namespace CoScientist.Web.Admin;

/// <summary>
/// Guards /admin with ADMIN_TOKEN: constant-time comparison, and wrong attempts slowed per client
/// and scope (each answer waits longer than the one before, up to <see cref="MaxDelay"/>). The
/// right token is never refused or delayed: a lockout would let anyone behind the operator's
/// address (a campus, a proxy) lock the operator out. In production without a token, admin is
/// disabled; in development without one it is open, with a warning on the page.
/// </summary>
/// <remarks>
/// The delay bounds a guesser who waits for each answer; one who fires attempts in parallel is
/// bounded by the connections it can hold open. A long random ADMIN_TOKEN is the real defence.
/// </remarks>
public sealed class AdminAuthenticator(IConfiguration configuration, DeploymentEnvironment environment, TimeProvider clock, ILogger<AdminAuthenticator> logger)
{
    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);
    /// <summary>Failures are forgotten after this long without one.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    private const int PruneAbove = 1024;

    private readonly Dictionary<string, Failures> _failures = [];
    private readonly Lock _gate = new();

    private string? Token => configuration["ADMIN_TOKEN"] is { Length: > 0 } token ? token : null;

    public bool RequiresToken => Token is not null;
    public bool IsEnabled => Token is not null || !environment.IsProduction;

    /// <summary>How long the answer to the nth wrong attempt in a row waits: 1 s, 2 s, 4 s, … up to <see cref="MaxDelay"/>.</summary>
    public static TimeSpan DelayFor(int failures) =>
        failures <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, FirstDelay.Ticks << Math.Min(failures - 1, 30)));

    /// <param name="scope">Failures are counted per scope, so a misconfigured metrics scraper does not slow the admin down.</param>
    public async Task<(bool Ok, string Message)> TryLoginAsync(string? attempt, ClientKey client, string scope = "admin")
    {
        if (!IsEnabled)
            return (false, "Admin is disabled: set ADMIN_TOKEN to enable it.");
        if (!RequiresToken)
            return (true, "No ADMIN_TOKEN is set (development): admin is open.");
        if (Matches(attempt ?? "", Token!))
            return (true, "Signed in.");

        var key = scope + ":" + client.IpHash;
        var delay = DelayFor(CountFailure(key));
        logger.LogWarning("A failed {Scope} sign-in from client {Client}; its answer waits {Delay}", scope, client.IpHash, delay);
        await Task.Delay(delay, clock);
        return (false, "That token is not right.");
    }

    /// <summary>Hashing first gives both sides the same length, so the comparison time says nothing about the token.</summary>
    internal static bool Matches(string attempt, string token) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(attempt)), SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private int CountFailure(string key)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (_failures.Count > PruneAbove)
                foreach (var stale in _failures.Where(f => now - f.Value.Last >= Window).Select(f => f.Key).ToList())
                    _failures.Remove(stale);
            var count = _failures.TryGetValue(key, out var previous) && now - previous.Last < Window ? previous.Count + 1 : 1;
            _failures[key] = new Failures(count, now);
            return count;
        }
    }

    private readonly record struct Failures(int Count, DateTimeOffset Last);
}
