using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CoScientist.Tests.Fakes;

public enum FaultKind
{
    None, RateLimited, RateLimitedWithRetryAfter, ServerError, BadGateway, OutOfCredits, Unauthorized, Moderated, Fenced, Truncated, MidStreamError, Malformed,
    /// <summary>The provider charges, then the connection is reset before any answer: the client sees no HTTP response.</summary>
    ResetAfterCharge,
    /// <summary>The provider charges and starts streaming (the generation id arrives), then the connection is cut.</summary>
    CutStreamAfterCharge,
    /// <summary>The provider accepts and charges the request and never answers.</summary>
    Stall,
    /// <summary>A complete answer whose usage carries no cost.</summary>
    UsageWithoutCost,
}

/// <summary>One chat request as the fake received it.</summary>
public sealed record RecordedRequest(string Model, JsonObject Body, IReadOnlyDictionary<string, string> Headers, FaultKind Fault, DateTimeOffset At);

/// <summary>
/// An OpenAI-compatible server that behaves like OpenRouter, in-process on 127.0.0.1: /models from
/// the recorded catalogue, /key, and /chat/completions answering json_schema requests with valid
/// instances, streaming SSE with ": OPENROUTER PROCESSING" comments and a final usage chunk with
/// cost. Faults come on demand: queued one by one, or drawn at random at set rates.
/// </summary>
public sealed class FakeOpenRouterServer : IAsyncDisposable
{
    public const string ValidKey = "sk-or-v1-operator-test-key";
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<FaultKind> _queued = new();
    private readonly ConcurrentBag<RecordedRequest> _requests = [];
    private readonly FakeContent _content;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private decimal _charged;
    private readonly Dictionary<string, decimal> _chargedByKey = [];
    private readonly ConcurrentDictionary<string, (decimal Cost, int Prompt, int Completion)> _generations = new();
    private int _inFlight;
    private int _maxInFlight;
    private int _modelsRequests;

    /// <summary>USD per token the fake charges for models its catalogue does not price, as OpenRouter bills by model.</summary>
    public decimal PromptPrice { get; set; } = 0.000001m;
    public decimal CompletionPrice { get; set; } = 0.000002m;
    private IReadOnlyList<CoScientist.Core.Models.ModelInfo>? _pricedModels;
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;

    /// <summary>The Retry-After, in seconds, that <see cref="FaultKind.RateLimitedWithRetryAfter"/> answers with.</summary>
    public int RetryAfterSeconds { get; set; } = 1;
    private volatile TaskCompletionSource? _hold;
    private int _held;
    public double TransientFailureRate { get; set; }
    public double DamagedAnswerRate { get; set; }
    public HashSet<string> AcceptedKeys { get; } = [ValidKey];
    public string ModelsJson { get; set; } = File.ReadAllText(TestData.Path("openrouter-models-2026-08.json"));
    public bool ModelsUnavailable { get; set; }
    /// <summary>Models whose server refuses a json_schema response_format with a 400 naming it, as many local servers do.</summary>
    public HashSet<string> RejectJsonSchema { get; } = [];
    /// <summary>Models whose server refuses json_object too (it then takes the schema in the prompt only).</summary>
    public HashSet<string> RejectJsonObject { get; } = [];
    /// <summary>Whether the final usage chunk carries OpenRouter's cost; a local server's never does.</summary>
    public bool SendsCost { get; set; } = true;
    /// <summary>Whether GET /generation knows generations yet (OpenRouter takes a few seconds to make them queryable).</summary>
    public bool GenerationsQueryable { get; set; } = true;
    /// <summary>How many times GET /generation was asked.</summary>
    public int GenerationLookups => Volatile.Read(ref _generationLookups);
    private int _generationLookups;
    public bool RealisticLengths { get => _content.RealisticLengths; set => _content.RealisticLengths = value; }
    public bool Hostile { get => _content.Hostile; set => _content.Hostile = value; }
    /// <summary>The works every review names as references (null: made-up ones); see <see cref="FakeContent.References"/>.</summary>
    public IReadOnlyList<FakeReference>? References { get => _content.References; set => _content.References = value; }

    public string BaseUrl { get; private set; } = "";
    public IReadOnlyCollection<RecordedRequest> Requests => _requests;
    public decimal TotalCharged { get { lock (_gate) return _charged; } }

