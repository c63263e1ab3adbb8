using System.Collections.Concurrent;
using System.Diagnostics;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Core;

/// <summary>
/// The gateway as an IChatClient pipeline: the library's telemetry emits GenAI spans that never carry a prompt or a key,
/// and a model on a local (non-OpenRouter) server gets no OpenRouter extras and costs nothing, without alarms.
/// </summary>
public sealed class ChatPipelineTests : IAsyncLifetime
{
    private const string LocalModel = "local/llama-3.1-8b-instruct";
    private const string Prompt = "Could quorum sensing be silenced by a phage-borne lactonase? (unpublished idea 7f3a)";
    private const string VisitorKey = "sk-or-v1-visitor-secret-4242";
    private FakeOpenRouterServer _server = null!;
    private ServiceProvider _services = null!;
    private readonly CapturingLoggerProvider _logs = new();

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync(seed: 14);
        _server.AcceptedKeys.Add(VisitorKey);
        _services = CoreHarness.Create(_server, logs: _logs, more: s => CatalogWithLocalModel.Add(s, LocalModel));
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static LlmRequest Request(string model, LlmCallContext? context = null) => new()
    {
        Model = model,
        SystemPrompt = "You judge.",
        UserPrompt = Prompt,
        MaxOutputTokens = 300,
        Schema = new JsonSchemaSpec("match_judgement", JsonSchemaBuilder.Object(
            ("winner", JsonSchemaBuilder.Enum("w", "A", "B")), ("rationale", JsonSchemaBuilder.String("r")))),
        Step = CycleStep.Ranking,
        Context = context ?? new LlmCallContext(),
    };

    private Task<string> CallAsync(LlmRequest request) =>
        _services.GetRequiredService<StructuredLlm>().CallAsync(request, n => JsonRead.RequiredText(n, "winner"), CancellationToken.None);

    [Fact]
    public async Task EveryCall_EmitsAGenAIChatSpan_WithModelAndTokens_ButNeverThePromptOrTheKey()
    {
        using var testSource = new ActivitySource("CoScientist.Tests.ChatPipeline");
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is LlmGatewayServiceCollectionExtensions.TelemetrySourceName || s == testSource,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        using (var parent = testSource.StartActivity("research cycle")!)
        {
            await CallAsync(Request("google/gemini-2.5-flash", new LlmCallContext { KeyKind = KeyKind.Visitor, VisitorApiKey = VisitorKey }));
            // Other tests' calls run meanwhile on the same source: only this trace's spans are this test's.
            var ours = spans.Where(s => s.TraceId == parent.TraceId && s.Source.Name == LlmGatewayServiceCollectionExtensions.TelemetrySourceName).ToList();

            var span = Assert.Single(ours);
            Assert.Equal("chat", span.GetTagItem("gen_ai.operation.name"));
            Assert.Equal("google/gemini-2.5-flash", span.GetTagItem("gen_ai.request.model"));
            Assert.Equal(300, Convert.ToInt32(span.GetTagItem("gen_ai.request.max_tokens")));
            Assert.True(Convert.ToInt64(span.GetTagItem("gen_ai.usage.input_tokens")) > 0);
            Assert.True(Convert.ToInt64(span.GetTagItem("gen_ai.usage.output_tokens")) > 0);
            var recorded = string.Join("\n", span.TagObjects.Select(t => $"{t.Key}={t.Value}")
                .Concat(span.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name}:{t.Key}={t.Value}"))));
            Assert.DoesNotContain("quorum sensing", recorded);
            Assert.DoesNotContain("You judge", recorded);
            Assert.DoesNotContain(VisitorKey, recorded);
        }
    }

    [Fact]
    public void AVisitorsKey_IsLeftOut_WhenTheCallsFactsAreSerialised()
    {
        // Anything that serialises a call's options (a cache, a log formatter) meets the call's facts, not its key.
        var call = new LlmCall(new LlmCallContext { SessionId = "s-1", KeyKind = KeyKind.Visitor, VisitorApiKey = VisitorKey }, CycleStep.Ranking);

        var json = System.Text.Json.JsonSerializer.Serialize(call.Context) + call;

        Assert.Contains("s-1", json);
        Assert.DoesNotContain(VisitorKey, json);
    }

    [Fact]
    public async Task ALocalModelsCall_SendsNoOpenRouterHeaders_AndSettlesAtZero_WithoutWarningOrLookups()
    {
        _server.SendsCost = false; // a local server reports tokens, never a price

        var winner = await CallAsync(Request(LocalModel));

        Assert.Contains(winner, new[] { "A", "B" });
        var sent = Assert.Single(_server.Requests);
        Assert.False(sent.Headers.ContainsKey("HTTP-Referer"), "OpenRouter's attribution header went to a local server");
        Assert.False(sent.Headers.ContainsKey("X-Title"), "OpenRouter's attribution header went to a local server");
        Assert.Equal(300, sent.Body["max_tokens"]!.GetValue<int>());
        var guard = _services.GetRequiredService<SpendGuard>();
        Assert.Equal(0m, guard.Totals().Today); // no worst case kept while waiting for a cost that never comes
        Assert.Equal(0m, _services.GetRequiredService<SpendLedger>().OperatorSpendSince(DateTimeOffset.UtcNow.AddDays(-1)));
        Assert.Equal(0, _services.GetRequiredService<CallReconciler>().Pending);
        Assert.Equal(0, _server.GenerationLookups);
        Assert.DoesNotContain("sent no cost", _logs.All);
    }

    [Fact]
    public async Task AnOpenRouterModelsAnswerWithoutCost_StillWarnsAndWaitsForItsCost()
    {
        // The contrast to the local model: on OpenRouter a missing cost is a missing figure, not $0.
        _server.SendsCost = false;

        await CallAsync(Request("google/gemini-2.5-flash"));

        Assert.True(Assert.Single(_server.Requests).Headers.ContainsKey("X-Title"));
        Assert.Contains("sent no cost", _logs.All);
        Assert.True(_services.GetRequiredService<SpendGuard>().Totals().Today > 0);
        Assert.Equal(1, _services.GetRequiredService<CallReconciler>().Pending);
    }
}
