using Microsoft.Extensions.AI;
using CoScientist.Core.Cost;
using CoScientist.Core.Configuration;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Core.Telemetry;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CoScientist.Tests.Core;

/// <summary>The operator's view of the calls: latency per model and step, and how often they met 429s, 5xx or unusable answers.</summary>
public sealed class CallHealthTests : IAsyncLifetime
{
    private const string Model = "google/gemini-2.5-flash";
    private FakeOpenRouterServer _server = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync();
        _services = CoreHarness.Create(_server, new Dictionary<string, string?>
        {
            ["DEPLOYMENT_ENV"] = "production",
            ["cost_control:allowed_models_production:0"] = Model,
        });
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static LlmRequest Request(CycleStep step, string model = Model) => new()
    {
        Model = model,
        SystemPrompt = "You judge.",
        UserPrompt = "Which is better?",
        MaxOutputTokens = 300,
        Schema = new JsonSchemaSpec("match_judgement", JsonSchemaBuilder.Object(
            ("winner", JsonSchemaBuilder.Enum("w", "A", "B")), ("rationale", JsonSchemaBuilder.String("r")))),
        Step = step,
    };

    private Task<string> CallAsync(CycleStep step = CycleStep.Ranking) =>
        _services.GetRequiredService<StructuredLlm>().CallAsync(Request(step), n => JsonRead.RequiredText(n, "winner"), CancellationToken.None);

    private CallHealthRow Row(CycleStep step) =>
        Assert.Single(_services.GetRequiredService<CallHealth>().Snapshot(), r => r.Model == Model && r.Step == step.ToString());

    /// <summary>An inner client whose calls take exactly the time the test says, on a fake clock.</summary>
    private sealed class Timed(FakeTimeProvider clock) : IChatClient
    {
        public TimeSpan Takes { get; set; }
        public bool Fails { get; set; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            clock.Advance(Takes);
            if (Fails) throw new LlmException(LlmErrorKind.Timeout, "too slow");
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "{}")));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }

    [Fact]
    public async Task ResponseTimes_ShowTheMedianAndP95OfAnsweredCalls_ForEachModelAndStepApart()
    {
        var clock = new FakeTimeProvider();
        var health = new CallHealth();
        var inner = new Timed(clock);
        var client = new CallHealthChatClient(inner, health, clock);
        foreach (var seconds in Enumerable.Range(1, 20).Reverse())
        {
            inner.Takes = TimeSpan.FromSeconds(seconds);
            await client.CompleteAsync(Request(CycleStep.Generation), CancellationToken.None);
        }
        inner.Takes = TimeSpan.FromSeconds(7);
        await client.CompleteAsync(Request(CycleStep.Reflection), CancellationToken.None);
        (inner.Takes, inner.Fails) = (TimeSpan.FromSeconds(300), true); // a failed call's wait is no answer time
        await Assert.ThrowsAsync<LlmException>(() => client.CompleteAsync(Request(CycleStep.Generation), CancellationToken.None));

        var rows = health.Snapshot();
        var generation = Assert.Single(rows, r => r.Step == "Generation");
        var reflection = Assert.Single(rows, r => r.Step == "Reflection");
        Assert.Equal((21, 10.0, 19.0), (generation.Calls, generation.P50Seconds, generation.P95Seconds));
        Assert.Equal((1, 7.0, 7.0), (reflection.Calls, reflection.P50Seconds, reflection.P95Seconds));
    }

    [Fact]
    public async Task RateLimitsAndServerErrors_CountTheCallsThatMetThem_EvenWhenARetryGotThrough()
    {
        _server.Enqueue(FaultKind.RateLimited); // the SDK retries and the second attempt is answered
        await CallAsync();
        _server.Enqueue(FaultKind.ServerError, FaultKind.ServerError, FaultKind.ServerError, FaultKind.ServerError); // every retry fails
        var failed = await Assert.ThrowsAsync<LlmException>(() => CallAsync());
        await CallAsync();

        Assert.Equal(LlmErrorKind.ProviderError, failed.Kind);
        var row = Row(CycleStep.Ranking);
        Assert.Equal((3, 1, 1, 0), (row.Calls, row.RateLimited, row.ServerErrors, row.ParseFailures));
        Assert.Equal(1.0 / 3, row.RateLimitedShare, 6);
        Assert.NotNull(row.P50Seconds);
    }

    [Fact]
    public async Task ParseFailures_CountAnswersTheAgentCouldNotUse_NotOnesThatWereRepaired()
    {
        _server.Enqueue(FaultKind.Malformed); // unusable, asked again, answered
        await CallAsync(CycleStep.Evolution);
        _server.Enqueue(FaultKind.Fenced); // a Markdown fence is repaired: usable
        await CallAsync(CycleStep.Evolution);
        _server.Enqueue(FaultKind.Malformed, FaultKind.Malformed);
        await Assert.ThrowsAsync<LlmException>(() => CallAsync(CycleStep.Evolution));

        var row = Row(CycleStep.Evolution);
        Assert.Equal((5, 3), (row.Calls, row.ParseFailures));
        Assert.Equal(0.6, row.ParseFailureShare, 6);
    }

    private CycleRequest Cycle(string model) => new("Explain antibiotic resistance",
        _services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings() with { Model = model }, KeyKind.Operator,
        new ClientKey("ip", "browser"), "s",
        new SessionQuota(_services.GetRequiredService<IOptions<DeploymentOptions>>().Value,
            _services.GetRequiredService<IOptions<CostControlOptions>>().Value, TimeProvider.System), null);

    [Fact]
    public async Task ModelsTheAllowListRefused_AreCountedPerModel_WithTheirIdsCleanedAndBounded()
    {
        var admission = _services.GetRequiredService<CycleAdmission>();
        var hostile = "evil/\u0007model\u202e" + new string('x', 5000);

        foreach (var model in new[] { "openai/gpt-4o-mini", "openai/gpt-4o-mini", hostile })
            Assert.NotNull((await admission.AdmitAsync(Cycle(model))).InputError);

        var top = _services.GetRequiredService<RefusedModels>().Top();
        Assert.Equal(new RefusedModel("openai/gpt-4o-mini", 2), top[0]);
        var cleaned = top[1].Model;
        Assert.StartsWith("evil/model", cleaned);
        Assert.True(cleaned.Length <= RefusedModels.MaxLength + 1, $"{cleaned.Length} characters kept");
        Assert.DoesNotContain(cleaned, c => char.IsControl(c) || c == '\u202e');
    }

    [Fact]
    public void RefusedModelIds_BeyondTheBound_ArePooled_SoVisitorsCannotGrowTheList()
    {
        var refused = new RefusedModels();
        for (var i = 0; i < RefusedModels.MaxIds + 50; i++)
            refused.Record("made-up/model-" + i, inCatalogue: false);
        refused.Record("made-up/model-0", inCatalogue: false); // an id already kept still counts as itself

        var top = refused.Top(RefusedModels.MaxIds + 100);
        Assert.Equal(RefusedModels.MaxIds + 1, top.Count);
        Assert.Equal(new RefusedModel(RefusedModels.Other, 50), top[0]);
        Assert.Equal(new RefusedModel("made-up/model-0", 2), top[1]);
    }
}
