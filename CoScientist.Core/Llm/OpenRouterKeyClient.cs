using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Llm;

public sealed record KeyCheck(bool IsValid, string Message, decimal? LimitRemaining = null, bool IsFreeTier = false);

/// <summary>Checks a visitor's own key with OpenRouter's GET /key before it is used. The key itself is never logged.</summary>
public sealed class OpenRouterKeyClient(HttpClient http, IOptions<OpenRouterOptions> options, ILogger<OpenRouterKeyClient> logger)
{
    public async Task<KeyCheck> CheckAsync(string? key, CancellationToken cancellationToken = default)
    {
        key = key?.Trim();
        if (string.IsNullOrEmpty(key))
            return new KeyCheck(false, "Enter an OpenRouter API key.");
        if (key.Length > 200 || key.Any(char.IsWhiteSpace))
            return new KeyCheck(false, "That does not look like an OpenRouter API key.");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(options.Value.BaseUri, "key"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            using var response = await http.SendAsync(request, timeout.Token);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                return new KeyCheck(false, "OpenRouter does not accept this key.");
            if (!response.IsSuccessStatusCode)
                return new KeyCheck(false, $"OpenRouter could not check the key right now (HTTP {(int)response.StatusCode}). Try again.");
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
            var data = doc.RootElement.GetProperty("data");
            decimal? remaining = data.TryGetProperty("limit_remaining", out var r) && r.ValueKind == JsonValueKind.Number ? r.GetDecimal() : null;
            var free = data.TryGetProperty("is_free_tier", out var f) && f.ValueKind == JsonValueKind.True;
            if (remaining is <= 0)
                return new KeyCheck(false, "This key has no credit left (its limit is used up).", remaining, free);
            return new KeyCheck(true, remaining is { } left ? $"Key accepted: ${left:0.00} of its limit remaining." : "Key accepted.", remaining, free);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            logger.LogWarning("Checking a visitor's key failed: {Error}", ex.GetType().Name);
            return new KeyCheck(false, "OpenRouter could not be reached to check the key. Try again.");
        }
    }
}
