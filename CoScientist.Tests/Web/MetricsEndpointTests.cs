using System.Text.RegularExpressions;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Session;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Web;

/// <summary>What an operator's Prometheus scrapes: call latency and errors per model and step, session durations, refused models.</summary>
public sealed class MetricsEndpointTests
{
    // A model no other test calls: the meter is process-wide and test classes run in parallel, so a series another
    // test fed would let this one pass with the recording broken.
    private const string Model = "qwen/qwen3.7-flash";

    [Fact]
    public async Task Metrics_CarryCallLatencyAndErrorsPerModelAndStep_SessionDurations_AndRefusedModels()
    {
        await using var openRouter = await FakeOpenRouterServer.StartAsync();
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("openrouter_base_url", openRouter.BaseUrl);
            builder.UseSetting("OPENROUTER_API_KEY", FakeOpenRouterServer.ValidKey);
            builder.UseSetting("openrouter_initial_backoff_ms", "5");
            builder.UseSetting("DATA_DIR", CoreHarness.NewDataDir());
            builder.UseSetting("literature:enabled", "false");
        });
        using var http = factory.CreateClient(); // development without ADMIN_TOKEN: /metrics is open, as the admin page is
        var services = factory.Services;

        openRouter.Enqueue(FaultKind.RateLimited, FaultKind.Malformed); // a 429 retried into an unusable answer; asked again, answered
        await services.GetRequiredService<StructuredLlm>().CallAsync(new LlmRequest
        {
            Model = Model, SystemPrompt = "You judge.", UserPrompt = "Which is better?", Step = CycleStep.Ranking,
            Schema = new JsonSchemaSpec("match_judgement", JsonSchemaBuilder.Object(("winner", JsonSchemaBuilder.Enum("w", "A", "B")))),
        }, n => JsonRead.RequiredText(n, "winner"), CancellationToken.None);
        const string madeUp = "nobody/such-model-\u0007typed-by-a-visitor";
        var refused = await services.GetRequiredService<CycleAdmission>().AdmitAsync(new CycleRequest("Explain antibiotic resistance",
            services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings() with { Model = madeUp }, KeyKind.Operator,
            new ClientKey("ip", "browser"), "s", new SessionQuota(services.GetRequiredService<IOptions<DeploymentOptions>>().Value,
                services.GetRequiredService<IOptions<CostControlOptions>>().Value, TimeProvider.System), null));
        await using (var circuit = services.CreateAsyncScope())
            circuit.ServiceProvider.GetRequiredService<ResearchSession>();

        var scrape = await http.GetStringAsync("/metrics");

        Assert.NotNull(refused.InputError);
        // Buckets in seconds, past the calls' default 90 s deadline (the exporter's defaults are milliseconds' buckets).
        AssertSeries(scrape, "coscientist_llm_duration_seconds_bucket", ("model", Model), ("step", "Ranking"), ("outcome", "ok"), ("le", "300"));
        AssertSeries(scrape, "coscientist_llm_errors_total", ("model", Model), ("step", "Ranking"), ("kind", "rate_limited"));
        AssertSeries(scrape, "coscientist_llm_errors_total", ("model", Model), ("step", "Ranking"), ("kind", "parse_failure"));
        AssertSeries(scrape, "coscientist_session_duration_seconds_count");
        AssertSeries(scrape, "coscientist_models_refused_total", ("model", "unknown"));
        Assert.DoesNotContain("typed-by-a-visitor", scrape); // a visitor's text never becomes a series of its own
    }

    private static void AssertSeries(string scrape, string name, params (string Key, string Value)[] labels) =>
        Assert.True(Series(scrape, name, labels).Count > 0, $"no {name} with {string.Join(", ", labels)} in:\n" +
            string.Join("\n", scrape.Split('\n').Where(l => l.StartsWith("coscientist_", StringComparison.Ordinal))));

    /// <summary>The lines of one series whose labels include all of <paramref name="labels"/>, with a positive value.</summary>
    private static List<string> Series(string scrape, string name, params (string Key, string Value)[] labels) => scrape.Split('\n')
        .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
        .Where(l => labels.All(label => l.Contains($"{label.Key}=\"{label.Value}\"", StringComparison.Ordinal)))
        .Where(l => double.Parse(Regex.Match(l, @"\s(\S+)(\s\d+)?$").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0)
        .ToList();
}
