using CoScientist.Core.Models;
using CoScientist.Core.Research;
using Microsoft.Extensions.AI;

namespace CoScientist.Core.Llm;

/// <summary>
/// The facts of one chat call that our middleware needs and <see cref="ChatOptions"/> has no field for: who pays
/// (<see cref="LlmCallContext"/>), the cycle step, the model the policy resolved, and what the call has used so far.
/// It rides in <see cref="ChatOptions.AdditionalProperties"/>, made afresh for every call, so no layer keeps per-call
/// state in its own fields. The OpenAI adapter sends only the keys it knows (none of ours), the telemetry layer records
/// additional properties only with sensitive data on (we keep it off), and the visitor's key is marked not to serialise.
/// </summary>
public sealed class LlmCall(LlmCallContext context, CycleStep? step)
{
    public const string Key = "coscientist.call";

    public LlmCallContext Context { get; } = context;
    public CycleStep? Step { get; } = step;

    /// <summary>The catalogue's entry for the model, once the model policy has resolved it (null outside the full pipeline).</summary>
    public ModelInfo? Model { get; set; }

    /// <summary>A model served by a server that is not OpenRouter: no attribution headers, no cost to read, nothing to reconcile.</summary>
    public bool IsLocal => Model?.IsLocal == true;

    /// <summary>The attempts of the call on the wire, tracked by the SDK's pipeline for the deadline's verdict.</summary>
    public CallAttempts? Attempts { get; set; }

    /// <summary>The last usage recorded for the call: a failed call's still carries its attempts and generation id.</summary>
    public LlmUsage? Usage { get; private set; }

    public void Record(LlmUsage usage)
    {
        Usage = usage;
        Context.Usage?.Record(usage);
    }

    /// <summary>The call riding on <paramref name="options"/>; a call made without one is a programming error, not a user's.</summary>
    public static LlmCall Of(ChatOptions? options) => Find(options)
        ?? throw new InvalidOperationException("A chat call through the gateway needs its LlmCall in ChatOptions.AdditionalProperties; use ChatRequests.CompleteAsync.");

    public static LlmCall? Find(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(Key, out var value) == true ? value as LlmCall : null;

    public override string ToString() => Context.ToString();
}
