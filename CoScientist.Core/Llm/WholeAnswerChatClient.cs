using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace CoScientist.Core.Llm;

/// <summary>
/// Middleware that works on whole answers: a call is reserved, timed and settled once, when its usage is in. A caller
/// that asks for a stream gets the whole answer as updates, so no layer (the budget least of all) can be bypassed by
/// streaming. The stream from the provider is read once, at the bottom, by <see cref="UsageCaptureChatClient"/>.
/// </summary>
public abstract class WholeAnswerChatClient(IChatClient innerClient) : DelegatingChatClient(innerClient)
{
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
            yield return update;
    }
}
