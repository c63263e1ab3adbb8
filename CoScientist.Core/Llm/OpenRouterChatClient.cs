using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Chat;

namespace CoScientist.Core.Llm;

/// <summary>
/// The innermost client: the official OpenAI SDK's <see cref="ChatClient"/> as an <see cref="IChatClient"/>
/// (Microsoft.Extensions.AI.OpenAI), on the key the call is paid with: the operator's, made once (with and without
/// OpenRouter's headers), or a visitor's own, made for the call. The SDK's pipeline carries our retry policy and attempt
/// tracking; OpenRouter's attribution headers go only to OpenRouter, never to a local server; max_tokens and our
/// schemas go as OpenRouter documents them.
/// </summary>
public sealed class OpenRouterChatClient : IChatClient
{
    private readonly OpenRouterOptions _options;
    private readonly HttpClient _http;
    private readonly TimeProvider _clock;
    private readonly IChatClient? _operator;
    private readonly IChatClient _operatorLocal;

    /// <summary>What a local server is sent as the key when none is set (llama.cpp and Ollama ignore it).</summary>
    public const string NoKey = "no-key";

    public OpenRouterChatClient(IOptions<OpenRouterOptions> options, HttpClient http, TimeProvider? clock = null)
    {
        _options = options.Value;
        _http = http;
        _clock = clock ?? TimeProvider.System;
        if (_options.HasOperatorKey)
            _operator = Create(_options.ApiKey!, local: false);
        // A local server (its /models has no prices) needs no key: the SDK wants one that is not empty, so a placeholder
        // stands in when none is set. Only a local model's calls use this client; OpenRouter's models are all priced.
        _operatorLocal = Create(_options.HasOperatorKey ? _options.ApiKey! : NoKey, local: true);
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        ClientFor(LlmCall.Of(options)).GetResponseAsync(messages, ForOpenRouter(options!), cancellationToken);

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages,
        ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        ClientFor(LlmCall.Of(options)).GetStreamingResponseAsync(messages, ForOpenRouter(options!), cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : _operator?.GetService(serviceType, serviceKey);

    public void Dispose()
    {
    }

    private IChatClient ClientFor(LlmCall call)
    {
        if (call.Context.KeyKind == KeyKind.Visitor)
            // A visitor's call must never fall back to the operator's key: it would run uncapped.
            return call.Context.VisitorApiKey is { Length: > 0 } visitorKey
                ? Create(visitorKey, call.IsLocal)
                : throw new LlmException(LlmErrorKind.NotConfigured, "Your own OpenRouter key is no longer set; enter it again or use the shared key.");
        return (call.IsLocal ? _operatorLocal : _operator) ?? throw new LlmException(LlmErrorKind.NotConfigured,
            "No OpenRouter API key is configured: set the OPENROUTER_API_KEY environment variable (or enter your own key).");
    }

    /// <summary>
    /// OpenRouter documents max_tokens, where the SDK would send max_completion_tokens; and our schemas go as written,
    /// strict, where the adapter would move keywords such as minimum and maximum into descriptions (which the answer's
    /// score ranges rely on). Our call facts stay behind: nothing of them reaches the SDK.
    /// </summary>
    private static ChatOptions ForOpenRouter(ChatOptions options)
    {
        var sdk = options.Clone();
        sdk.AdditionalProperties = null;
        sdk.MaxOutputTokens = null;
        var maxTokens = options.MaxOutputTokens;
        var schema = options.ResponseFormat as ChatResponseFormatJson;
        sdk.RawRepresentationFactory = _ =>
        {
            var raw = new ChatCompletionOptions();
            if (maxTokens is { } max)
                raw.Patch.Set("$.max_tokens"u8, max);
            if (schema?.Schema is { } json)
                raw.ResponseFormat = OpenAI.Chat.ChatResponseFormat.CreateJsonSchemaFormat(schema.SchemaName ?? "answer",
                    BinaryData.FromString(json.GetRawText()), schema.SchemaDescription, jsonSchemaIsStrict: true);
            return raw;
        };
        return sdk;
    }

    private IChatClient Create(string apiKey, bool local)
    {
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = _options.BaseUri,
            Transport = new HttpClientPipelineTransport(_http),
            RetryPolicy = new OpenRouterRetryPolicy(_options.MaxRetries,
                TimeSpan.FromMilliseconds(_options.InitialBackoffMs), TimeSpan.FromMilliseconds(_options.MaxBackoffMs), _clock),
            // The call's own deadline (ProviderErrorsChatClient) is what bounds it; this only stops the SDK cutting in first.
            NetworkTimeout = TimeSpan.FromSeconds(_options.TimeoutSeconds + 5),
        };
        if (!local)
            clientOptions.AddPolicy(new OpenRouterHeadersPolicy(_options.AppUrl, _options.AppTitle), PipelinePosition.PerCall);
        clientOptions.AddPolicy(new AttemptTrackingPolicy(), PipelinePosition.PerTry);
        // The model is the call's (ChatOptions.ModelId); this one only names the client.
        return new OpenAIClient(new ApiKeyCredential(apiKey), clientOptions).GetChatClient("openrouter").AsIChatClient();
    }
}
