using Microsoft.Extensions.AI;

namespace CoScientist.Core.Llm;

/// <summary>Holds each call until the cycle's parallelism bound (carried by the call) has room.</summary>
public sealed class ConcurrencyBoundChatClient(IChatClient innerClient) : WholeAnswerChatClient(innerClient)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        if (LlmCall.Of(options).Context.Concurrency is not { } gate)
            return await base.GetResponseAsync(messages, options, cancellationToken);
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }
}
