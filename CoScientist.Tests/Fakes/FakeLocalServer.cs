using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CoScientist.Tests.Fakes;

/// <summary>
/// An OpenAI-compatible server shaped like a local one (llama.cpp's llama-server, Ollama, vLLM), in-process on
/// 127.0.0.1 under /v1: /models lists models without any pricing, chat completions stream SSE with a usage chunk
/// that has no cost and no ": OPENROUTER PROCESSING" lines, and keys are not checked. There is no /key and no
/// /generation: every other path answers 404 and is counted in <see cref="UnknownRequests"/>. One model
/// (<see cref="SchemaRefusingModel"/>) refuses response_format json_schema with a 400 naming it, as llama.cpp and vLLM do
/// for a schema they cannot compile. Answers come from <see cref="FakeContent"/>, like the fake OpenRouter's.
/// </summary>
public sealed class FakeLocalServer : IAsyncDisposable
{
    /// <summary>Accepts json_schema.</summary>
    public const string Model = "llama3.2:latest";
    /// <summary>Refuses json_schema; accepts json_object and plain instructions.</summary>
    public const string SchemaRefusingModel = "qwen2.5:7b-instruct";

    /// <summary>Ollama's /v1/models: id, object, created, owned_by; nothing else.</summary>
    public static readonly string OllamaModels = $$"""
        {"object":"list","data":[
          {"id":"{{Model}}","object":"model","created":1731000000,"owned_by":"library"},
          {"id":"{{SchemaRefusingModel}}","object":"model","created":1731000001,"owned_by":"library"}]}
        """;

    /// <summary>llama.cpp's llama-server /v1/models: one loaded model with its GGUF metadata.</summary>
    public const string LlamaCppModels = """
        {"object":"list","data":[{"id":"gemma-3-4b-it-Q4_K_M.gguf","object":"model","created":1731000000,"owned_by":"llamacpp",
          "meta":{"vocab_type":2,"n_vocab":262144,"n_ctx":8192,"n_ctx_train":131072,"n_embd":2560,"n_params":3880263168,"size":2489757696}}]}
        """;

    private readonly WebApplication _app;
    private readonly FakeContent _content;
    private readonly ConcurrentBag<RecordedRequest> _requests = [];
    private readonly ConcurrentBag<string> _unknown = [];

    public string ModelsJson { get; set; } = OllamaModels;
    /// <summary>When set, every endpoint wants this bearer key, as vLLM started with --api-key does.</summary>
    public string? RequiredKey { get; set; }
    public string BaseUrl { get; private set; } = "";
    public IReadOnlyCollection<RecordedRequest> Requests => _requests;
    /// <summary>Requests to paths a local server does not have (OpenRouter's /key and /generation among them).</summary>
    public IReadOnlyCollection<string> UnknownRequests => _unknown;
    public int ModelsRequests => Volatile.Read(ref _modelsRequests);
    private int _modelsRequests;

    private FakeLocalServer(int seed)
    {
        _content = new FakeContent(seed);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Use(async (http, next) =>
        {
            if (RequiredKey is { } key && http.Request.Headers.Authorization.ToString() != "Bearer " + key)
            {
                http.Response.StatusCode = 401;
                await http.Response.WriteAsJsonAsync(new { error = new { code = 401, message = "Unauthorized", type = "authentication_error" } });
                return;
            }
            await next(http);
        });
        _app.MapGet("/v1/models", () =>
        {
            Interlocked.Increment(ref _modelsRequests);
            return Results.Text(ModelsJson, "application/json");
        });
        _app.MapPost("/v1/chat/completions", Chat);
        _app.MapFallback((HttpContext http) =>
        {
            _unknown.Add(http.Request.Method + " " + http.Request.Path);
            return Results.Json(new { error = new { code = 404, message = "File Not Found", type = "not_found_error" } }, statusCode: 404);
        });
    }

    public static async Task<FakeLocalServer> StartAsync(int seed = 1)
    {
        var server = new FakeLocalServer(seed);
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.TrimEnd('/') + "/v1";
        return server;
    }

    private async Task Chat(HttpContext http)
    {
        var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
        var model = body["model"]?.GetValue<string>() ?? "";
        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _requests.Add(new RecordedRequest(model, body, headers, FaultKind.None, DateTimeOffset.UtcNow));

        if (model == SchemaRefusingModel && body["response_format"]?["type"]?.GetValue<string>() == "json_schema")
        {
            http.Response.StatusCode = 400;
            await http.Response.WriteAsJsonAsync(new { error = new { code = 400, type = "invalid_request_error",
                message = "Unsupported response_format type 'json_schema': this model's grammar cannot be built from the schema" } });
            return;
        }

        var prompt = FakeContent.PromptOf(body);
        var content = _content.Answer(body, prompt);
        var id = "chatcmpl-" + Guid.NewGuid().ToString("N")[..24];
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var (promptTokens, completionTokens) = (Math.Max(1, prompt.Length / 4), Math.Max(1, content.Length / 4));
        // Local servers count tokens but bill nothing: their usage never has a cost.
        var usage = FakeOpenRouterServer.Usage(promptTokens, completionTokens, cost: null);
        if (body["stream"]?.GetValue<bool>() != true)
        {
            await http.Response.WriteAsJsonAsync(new JsonObject
            {
                ["id"] = id, ["object"] = "chat.completion", ["created"] = created, ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0, ["finish_reason"] = "stop", ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content },
                }),
                ["usage"] = usage,
            });
            return;
        }

        http.Response.ContentType = "text/event-stream";
        foreach (var piece in FakeOpenRouterServer.Split(content, 3))
            await FakeOpenRouterServer.Chunk(http, FakeOpenRouterServer.ChunkOf(id, created, model, new JsonObject { ["role"] = "assistant", ["content"] = piece }, null));
        await FakeOpenRouterServer.Chunk(http, FakeOpenRouterServer.ChunkOf(id, created, model, new JsonObject(), "stop"));
        if (body["stream_options"]?["include_usage"]?.GetValue<bool>() == true)
            await FakeOpenRouterServer.Chunk(http, new JsonObject
            {
                ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = model,
                ["choices"] = new JsonArray(), ["usage"] = usage,
            });
        await http.Response.WriteAsync("data: [DONE]\n\n");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