    /// <summary>What the account behind one key was charged (the operator's, or a visitor's own).</summary>
    public decimal ChargedTo(string key) { lock (_gate) return _chargedByKey.GetValueOrDefault(key); }
    /// <summary>The most chat requests that were ever being answered at once.</summary>
    public int MaxConcurrentRequests => Volatile.Read(ref _maxInFlight);
    /// <summary>Chat requests being answered now (a caller that died leaves its request running here until the answer fails to send).</summary>
    public int InFlightRequests => Volatile.Read(ref _inFlight);
    /// <summary>How often the catalogue (GET /models) was asked for.</summary>
    public int ModelsRequests => Volatile.Read(ref _modelsRequests);
    public int CompletedCalls => _requests.Count(r => r.Fault is FaultKind.None or FaultKind.Fenced or FaultKind.Truncated or FaultKind.Malformed);

    private FakeOpenRouterServer(int seed)
    {
        _content = new FakeContent(seed);
        _random = new Random(seed);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapGet("/api/v1/models", () =>
        {
            Interlocked.Increment(ref _modelsRequests);
            return ModelsUnavailable ? Results.StatusCode(503) : Results.Text(ModelsJson, "application/json");
        });
        _app.MapGet("/api/v1/key", (HttpContext http) => KeyInfo(http));
        _app.MapGet("/api/v1/credits", (HttpContext http) => Credits(http));
        _app.MapPost("/api/v1/chat/completions", Chat);
        _app.MapGet("/api/v1/generation", (HttpContext http, string id) => Generation(http, id));
    }

    public static async Task<FakeOpenRouterServer> StartAsync(int seed = 1)
    {
        var server = new FakeOpenRouterServer(seed);
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.TrimEnd('/') + "/api/v1";
        return server;
    }

    /// <summary>
    /// Holds every chat request from now on (recorded, not yet answered or charged) until <see cref="Release"/>, so a
    /// test sees a cycle in its running state for certain instead of racing it with a latency.
    /// </summary>
    public void Hold() => _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Answers the held requests and stops holding.</summary>
    public void Release() => Interlocked.Exchange(ref _hold, null)?.TrySetResult();

    /// <summary>How many chat requests are waiting on <see cref="Hold"/> right now.</summary>
    public int HeldRequests => Volatile.Read(ref _held);

    public void Enqueue(params FaultKind[] faults)
    {
        foreach (var f in faults) _queued.Enqueue(f);
    }

    public void ResetCounters()
    {
        _requests.Clear();
        lock (_gate) { _charged = 0; _maxInFlight = 0; _chargedByKey.Clear(); }
    }

    private IResult Generation(HttpContext http, string id)
    {
        Interlocked.Increment(ref _generationLookups);
        var key = Bearer(http);
        if (key is null || !AcceptedKeys.Contains(key))
            return Results.Json(new { error = new { code = 401, message = "No auth credentials found" } }, statusCode: 401);
        if (!GenerationsQueryable || !_generations.TryGetValue(id, out var g))
            return Results.Json(new { error = new { code = 404, message = "Generation not found" } }, statusCode: 404);
        return Results.Json(new { data = new { id, total_cost = g.Cost, tokens_prompt = g.Prompt, tokens_completion = g.Completion, cancelled = true } });
    }

    /// <summary>What GET /key reports as the key's spend today and this month (UTC); by default what the fake charged that key.</summary>
    public decimal? ProviderUsageDaily { get; set; }
    public decimal? ProviderUsageMonthly { get; set; }

    /// <summary>The key's credit limit GET /key reports (null: no limit set, and then no remaining figure either).</summary>
    public decimal? KeyLimit { get; set; } = 10m;
    /// <summary>All the key has spent as GET /key reports it; the remaining credit is the limit less this.</summary>
    public decimal KeyUsage { get; set; } = 1.25m;

    /// <summary>GET /key answers 503, as when OpenRouter's API is down.</summary>
    public bool KeyInfoUnavailable { get; set; }

    /// <summary>How many times GET /key was asked, with any key.</summary>
    public int KeyRequests => Volatile.Read(ref _keyRequests);
    private int _keyRequests;

    /// <summary>The management key GET /credits accepts; as on OpenRouter, an ordinary API key is refused there.</summary>
    public const string ManagementKey = "sk-or-v1-management-test-key";

    /// <summary>The account's balance GET /credits reports: all credit ever bought, and all ever used.</summary>
    public decimal AccountCredits { get; set; } = 100m;
    public decimal AccountUsage { get; set; } = 25.75m;

    public int CreditsRequests => Volatile.Read(ref _creditsRequests);
    private int _creditsRequests;

