namespace CoScientist.Core.Llm;

public enum LlmErrorKind
{
    NotConfigured,
    Unauthorized,
    OutOfCredits,
    Moderated,
    RateLimited,
    ProviderError,
    StreamFailed,
    InvalidOutput,
    Timeout,
    /// <summary>OpenRouter was never reached (refused, DNS, TLS): the request was not sent, so nothing was charged.</summary>
    Unreachable,
    /// <summary>The connection broke after the request may have been sent: the provider may have charged for it.</summary>
    ConnectionLost,
    ModelNotAllowed,
    LimitReached,
    /// <summary>The spend ledger cannot be written: no call is made that could not be recorded.</summary>
    StorageUnavailable,
}

/// <summary>An LLM call that failed, with a message fit to show a user (no keys, no stack).</summary>
public sealed class LlmException(LlmErrorKind kind, string message, int? statusCode = null, Exception? inner = null)
    : Exception(message, inner)
{
    public LlmErrorKind Kind { get; } = kind;

    /// <summary>The limit that refused the call, when <see cref="Kind"/> is <see cref="LlmErrorKind.LimitReached"/>.</summary>
    public Cost.LimitBlock? Block { get; init; }
    public int? StatusCode { get; } = statusCode;

    /// <summary>What the provider said about the refusal, as it said it (a 400 naming response_format lowers the model's format).</summary>
    public string? ProviderMessage { get; init; }

    /// <summary>Failures that will hit every call of the cycle alike, so the cycle should stop.</summary>
    public bool StopsCycle => Kind is LlmErrorKind.NotConfigured or LlmErrorKind.Unauthorized
        or LlmErrorKind.OutOfCredits or LlmErrorKind.ModelNotAllowed or LlmErrorKind.LimitReached
        or LlmErrorKind.Unreachable or LlmErrorKind.StorageUnavailable;

    /// <summary>
    /// True only when we know the provider never accepted the request, so it cannot have charged for it:
    /// it answered with an HTTP error, or it was never reached, or the call was refused before it was sent.
    /// Anything else (a reset, a timeout, a cut stream) may have been charged.
    /// </summary>
    public bool NeverCharged => StatusCode is not null
        || Kind is LlmErrorKind.Unreachable or LlmErrorKind.NotConfigured or LlmErrorKind.ModelNotAllowed or LlmErrorKind.LimitReached
            or LlmErrorKind.StorageUnavailable;

    /// <summary>The provider, not the request, is the trouble: it could not be reached or kept failing.</summary>
    public bool IsProviderUnavailable => Kind is LlmErrorKind.Unreachable or LlmErrorKind.ConnectionLost or LlmErrorKind.Timeout
        or LlmErrorKind.ProviderError or LlmErrorKind.RateLimited or LlmErrorKind.StreamFailed;

    public static LlmException FromStatus(int status, string? providerMessage, int attempts)
    {
        var detail = string.IsNullOrWhiteSpace(providerMessage) ? "" : $" OpenRouter said: {Trim(providerMessage)}";
        var (kind, message) = status switch
        {
            401 => (LlmErrorKind.Unauthorized, "OpenRouter rejected the API key (401). Check OPENROUTER_API_KEY or the key you entered." + detail),
            402 => (LlmErrorKind.OutOfCredits, "The OpenRouter account is out of credits or over its key's limit (402)." + detail),
            403 => (LlmErrorKind.Moderated, "OpenRouter's moderation refused this request (403)." + detail),
            408 => (LlmErrorKind.Timeout, $"The model did not answer in time (408) after {attempts} attempt(s)."),
            429 => (LlmErrorKind.RateLimited, $"OpenRouter is rate-limiting requests (429); {attempts} attempt(s) did not get through." + detail),
            >= 500 => (LlmErrorKind.ProviderError, $"The model provider failed (HTTP {status}) after {attempts} attempt(s)." + detail),
            _ => (LlmErrorKind.ProviderError, $"OpenRouter refused the request (HTTP {status})." + detail),
        };
        return new LlmException(kind, message, status) { ProviderMessage = providerMessage };
    }

    private static string Trim(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
