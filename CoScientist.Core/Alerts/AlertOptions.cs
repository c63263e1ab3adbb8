using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CoScientist.Core.Alerts;

/// <summary>The "alerts" section: where the operator hears about spend and the key's credit besides the log and the admin page.</summary>
public sealed class AlertOptions : IValidatableObject
{
    public const string Section = "alerts";

    /// <summary>Slack- or Discord-compatible incoming webhook; optional. Its path is the secret, so it is never logged whole.</summary>
    [ConfigurationKeyName("webhook_url"), Display(Name = "alerts:webhook_url")]
    public string? WebhookUrl { get; set; }

    /// <summary>
    /// Alert when the operator key's remaining credit falls below this many USD. Unset: below the daily cap, because
    /// with less credit than one day's allowed spend, visitors can meet OpenRouter's 402 before the app's own cap stops them.
    /// </summary>
    [ConfigurationKeyName("key_low_usd"), Display(Name = "alerts:key_low_usd"), Range(0.0, 1_000_000.0)]
    public double? KeyLowUsd { get; set; }

    /// <summary>Null when unset (or invalid, which stops the start): the validator reads this too, so it must not throw.</summary>
    public Uri? Webhook => Uri.TryCreate(WebhookUrl?.Trim(), UriKind.Absolute, out var uri) ? uri : null;

    /// <summary>The webhook's host only, for logs and the admin page: the rest of the address is the secret.</summary>
    public string? WebhookHost => Webhook?.Host;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(WebhookUrl))
            yield break;
        // The message never repeats the address: it would put the secret in the start-up log.
        if (!Uri.TryCreate(WebhookUrl.Trim(), UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            yield return new ValidationResult("alerts:webhook_url must be an absolute http:// or https:// address.", [nameof(WebhookUrl)]);
    }
}
