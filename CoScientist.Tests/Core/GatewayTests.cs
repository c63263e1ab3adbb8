using System.Collections.Concurrent;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Core;

public sealed class GatewayTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync();
        _services = CoreHarness.Create(_server);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    private sealed class Recorder : IUsageRecorder
    {
        public ConcurrentQueue<LlmUsage> Calls { get; } = new();
        public void Record(LlmUsage usage) => Calls.Enqueue(usage);
    }

    private static LlmRequest Request(Recorder? recorder = null, string model = "google/gemini-2.5-flash") => new()
    {
        Model = model,
        SystemPrompt = "You judge.",
        UserPrompt = "Which is better?",
        MaxOutputTokens = 300,
        Schema = new JsonSchemaSpec("match_judgement", JsonSchemaBuilder.Object(
            ("winner", JsonSchemaBuilder.Enum("w", "A", "B")), ("rationale", JsonSchemaBuilder.String("r")))),
        Step = CycleStep.Ranking,
        Context = new LlmCallContext { Usage = recorder },
    };

    private Task<string> CallAsync(LlmRequest request) =>
        _services.GetRequiredService<StructuredLlm>().CallAsync(request, n => JsonRead.RequiredText(n, "winner"), CancellationToken.None);

    [Fact]
    public async Task AStructuredCall_SendsStrictSchemaMaxTokensAndAttributionHeaders()
    {
        var winner = await CallAsync(Request());

        Assert.Contains(winner, new[] { "A", "B" });
        var sent = Assert.Single(_server.Requests);
        Assert.Equal("json_schema", sent.Body["response_format"]!["type"]!.GetValue<string>());
        Assert.True(sent.Body["response_format"]!["json_schema"]!["strict"]!.GetValue<bool>());
        Assert.Equal(300, sent.Body["max_tokens"]!.GetValue<int>());
        Assert.True(sent.Body["stream"]!.GetValue<bool>());
        Assert.Equal("CoScientist", sent.Headers["X-Title"]);
        Assert.False(string.IsNullOrEmpty(sent.Headers["HTTP-Referer"]));
        Assert.Equal("Bearer " + FakeOpenRouterServer.ValidKey, sent.Headers["Authorization"]);
    }

    [Fact]
    public async Task AModelWithoutStructuredOutputs_GetsJsonObjectOrPromptOnlyRequests()
    {
        // In the 2026 catalogue, this model lists response_format but not structured_outputs.
        var catalog = CoScientist.Core.Models.ModelCatalogParser.Parse(_server.ModelsJson);
        var jsonObjectOnly = catalog.First(m => m.SupportsResponseFormat && !m.SupportsStructuredOutputs && m.IsPriceKnown);
        var neither = catalog.First(m => !m.SupportsResponseFormat && m.IsPriceKnown);

        await CallAsync(Request(model: jsonObjectOnly.Id));
        await CallAsync(Request(model: neither.Id));

        var requests = _server.Requests.OrderBy(r => r.At).ToList();
        Assert.Equal("json_object", requests[0].Body["response_format"]!["type"]!.GetValue<string>());
        Assert.Null(requests[1].Body["response_format"]);
        Assert.Contains("following this JSON schema", requests[1].Body["messages"]![0]!["content"]!.ToString());
    }

    [Fact]
    public async Task TokensAndOpenRouterCost_AreCapturedFromTheFinalStreamChunk()
    {
        var recorder = new Recorder();

        await CallAsync(Request(recorder));

        var usage = Assert.Single(recorder.Calls);
        Assert.True(usage.InputTokens > 0 && usage.OutputTokens > 0);
        Assert.Equal(_server.TotalCharged, usage.CostUsd);
        Assert.True(usage.CostUsd > 0);
        Assert.StartsWith("gen-", usage.GenerationId);
        Assert.Equal(CycleStep.Ranking, usage.Step);
    }

    [Theory]
    [InlineData(FaultKind.RateLimited)]
    [InlineData(FaultKind.ServerError)]
    [InlineData(FaultKind.BadGateway)]
    public async Task TransientFailures_AreRetriedUntilTheyPass(FaultKind fault)
    {
        _server.Enqueue(fault, fault);

        var winner = await CallAsync(Request());

        Assert.Contains(winner, new[] { "A", "B" });
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task RetryAfter_IsHonoured()
    {
        _server.Enqueue(FaultKind.RateLimitedWithRetryAfter);
        using var services = CoreHarness.Create(_server, new Dictionary<string, string?> { ["openrouter_max_backoff_ms"] = "5000" });

        await services.GetRequiredService<StructuredLlm>().CallAsync(Request(), n => n, CancellationToken.None);

        var times = _server.Requests.OrderBy(r => r.At).Select(r => r.At).ToList();
        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(900), $"waited only {(times[1] - times[0]).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task PersistentRateLimiting_GivesUpAfterABoundedNumberOfAttempts()
    {
        _server.Enqueue(Enumerable.Repeat(FaultKind.RateLimited, 10).ToArray());

        var ex = await Assert.ThrowsAsync<LlmException>(() => CallAsync(Request()));

        Assert.Equal(LlmErrorKind.RateLimited, ex.Kind);
        Assert.Equal(4, _server.Requests.Count); // 1 + openrouter_max_retries (3)
        Assert.Contains("429", ex.Message);
    }

    [Theory]
    [InlineData(FaultKind.Unauthorized, LlmErrorKind.Unauthorized, "key")]
    [InlineData(FaultKind.OutOfCredits, LlmErrorKind.OutOfCredits, "credits")]
    [InlineData(FaultKind.Moderated, LlmErrorKind.Moderated, "moderation")]
    public async Task KeyCreditAndModerationErrors_AreNotRetriedAndSayWhatHappened(FaultKind fault, LlmErrorKind kind, string wording)
    {
        _server.Enqueue(fault);

        var ex = await Assert.ThrowsAsync<LlmException>(() => CallAsync(Request()));

        Assert.Equal(kind, ex.Kind);
        Assert.Contains(wording, ex.Message);
        Assert.Single(_server.Requests);
    }

    [Theory]
    [InlineData(FaultKind.Fenced, 1)]
    [InlineData(FaultKind.Truncated, 1)]
    public async Task FencedOrTruncatedAnswers_AreRecoveredWithoutAnotherCall(FaultKind fault, int expectedCalls)
    {
        _server.Enqueue(fault);

        var node = await _services.GetRequiredService<StructuredLlm>().CallAsync(Request(), n => n, CancellationToken.None);

        Assert.NotNull(node);
        Assert.Equal(expectedCalls, _server.Requests.Count);
    }

    [Fact]
    public async Task AnUnreadableAnswer_IsAskedForOnceMore()
    {
        _server.Enqueue(FaultKind.Malformed);
        var recorder = new Recorder();

        var winner = await CallAsync(Request(recorder));

        Assert.Contains(winner, new[] { "A", "B" });
        Assert.Equal(2, _server.Requests.Count);
        Assert.Equal(2, recorder.Calls.Count); // the wasted call's cost is counted too
    }

    [Fact]
    public async Task AStreamThatFailsMidway_IsAnErrorAndIsRetriedOnce()
    {
        _server.Enqueue(FaultKind.MidStreamError, FaultKind.MidStreamError);

        var ex = await Assert.ThrowsAsync<LlmException>(() => CallAsync(Request()));

        Assert.Equal(LlmErrorKind.StreamFailed, ex.Kind);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task WithoutAKey_CallsFailWithAClearMessage()
    {
        using var services = CoreHarness.Create(_server, new Dictionary<string, string?> { ["OPENROUTER_API_KEY"] = "" });

        var ex = await Assert.ThrowsAsync<LlmException>(() =>
            services.GetRequiredService<StructuredLlm>().CallAsync(Request(), n => n, CancellationToken.None));

        Assert.Equal(LlmErrorKind.NotConfigured, ex.Kind);
        Assert.Contains("OPENROUTER_API_KEY", ex.Message);
        Assert.Empty(_server.Requests);
    }
}
