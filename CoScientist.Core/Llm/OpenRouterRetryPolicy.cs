using System.ClientModel.Primitives;
using System.Globalization;

namespace CoScientist.Core.Llm;

/// <summary>
/// Retries 408, 429, 5xx and connections that could not be made (nothing was sent, so nothing was
/// charged) a bounded number of times. A connection lost after the request may have been sent is not
/// retried here: that attempt may have been charged, so it must settle as its own call first. Honours Retry-After (seconds or date) and
/// retry-after-ms; without them it backs off exponentially with jitter. The SDK's default policy
/// retries a 429 without Retry-After almost at once, which only burns more of a rate limit.
/// </summary>
public sealed class OpenRouterRetryPolicy(int maxRetries, TimeSpan initialBackoff, TimeSpan maxBackoff, TimeProvider? clock = null)
    : ClientRetryPolicy(Math.Max(0, maxRetries))
{
    private readonly int _maxRetries = Math.Max(0, maxRetries);

    /// <summary>Key of the per-message attempt counter (the pipeline does not expose its own).</summary>
    private sealed class Attempts { public int Count; }

    public static bool IsRetryableStatus(int status) => status is 408 or 429 || status >= 500;

    protected override bool ShouldRetry(PipelineMessage message, Exception? exception) =>
        ShouldRetryCore(message, exception);

    protected override ValueTask<bool> ShouldRetryAsync(PipelineMessage message, Exception? exception) =>
        ValueTask.FromResult(ShouldRetryCore(message, exception));

    private bool ShouldRetryCore(PipelineMessage message, Exception? exception)
    {
        // Overriding ShouldRetry replaces the base class's attempt limit, so it is enforced here.
        if (AttemptsOf(message).Count > _maxRetries)
            return false;
        if (exception is not null)
            return ConnectionFailure.NeverSent(exception) && !message.CancellationToken.IsCancellationRequested;
        return message.Response is { } response && IsRetryableStatus(response.Status);
    }

    protected override void OnSendingRequest(PipelineMessage message)
    {
        AttemptsOf(message).Count++;
        base.OnSendingRequest(message);
    }

    protected override ValueTask OnSendingRequestAsync(PipelineMessage message)
    {
        AttemptsOf(message).Count++;
        return base.OnSendingRequestAsync(message);
    }

    private static Attempts AttemptsOf(PipelineMessage message)
    {
        if (message.TryGetProperty(typeof(Attempts), out var value) && value is Attempts attempts)
            return attempts;
        attempts = new Attempts();
        message.SetProperty(typeof(Attempts), attempts);
        return attempts;
    }

    protected override TimeSpan GetNextDelay(PipelineMessage message, int tryCount)
    {
        var fromServer = message.Response is { } response ? ReadRetryAfter(response.Headers, (clock ?? TimeProvider.System).GetUtcNow()) : null;
        if (fromServer is { } wait)
            return wait > maxBackoff ? maxBackoff : wait;
        var exponential = initialBackoff.TotalMilliseconds * Math.Pow(2, Math.Max(0, tryCount - 1));
        var jittered = exponential * (0.8 + Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromMilliseconds(Math.Min(jittered, maxBackoff.TotalMilliseconds));
    }

    internal static TimeSpan? ReadRetryAfter(PipelineResponseHeaders headers, DateTimeOffset now)
    {
        if (headers.TryGetValue("retry-after-ms", out var ms) &&
            double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && millis >= 0)
            return TimeSpan.FromMilliseconds(millis);
        if (!headers.TryGetValue("Retry-After", out var value) || string.IsNullOrWhiteSpace(value))
            return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            return TimeSpan.FromSeconds(seconds);
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var delay = date - now;
            return delay > TimeSpan.Zero ? delay : TimeSpan.Zero;
        }
        return null;
    }
}

/// <summary>OpenRouter's attribution headers, on every request.</summary>
internal sealed class OpenRouterHeadersPolicy(string appUrl, string appTitle) : PipelinePolicy
{
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        SetHeaders(message);
        ProcessNext(message, pipeline, currentIndex);
    }

    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        SetHeaders(message);
        return ProcessNextAsync(message, pipeline, currentIndex);
    }

    private void SetHeaders(PipelineMessage message)
    {
        message.Request.Headers.Set("HTTP-Referer", appUrl);
        message.Request.Headers.Set("X-Title", appTitle);
    }
}
