using CoScientist.Core.Telemetry;

namespace CoScientist.Core.Llm;

/// <summary>
/// The timing layer, just outside the SDK client: how long each call took (its retries and backoff included, but not
/// the wait for the cycle's parallel bound or the budget's reservation, which are ours, not the provider's), how it
/// ended, and which 429s and 5xx its attempts met. Model and step come from the request, so nothing per call is kept here.
/// </summary>
public sealed class MeasuredLlmClient(ILlmClient inner, CallHealth health, TimeProvider clock) : ILlmClient
{
    public async Task<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken cancellationToken)
    {
        var capture = new LastUsage(request.Context.Usage);
        var started = clock.GetTimestamp();
        try
        {
            var response = await inner.CompleteAsync(request with { Context = request.Context with { Usage = capture } }, cancellationToken);
            Record(request, started, Outcomes.Ok, response.Usage);
            return response;
        }
        catch (Exception ex)
        {
            var outcome = ex switch
            {
                OperationCanceledException when cancellationToken.IsCancellationRequested => Outcomes.Cancelled,
                LlmException llm => llm.Kind.ToString(),
                _ => ex.GetType().Name,
            };
            Record(request, started, outcome, capture.Last);
            throw;
        }
    }

    private void Record(LlmRequest request, long started, string outcome, LlmUsage? usage) =>
        health.Call(request.Model, request.Step, clock.GetElapsedTime(started), outcome,
            usage?.RateLimitedAttempts ?? 0, usage?.ServerErrorAttempts ?? 0);

    /// <summary>Passes usage on and keeps the last, whose attempt counts a failed call still reports.</summary>
    private sealed class LastUsage(IUsageRecorder? next) : IUsageRecorder
    {
        public LlmUsage? Last { get; private set; }

        public void Record(LlmUsage usage)
        {
            Last = usage;
            next?.Record(usage);
        }
    }
}
