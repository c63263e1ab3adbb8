using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Llm;

public sealed record KeyCheck(bool IsValid, string Message, decimal? LimitRemaining = null, bool IsFreeTier = false);

/// <summary>What OpenRouter's GET /key says about a key; usage figures are USD, the daily and monthly ones over UTC periods.</summary>
public sealed record KeyInfo(decimal? LimitRemaining, bool IsFreeTier, decimal? UsageDaily, decimal? UsageMonthly)
{
    /// <summary>The key's credit limit; null when none is set (then <see cref="LimitRemaining"/> is null too).</summary>
    public decimal? Limit { get; init; }
    /// <summary>All the key has spent, ever.</summary>
    public decimal? Usage { get; init; }
}

/// <summary>The account's credit as GET /credits tells it: all ever bought, and all ever used, in USD.</summary>
public sealed record AccountCredit(decimal TotalCredits, decimal TotalUsage)
{
    public decimal Remaining => TotalCredits - TotalUsage;
}

/// <summary>A GET /credits answer: the account's figures, or why there are none (HTTP status or error type; never the key).</summary>
public sealed record CreditsRead(AccountCredit? Credit, HttpStatusCode? Status, string? Error);

/// <summary>A GET /key answer: the key's figures, or why there are none (HTTP status or error type; never the key).</summary>
public sealed record KeyRead(KeyInfo? Info, HttpStatusCode? Status, string? Error);

/// <summary>
/// OpenRouter's GET /key: checks a visitor's own key before it is used, and reads the operator key's
/// spend for the caps. The key itself is never logged.
/// </summary>
public sealed class OpenRouterKeyClient(HttpClient http, IOptions<OpenRouterOptions> options, ILogger<OpenRouterKeyClient> logger)
{
    public async Task<KeyCheck> CheckAsync(string? key, CancellationToken cancellationToken = default)
    {
        key = key?.Trim();
        if (string.IsNullOrEmpty(key))
            return new KeyCheck(false, "Enter an OpenRouter API key.");
        if (key.Length > 200 || key.Any(char.IsWhiteSpace))
            return new KeyCheck(false, "That does not look like an OpenRouter API key.");
        var read = await ReadAsync(key, cancellationToken);
        if (read.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            return new KeyCheck(false, "OpenRouter does not accept this key.");
        if (read.Status is { } status && read.Info is null)
            return new KeyCheck(false, $"OpenRouter could not check the key right now (HTTP {(int)status}). Try again.");
        if (read.Info is not { } info)
        {
            logger.LogWarning("Checking a visitor's key failed: {Error}", read.Error);
            return new KeyCheck(false, "OpenRouter could not be reached to check the key. Try again.");
        }
        if (info.LimitRemaining is <= 0)
            return new KeyCheck(false, "This key has no credit left (its limit is used up).", info.LimitRemaining, info.IsFreeTier);
        return new KeyCheck(true, info.LimitRemaining is { } left ? $"Key accepted: ${left:0.00} of its limit remaining." : "Key accepted.",
            info.LimitRemaining, info.IsFreeTier);
    }

    /// <summary>Reads a key's figures. Never throws for OpenRouter's sake: a failure comes back as its status or error type.</summary>
    public async Task<KeyRead> ReadAsync(string key, CancellationToken cancellationToken = default)
    {
        var (data, status, error) = await GetDataAsync("key", key, cancellationToken);
        return data is { } d
            ? new KeyRead(new KeyInfo(Number(d, "limit_remaining"), d.TryGetProperty("is_free_tier", out var f) && f.ValueKind == JsonValueKind.True,
                Number(d, "usage_daily"), Number(d, "usage_monthly")) { Limit = Number(d, "limit"), Usage = Number(d, "usage") }, status, null)
            : new KeyRead(null, status, error);
    }

    /// <summary>Reads the account's credit with a management key (GET /credits); never throws for OpenRouter's sake.</summary>
    public async Task<CreditsRead> ReadCreditsAsync(string managementKey, CancellationToken cancellationToken = default)
    {
        var (data, status, error) = await GetDataAsync("credits", managementKey, cancellationToken);
        if (data is not { } d)
            return new CreditsRead(null, status, error);
        return Number(d, "total_credits") is { } bought && Number(d, "total_usage") is { } used
            ? new CreditsRead(new AccountCredit(bought, used), status, null)
            : new CreditsRead(null, status, "the answer has no total_credits or total_usage");
    }

    /// <summary>GET {path} with the given key: its "data" object (cloned), or the HTTP status or error type that stood in the way.</summary>
    private async Task<(JsonElement? Data, HttpStatusCode? Status, string? Error)> GetDataAsync(string path, string key, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(options.Value.BaseUri, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            using var response = await http.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
                return (null, response.StatusCode, $"HTTP {(int)response.StatusCode}");
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
            return (doc.RootElement.GetProperty("data").Clone(), response.StatusCode, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            var error = ex is HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } h ? $"{ex.GetType().Name} ({h.HttpRequestError})"
                : ex is TaskCanceledException && !cancellationToken.IsCancellationRequested ? "timed out" : ex.GetType().Name;
            return (null, null, error);
        }
    }

    private static decimal? Number(JsonElement data, string name) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDecimal() : null;
}