    private IResult Credits(HttpContext http)
    {
        Interlocked.Increment(ref _creditsRequests);
        if (KeyInfoUnavailable)
            return Results.Json(new { error = new { code = 503, message = "Service Unavailable" } }, statusCode: 503);
        return Bearer(http) == ManagementKey
            ? Results.Json(new { data = new { total_credits = AccountCredits, total_usage = AccountUsage } })
            : Results.Json(new { error = new { code = 401, message = "Only management keys can perform this operation" } }, statusCode: 401);
    }

    private IResult KeyInfo(HttpContext http)
    {
        Interlocked.Increment(ref _keyRequests);
        if (KeyInfoUnavailable)
            return Results.Json(new { error = new { code = 503, message = "Service Unavailable" } }, statusCode: 503);
        var key = Bearer(http);
        if (key is null || !AcceptedKeys.Contains(key))
            return Results.Json(new { error = new { code = 401, message = "No auth credentials found" } }, statusCode: 401);
        var charged = ChargedTo(key);
        return Results.Json(new { data = new
        {
            label = "sk-or-v1-abc...xyz", limit = KeyLimit, usage = KeyUsage, limit_remaining = KeyLimit - KeyUsage, is_free_tier = false,
            usage_daily = ProviderUsageDaily ?? charged, usage_weekly = ProviderUsageDaily ?? charged, usage_monthly = ProviderUsageMonthly ?? charged,
        } });
    }

