using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Core;

/// <summary>
/// A server that refuses a structured-output form with a 400 naming response_format costs one extra request, not every
/// call: the model is asked in the next form down (json_schema, json_object, the schema in the prompt) from then on.
/// </summary>
public sealed class ResponseFormatFallbackTests : IAsyncLifetime
{
    private const string Model = "google/gemini-2.5-flash"; // lists structured_outputs in the catalogue
    private const string LocalModel = "local/qwen2.5-7b-instruct";
    private FakeOpenRouterServer _server = null!;
    private ServiceProvider _services = null!;
    private readonly CapturingLoggerProvider _logs = new();

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync(seed: 15);
        _services = CoreHarness.Create(_server, new Dictionary<string, string?> { ["num_hypotheses"] = "3" }, _logs,
            s => CatalogWithLocalModel.Add(s, LocalModel));
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static LlmRequest Request(string model) => new()
    {
        Model = model,
        SystemPrompt = "You judge.",
        UserPrompt = "Which is better?",
        MaxOutputTokens = 300,
        Schema = new JsonSchemaSpec("match_judgement", JsonSchemaBuilder.Object(
            ("winner", JsonSchemaBuilder.Enum("w", "A", "B")), ("rationale", JsonSchemaBuilder.String("r")))),
        Step = CycleStep.Ranking,
    };

    private Task<string> CallAsync(string model) =>
        _services.GetRequiredService<StructuredLlm>().CallAsync(Request(model), n => JsonRead.RequiredText(n, "winner"), CancellationToken.None);

    private int Sent(string format) => _server.Requests.Count(r => (r.Body["response_format"]?["type"]?.GetValue<string>() ?? "none") == format);

    private int DowngradeWarnings(string model) => _logs.Lines.Count(l => l.StartsWith("Warning") && l.Contains($"Model {model} refused"));

    [Fact]
    public async Task AModelWhoseJsonSchemaIsRefused_AnswersThroughJsonObject_AndLaterCallsGoStraightThere()
    {
        _server.RejectJsonSchema.Add(Model);

        var first = await CallAsync(Model);
        var second = await CallAsync(Model);

        Assert.Contains(first, new[] { "A", "B" });
        Assert.Contains(second, new[] { "A", "B" });
        Assert.Equal((1, 2), (Sent("json_schema"), Sent("json_object")));
        Assert.Equal(1, DowngradeWarnings(Model));
        // The refused request was never charged: the ledger holds what the server billed, no worst case kept for the 400.
        Assert.Equal(_server.TotalCharged, _services.GetRequiredService<SpendGuard>().Totals().Today, 6);
    }

    [Fact]
    public async Task ALocalModel_StartsAtJsonSchema_AndFallsAllTheWayToThePrompt_WhenItsServerRefusesBothForms()
    {
        _server.SendsCost = false;
        _server.RejectJsonSchema.Add(LocalModel);
        _server.RejectJsonObject.Add(LocalModel);

        Assert.Contains(await CallAsync(LocalModel), new[] { "A", "B" });
        Assert.Contains(await CallAsync(LocalModel), new[] { "A", "B" });

        var order = _server.Requests.OrderBy(r => r.At).Select(r => r.Body["response_format"]?["type"]?.GetValue<string>() ?? "none").ToList();
        Assert.Equal(["json_schema", "json_object", "none", "none"], order);
        Assert.Contains("following this JSON schema", _server.Requests.OrderBy(r => r.At).Last().Body["messages"]![0]!["content"]!.ToString());
        Assert.Equal(2, DowngradeWarnings(LocalModel)); // one line per step down: to json_object, then to the prompt
    }
}
