using System.Security.Cryptography;
using System.Text;
using CoScientist.Core.Cost;

namespace CoScientist.Web.Admin;

/// <summary>
/// Guards /admin with ADMIN_TOKEN: constant-time comparison, and failed attempts throttled per
/// client (five in fifteen minutes lock that client out for fifteen minutes; every failure also
/// costs a second). In production without a token, admin is disabled; in development without one
/// it is open, with a warning on the page.
/// </summary>
public sealed class AdminAuthenticator(IConfiguration configuration, DeploymentEnvironment environment, TimeProvider clock, ILogger<AdminAuthenticator> logger)
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    private readonly Dictionary<string, List<DateTimeOffset>> _failures = [];
    private readonly Lock _gate = new();

    private string? Token => configuration["ADMIN_TOKEN"] is { Length: > 0 } token ? token : null;

    public bool RequiresToken => Token is not null;
    public bool IsEnabled => Token is not null || !environment.IsProduction;

    /// <param name="scope">Failures are counted per scope, so a misconfigured metrics scraper cannot lock the admin out.</param>
    public async Task<(bool Ok, string Message)> TryLoginAsync(string? attempt, ClientKey client, string scope = "admin")
    {
        if (!IsEnabled)
            return (false, "Admin is disabled: set ADMIN_TOKEN to enable it.");
        if (!RequiresToken)
            return (true, "No ADMIN_TOKEN is set (development): admin is open.");
        var key = scope + ":" + client.IpHash;
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (Recent(key) is { Count: >= MaxFailures } recent)
                return (false, $"Too many failed attempts. Try again at {LimitBlock.Until(recent.Min() + Window, now)}.");
            // Counted as a failure before the comparison, so parallel attempts cannot all slip past the limit.
            if (!_failures.TryGetValue(key, out var list))
                _failures[key] = list = [];
            list.Add(now);
        }
        if (Matches(attempt ?? "", Token!))
        {
            lock (_gate) _failures[key].Remove(now);
            return (true, "Signed in.");
        }
        logger.LogWarning("A failed admin sign-in from client {Client}", key);
        await Task.Delay(TimeSpan.FromSeconds(1), clock);
        return (false, "That token is not right.");
    }

    /// <summary>Hashing first gives both sides the same length, so the comparison time says nothing about the token.</summary>
    internal static bool Matches(string attempt, string token) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(attempt)), SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private List<DateTimeOffset>? Recent(string key)
    {
        if (!_failures.TryGetValue(key, out var list)) return null;
        var now = clock.GetUtcNow();
        list.RemoveAll(t => now - t >= Window);
        return list;
    }
}