    private async Task Chat(HttpContext http)
    {
        var now = Interlocked.Increment(ref _inFlight);
        lock (_gate) _maxInFlight = Math.Max(_maxInFlight, now);
        try
        {
            await ChatCore(http);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task ChatCore(HttpContext http)
    {
        var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
        var model = body["model"]?.GetValue<string>() ?? "";
        var fault = NextFault();
        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _requests.Add(new RecordedRequest(model, body, headers, fault, DateTimeOffset.UtcNow));

        if (_hold is { } hold)
        {
            Interlocked.Increment(ref _held);
            try { await hold.Task; } // a client that gives up does not stop the provider: it answers (and bills) on release
            finally { Interlocked.Decrement(ref _held); }
        }
        if (Latency > TimeSpan.Zero)
            await Task.Delay(Latency);

        var key = Bearer(http);
        if (key is null || !AcceptedKeys.Contains(key))
        {
            await Error(http, 401, "User not found.");
            return;
        }
        var format = body["response_format"]?["type"]?.GetValue<string>();
        if ((format == "json_schema" && RejectJsonSchema.Contains(model)) || (format == "json_object" && RejectJsonObject.Contains(model)))
        {
            await Error(http, 400, $"'response_format' of type '{format}' is not supported by this model");
            return;
        }
        switch (fault)
        {
            case FaultKind.RateLimited: await Error(http, 429, "Rate limit exceeded"); return;
            case FaultKind.RateLimitedWithRetryAfter: http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture); await Error(http, 429, "Rate limit exceeded"); return;
            case FaultKind.ServerError: await Error(http, 500, "Internal Server Error"); return;
            case FaultKind.BadGateway: await Error(http, 502, "Provider returned error"); return;
            case FaultKind.OutOfCredits: await Error(http, 402, "Insufficient credits"); return;
            case FaultKind.Unauthorized: await Error(http, 401, "User not found."); return;
            case FaultKind.Moderated: await Error(http, 403, "Input was flagged by moderation"); return;
        }

        var prompt = FakeContent.PromptOf(body);
        var content = _content.Answer(body, prompt);
        var finish = "stop";
        switch (fault)
        {
            case FaultKind.Fenced: content = "```json\n" + content + "\n```"; break;
            case FaultKind.Truncated: content = content[..(int)(content.Length * 0.6)]; finish = "length"; break;
            case FaultKind.Malformed: content = "I think the best answer is: {not json at all"; break;
        }

        var promptTokens = Math.Max(1, prompt.Length / 4);
        var completionTokens = Math.Max(1, content.Length / 4);
        var (promptPrice, completionPrice) = PricesOf(model);
        var cost = promptTokens * promptPrice + completionTokens * completionPrice;
        lock (_gate)
        {
            _charged += cost;
            _chargedByKey[key] = _chargedByKey.GetValueOrDefault(key) + cost;
        }

        var id = "gen-" + Guid.NewGuid().ToString("N")[..16];
        _generations[id] = (cost, promptTokens, completionTokens);
        switch (fault)
        {
            case FaultKind.ResetAfterCharge:
                http.Abort();
                return;
            case FaultKind.CutStreamAfterCharge:
                http.Response.ContentType = "text/event-stream";
                await Chunk(http, ChunkOf(id, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model, new JsonObject { ["role"] = "assistant", ["content"] = content[..Math.Min(10, content.Length)] }, null));
                // Failing after the answer started makes Kestrel drop the connection without ending the response,
                // after the bytes already flushed (unlike an abort, whose reset can discard them in flight).
                throw new IOException("The stream was cut mid-way.");
            case FaultKind.Stall:
                await Task.Delay(Timeout.InfiniteTimeSpan, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
        }
        if (body["stream"]?.GetValue<bool>() == true)
            await Stream(http, id, model, content, finish, promptTokens, completionTokens, fault == FaultKind.UsageWithoutCost || !SendsCost ? null : cost, fault == FaultKind.MidStreamError);
        else
            await http.Response.WriteAsJsonAsync(new JsonObject
            {
                ["id"] = id, ["object"] = "chat.completion", ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0, ["finish_reason"] = finish,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content },
                }),
                ["usage"] = Usage(promptTokens, completionTokens, cost),
            });
    }

    private static async Task Stream(HttpContext http, string id, string model, string content, string finish,
        int promptTokens, int completionTokens, decimal? cost, bool failMidway)
    {
        http.Response.ContentType = "text/event-stream";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await http.Response.WriteAsync(": OPENROUTER PROCESSING\n\n");
        await http.Response.Body.FlushAsync();

        var pieces = Split(content, 3);
        for (var i = 0; i < pieces.Count; i++)
        {
            if (failMidway && i == 1)
            {
                await Chunk(http, new JsonObject
                {
                    ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = model,
                    ["error"] = new JsonObject { ["code"] = 502, ["message"] = "Provider disconnected mid-stream" },
                    ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["content"] = "" }, ["finish_reason"] = "error" }),
                });
                return;
            }
            await Chunk(http, ChunkOf(id, created, model, new JsonObject { ["role"] = "assistant", ["content"] = pieces[i] }, null));
            if (i == 0) await http.Response.WriteAsync(": OPENROUTER PROCESSING\n\n");
        }
        await Chunk(http, ChunkOf(id, created, model, new JsonObject { ["content"] = "" }, finish));
        var usage = new JsonObject
        {
            ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = model,
            ["choices"] = new JsonArray(), ["usage"] = Usage(promptTokens, completionTokens, cost),
        };
        await Chunk(http, usage);
        await http.Response.WriteAsync("data: [DONE]\n\n");
    }

    internal static JsonObject ChunkOf(string id, long created, string model, JsonObject delta, string? finish) => new()
    {
        ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = model,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
    };

    internal static async Task Chunk(HttpContext http, JsonObject chunk)
    {
        await http.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n");
        await http.Response.Body.FlushAsync();
    }

    internal static JsonObject Usage(int promptTokens, int completionTokens, decimal? cost)
    {
        var usage = new JsonObject
        {
            ["prompt_tokens"] = promptTokens, ["completion_tokens"] = completionTokens, ["total_tokens"] = promptTokens + completionTokens,
        };
        if (cost is { } c) usage["cost"] = c;
        return usage;
    }

    private (decimal Prompt, decimal Completion) PricesOf(string model)
    {
        _pricedModels ??= CoScientist.Core.Models.ModelCatalogParser.Parse(ModelsJson);
        return _pricedModels.FirstOrDefault(m => m.Id == model) is { IsPriceKnown: true } info
            ? (info.PromptPrice!.Value, info.CompletionPrice!.Value)
            : (PromptPrice, CompletionPrice);
    }

    private FaultKind NextFault()
    {
        if (_queued.TryDequeue(out var queued)) return queued;
        lock (_gate)
        {
            var roll = _random.NextDouble();
            if (roll < TransientFailureRate)
                return _random.Next(3) switch { 0 => FaultKind.RateLimited, 1 => FaultKind.ServerError, _ => FaultKind.BadGateway };
            roll = _random.NextDouble();
            if (roll < DamagedAnswerRate)
                return _random.Next(2) == 0 ? FaultKind.Fenced : FaultKind.Truncated;
            return FaultKind.None;
        }
    }

    private static async Task Error(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        await http.Response.WriteAsJsonAsync(new { error = new { code = status, message, metadata = new { provider_name = "fake" } } });
    }

    private static string? Bearer(HttpContext http) =>
        http.Request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth[7..] : null;

    internal static List<string> Split(string text, int parts)
    {
        var size = Math.Max(1, (int)Math.Ceiling(text.Length / (double)parts));
        return Enumerable.Range(0, parts).Select(i => i * size).Where(i => i < text.Length)
            .Select(i => text.Substring(i, Math.Min(size, text.Length - i))).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
