using System.ClientModel.Primitives;

namespace CoScientist.Core.Llm;

/// <summary>What the attempts of one call have seen so far: whether one is on the wire, and how the last one ended.</summary>
public sealed class CallAttempts
{
    public bool Sending { get; internal set; }
    /// <summary>Some attempt got a success status: OpenRouter accepted the request and may charge for it.</summary>
    public bool Accepted { get; internal set; }
    public int? LastStatus { get; internal set; }
    public int Tries { get; internal set; }
    /// <summary>Attempts OpenRouter answered 429 or 5xx, retried ones included: the operator's early warning.</summary>
    public int RateLimited { get; internal set; }
    public int ServerErrors { get; internal set; }
}

/// <summary>
/// Records each attempt of the current call (per try, inside the retry policy), so that a call abandoned at its
/// deadline can tell "OpenRouter refused every attempt and we were waiting to retry" (nothing charged) from
/// "an attempt was on the wire or being answered" (maybe charged).
/// </summary>
public sealed class AttemptTrackingPolicy : PipelinePolicy
{
    private static readonly AsyncLocal<CallAttempts?> Current = new();

    /// <summary>Starts tracking the calls made from the current async flow.</summary>
    public static CallAttempts Track() => Current.Value = new CallAttempts();

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        var attempts = Begin();
        try
        {
            ProcessNext(message, pipeline, currentIndex);
        }
        finally
        {
            End(attempts, message);
        }
    }

    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        var attempts = Begin();
        try
        {
            await ProcessNextAsync(message, pipeline, currentIndex);
        }
        finally
        {
            End(attempts, message);
        }
    }

    private static CallAttempts? Begin()
    {
        var attempts = Current.Value;
        if (attempts is not null)
        {
            attempts.Sending = true;
            attempts.Tries++;
        }
        return attempts;
    }

    private static void End(CallAttempts? attempts, PipelineMessage message)
    {
        if (attempts is null) return;
        if (message.Response is { } response)
        {
            attempts.LastStatus = response.Status;
            if (response.Status == 429) attempts.RateLimited++;
            else if (response.Status >= 500) attempts.ServerErrors++;
            if (response.Status < 400) attempts.Accepted = true;
            attempts.Sending = false;
        }
        // Without a response the attempt may still have reached OpenRouter: it stays "sending" (maybe charged).
    }
}
