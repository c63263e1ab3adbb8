using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CoScientist.Core.Llm;

/// <summary>Where OpenRouter is and how hard to try. Bound from the configuration root (config.yaml and env).</summary>
public sealed class OpenRouterOptions
{
    public const string DefaultBaseUrl = "https://openrouter.ai/api/v1";

    [ConfigurationKeyName("openrouter_base_url"), Display(Name = "openrouter_base_url"), Required, Url]
    public string BaseUrl { get; set; } = DefaultBaseUrl;

    /// <summary>The operator's key, from the OPENROUTER_API_KEY environment variable only.</summary>
    [ConfigurationKeyName("OPENROUTER_API_KEY"), Display(Name = "OPENROUTER_API_KEY")]
    public string? ApiKey { get; set; }

    /// <summary>
    /// An optional OpenRouter management key, from the OPENROUTER_MANAGEMENT_KEY environment variable only: with it the
    /// account's credit balance (GET /credits, which only a management key may read) is watched as well as the key's own
    /// limit, so an account running dry is noticed even when the shared key has no limit. Never logged or shown.
    /// </summary>
    [ConfigurationKeyName("OPENROUTER_MANAGEMENT_KEY"), Display(Name = "OPENROUTER_MANAGEMENT_KEY")]
    public string? ManagementKey { get; set; }

    [ConfigurationKeyName("openrouter_app_url"), Display(Name = "openrouter_app_url")]
    public string AppUrl { get; set; } = "https://github.com/coscientist/coscientist";

    [ConfigurationKeyName("openrouter_app_title"), Display(Name = "openrouter_app_title")]
    public string AppTitle { get; set; } = "CoScientist";

    [ConfigurationKeyName("openrouter_max_retries"), Display(Name = "openrouter_max_retries"), Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>
    /// How long one call (a structured answer of at most max_output_tokens, retries included) may take before it
    /// is abandoned. A stalled provider must not hold a cycle and its server-wide slot for minutes.
    /// </summary>
    [ConfigurationKeyName("openrouter_timeout_seconds"), Display(Name = "openrouter_timeout_seconds"), Range(1, 900)]
    public int TimeoutSeconds { get; set; } = 90;

    /// <summary>First backoff when OpenRouter gives no Retry-After; doubles each attempt, with jitter.</summary>
    [ConfigurationKeyName("openrouter_initial_backoff_ms"), Display(Name = "openrouter_initial_backoff_ms"), Range(0, 60_000)]
    public int InitialBackoffMs { get; set; } = 1000;

    [ConfigurationKeyName("openrouter_max_backoff_ms"), Display(Name = "openrouter_max_backoff_ms"), Range(0, 300_000)]
    public int MaxBackoffMs { get; set; } = 30_000;

    public bool HasOperatorKey => !string.IsNullOrWhiteSpace(ApiKey);

    public Uri BaseUri => new(BaseUrl.TrimEnd('/') + "/");
}
