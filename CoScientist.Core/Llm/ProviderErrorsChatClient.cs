using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Llm;

/// <summary>
/// Bounds the whole call, retries included, by its deadline (a stalled provider must not hold a cycle for minutes),
/// tracks its attempts on the wire, and turns whatever the SDK and the network throw into an <see cref="LlmException"/>
/// that says whether the call may have been charged.
/// </summary>
public sealed class ProviderErrorsChatClient(IChatClient innerClient, IOptions<OpenRouterOptions> options, TimeProvider clock,
    ILogger<ProviderErrorsChatClient> logger) : WholeAnswerChatClient(innerClient)
{
    private readonly OpenRouterOptions _options = options.Value;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null,
        CancellationToken cancellationToken = default)
    {
        var call = LlmCall.Of(chatOptions);
        var model = chatOptions!.ModelId;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(_options.TimeoutSeconds), clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var tries = call.Attempts = AttemptTrackingPolicy.Track();
        try
        {
            return await base.GetResponseAsync(messages, chatOptions, linked.Token);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (deadline.IsCancellationRequested && ex is not LlmException && tries is { Sending: false, Accepted: false, LastStatus: { } refused })
        {
            // The deadline came while waiting to retry after OpenRouter refused every attempt (429, 5xx): nothing was charged.
            throw LlmException.FromStatus(refused, null, tries.Tries);
        }
        catch (Exception ex) when (deadline.IsCancellationRequested && ex is not LlmException)
        {
            logger.LogWarning("OpenRouter did not finish answering within {Seconds} s for model {Model} ({Context})",
                _options.TimeoutSeconds, model, call);
            throw new LlmException(LlmErrorKind.Timeout,
                $"The model did not finish answering within {_options.TimeoutSeconds} s, so the call was abandoned. It may have been charged, so it counts at its worst case until OpenRouter confirms its cost.",
                inner: ex);
        }
        catch (ClientResultException ex) when (ex.Status == 0)
        {
            // No HTTP response at all: the SDK wraps the transport's exception.
            throw Transport(model, call, ex);
        }
        catch (ClientResultException ex)
        {
            var status = ex.Status;
            var attempts = OpenRouterRetryPolicy.IsRetryableStatus(status) ? _options.MaxRetries + 1 : 1;
            logger.LogWarning("OpenRouter answered HTTP {Status} for model {Model} ({Context})", status, model, call);
            throw LlmException.FromStatus(status, ProviderMessage(ex), attempts);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or AggregateException)
        {
            throw Transport(model, call, ex);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentOutOfRangeException or FormatException or KeyNotFoundException)
        {
            // The SDK could not read a chunk: OpenRouter's mid-stream errors carry finish_reason "error".
            throw new LlmException(LlmErrorKind.StreamFailed, "The model provider failed mid-answer (the stream ended with an error).", inner: ex);
        }
    }

    private LlmException Transport(string? model, LlmCall call, Exception ex)
    {
        var failure = ConnectionFailure.ToLlmException(ex);
        // The exception's own text can name the address; the kind and type are enough for the operator.
        logger.LogWarning("OpenRouter call for model {Model} failed in transport: {Kind} ({Error}) ({Context})",
            model, failure.Kind, ex.InnerException?.GetType().Name ?? ex.GetType().Name, call);
        return failure;
    }

    /// <summary>
    /// The refusal's reason: OpenRouter, llama.cpp and Ollama put it in error.message, vLLM in a top-level message; a
    /// server with neither gets its body's start, so a 400 about response_format is still recognised.
    /// </summary>
    private static string? ProviderMessage(ClientResultException ex)
    {
        var body = ex.GetRawResponse()?.Content?.ToString();
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Start(body);
            if (root.TryGetProperty("error", out var error))
                return error.ValueKind == JsonValueKind.String ? error.GetString()
                    : error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var message) ? message.GetString() : null;
            return root.TryGetProperty("message", out var topLevel) && topLevel.ValueKind == JsonValueKind.String ? topLevel.GetString() : null;
        }
        catch (JsonException)
        {
            return Start(body);
        }
    }

    private static string Start(string body) => body.Length <= 500 ? body : body[..500];
}
