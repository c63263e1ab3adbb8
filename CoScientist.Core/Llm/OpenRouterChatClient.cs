using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Chat;

namespace CoScientist.Core.Llm;

/// <summary>
/// The innermost layer: one streamed chat completion through the official OpenAI SDK pointed at
/// OpenRouter. Maps HTTP failures to <see cref="LlmException"/> and reports usage (tokens and
/// OpenRouter's usage.cost from the final chunk) to the request's recorder, even when the answer
/// later turns out to be unusable.
/// </summary>
public sealed class OpenRouterChatClient : ILlmClient
{
    private readonly OpenRouterOptions _options;
    private readonly HttpClient _http;
    private readonly ILogger<OpenRouterChatClient> _logger;
    private readonly OpenAIClient? _operatorClient;
    private readonly TimeProvider _clock;

    public OpenRouterChatClient(IOptions<OpenRouterOptions> options, HttpClient http, ILogger<OpenRouterChatClient> logger, TimeProvider? clock = null)
    {
        _options = options.Value;
        _http = http;
        _logger = logger;
        _clock = clock ?? TimeProvider.System;
        if (_options.HasOperatorKey)
            _operatorClient = CreateClient(_options.ApiKey!);
    }

    public async Task<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken cancellationToken)
    {
        OpenAIClient client;
        if (request.Context.KeyKind == KeyKind.Visitor)
            // A visitor's call must never fall back to the operator's key: it would run uncapped.
            client = request.Context.VisitorApiKey is { Length: > 0 } visitorKey
                ? CreateClient(visitorKey)
                : throw new LlmException(LlmErrorKind.NotConfigured, "Your own OpenRouter key is no longer set; enter it again or use the shared key.");
        else
            client = _operatorClient ?? throw new LlmException(LlmErrorKind.NotConfigured,
                "No OpenRouter API key is configured: set the OPENROUTER_API_KEY environment variable (or enter your own key).");

        var chat = client.GetChatClient(request.Model);
        ChatMessage[] messages = [new SystemChatMessage(request.SystemPrompt), new UserChatMessage(request.UserPrompt)];
        var completionOptions = BuildOptions(request);

        var text = new StringBuilder();
        string? finishReason = null, generationId = null;
        long inputTokens = 0, outputTokens = 0;
        decimal cost = 0;
        var sawUsage = false;
        // The whole call, retries included, is bounded: a stalled provider must not hold a cycle for minutes.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(_options.TimeoutSeconds), _clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var tries = AttemptTrackingPolicy.Track();
        try
        {
            await foreach (var update in chat.CompleteChatStreamingAsync(messages, completionOptions, linked.Token))
            {
                generationId ??= update.CompletionId;
                foreach (var part in update.ContentUpdate)
                    text.Append(part.Text);
                if (update.FinishReason is { } reason)
                    finishReason = reason.ToString();
                if (StreamError(update) is { } error)
                    throw new LlmException(LlmErrorKind.StreamFailed, $"The model provider failed mid-answer: {error}");
                if (update.Usage is { } usage)
                {
                    inputTokens = usage.InputTokenCount;
                    outputTokens = usage.OutputTokenCount;
                    // A usage chunk without a readable cost is no reported cost: the call keeps its worst case.
                    (cost, sawUsage) = ReadCost(usage) is { } read ? (read, true) : (0m, false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Record(request, tries, inputTokens, outputTokens, cost, generationId, succeeded: false, sawUsage);
            throw;
        }
        catch (Exception ex) when (deadline.IsCancellationRequested && ex is not LlmException && tries is { Sending: false, Accepted: false, LastStatus: { } refused })
        {
            // The deadline came while waiting to retry after OpenRouter refused every attempt (429, 5xx): nothing was charged.
            Record(request, tries, inputTokens, outputTokens, cost, generationId, succeeded: false, sawUsage);
            throw LlmException.FromStatus(refused, null, tries.Tries);
        }
        catch (Exception ex) when (deadline.IsCancellationRequested && ex is not LlmException)
        {
            Record(request, tries, inputTokens, outputTokens, cost, generationId, succeeded: false, sawUsage);
            _logger.LogWarning("OpenRouter did not finish answering within {Seconds} s for model {Model} ({Context})",
                _options.TimeoutSeconds, request.Model, request.Context);
            throw new LlmException(LlmErrorKind.Timeout,
                $"The model did not finish answering within {_options.TimeoutSeconds} s, so the call was abandoned. It may have been charged, so it counts at its worst case until OpenRouter confirms its cost.",
                inner: ex);
        }
        catch (ClientResultException ex) when (ex.Status == 0)
        {
            // No HTTP response at all: the SDK wraps the transport's exception.
            Record(request, tries, inputTokens, outputTokens, cost, generationId, succeeded: false, sawUsage);
            throw Transport(request, ex);
        }
        catch (ClientResultException ex)
        {
            Record(request, tries, inputTokens, outputTokens, cost, generationId, succeeded: false, sawUsage);
            var status = ex.Status;
            var attempts = OpenRouterRetryPolicy.IsRetryableStatus(status) ? _options.MaxRetries + 1 : 1;
            _logger.LogWarning("OpenRouter answered HTTP {Status} for model {Model} ({Context})", status, request.Model, request.Context);
            throw LlmException.FromStatus(status, ProviderMessage(ex), attempts);
        }
        catch (LlmException)
        {
            Record(request, tries, inputTokens, outputTokens, cost, generationId, succeeded: false, sawUsage);
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or AggregateException)
        {
            Record(request, tries, inputTokens, outputTokens, cost, generationId, succeeded: false, sawUsage);
            throw Transport(request, ex);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentOutOfRangeException or FormatException or KeyNotFoundException)
        {
            // The SDK could not read a chunk: OpenRouter's mid-stream errors carry finish_reason "error".
            Record(request, tries, inputTokens, outputTokens, cost, generationId, succeeded: false, sawUsage);
            throw new LlmException(LlmErrorKind.StreamFailed, "The model provider failed mid-answer (the stream ended with an error).", inner: ex);
        }

        if (!sawUsage)
            _logger.LogWarning("OpenRouter sent no cost for model {Model}; the call counts at its worst case until its cost is confirmed", request.Model);
        var recorded = Record(request, tries, inputTokens, outputTokens, cost, generationId, succeeded: true, sawUsage);
        return new LlmResponse(text.ToString(), recorded, finishReason);
    }

    private LlmException Transport(LlmRequest request, Exception ex)
    {
        var failure = ConnectionFailure.ToLlmException(ex);
        // The exception's own text can name the address; the kind and type are enough for the operator.
        _logger.LogWarning("OpenRouter call for model {Model} failed in transport: {Kind} ({Error}) ({Context})",
            request.Model, failure.Kind, ex.InnerException?.GetType().Name ?? ex.GetType().Name, request.Context);
        return failure;
    }

    private static LlmUsage Record(LlmRequest request, CallAttempts tries, long input, long output, decimal cost, string? id, bool succeeded,
        bool costReported)
    {
        var usage = new LlmUsage(request.Model, request.Step, input, output, cost, id, succeeded, costReported)
        {
            RateLimitedAttempts = tries.RateLimited,
            ServerErrorAttempts = tries.ServerErrors,
        };
        request.Context.Usage?.Record(usage);
        return usage;
    }

    private static ChatCompletionOptions BuildOptions(LlmRequest request)
    {
        var options = new ChatCompletionOptions { Temperature = (float)request.Temperature };
        // OpenRouter documents max_tokens; the SDK's MaxOutputTokenCount would send max_completion_tokens.
        options.Patch.Set("$.max_tokens"u8, request.MaxOutputTokens);
        options.ResponseFormat = request.Format switch
        {
            ResponseFormatMode.JsonSchema when request.Schema is { } schema =>
                ChatResponseFormat.CreateJsonSchemaFormat(schema.Name, BinaryData.FromString(schema.Schema.ToJsonString()), jsonSchemaIsStrict: true),
            ResponseFormatMode.JsonObject => ChatResponseFormat.CreateJsonObjectFormat(),
            _ => null,
        };
        return options;
    }

    private static decimal? ReadCost(ChatTokenUsage usage)
    {
        try
        {
            return usage.Patch.Contains("$.cost"u8) ? usage.Patch.GetDecimal("$.cost"u8) : null;
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or JsonException)
        {
            return null;
        }
    }

    private static string? StreamError(StreamingChatCompletionUpdate update)
    {
        if (!update.Patch.Contains("$.error"u8))
            return null;
        try
        {
            using var doc = JsonDocument.Parse(update.Patch.GetJson("$.error"u8));
            return doc.RootElement.TryGetProperty("message", out var message) ? message.GetString() : doc.RootElement.ToString();
        }
        catch (JsonException)
        {
            return "unreadable error";
        }
    }

    private static string? ProviderMessage(ClientResultException ex)
    {
        try
        {
            var body = ex.GetRawResponse()?.Content?.ToString();
            if (string.IsNullOrWhiteSpace(body)) return null;
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("message", out var message)
                ? message.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private OpenAIClient CreateClient(string apiKey)
    {
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = _options.BaseUri,
            Transport = new HttpClientPipelineTransport(_http),
            RetryPolicy = new OpenRouterRetryPolicy(_options.MaxRetries,
                TimeSpan.FromMilliseconds(_options.InitialBackoffMs), TimeSpan.FromMilliseconds(_options.MaxBackoffMs), _clock),
            // The call's own deadline (above) is what bounds it; this only stops the SDK cutting in first.
            NetworkTimeout = TimeSpan.FromSeconds(_options.TimeoutSeconds + 5),
        };
        clientOptions.AddPolicy(new OpenRouterHeadersPolicy(_options.AppUrl, _options.AppTitle), PipelinePosition.PerCall);
        clientOptions.AddPolicy(new AttemptTrackingPolicy(), PipelinePosition.PerTry);
        return new OpenAIClient(new ApiKeyCredential(apiKey), clientOptions);
    }
}
