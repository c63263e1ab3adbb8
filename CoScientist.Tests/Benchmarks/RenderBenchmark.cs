using System.Diagnostics;
using Bunit;
using CoScientist.Core;
using CoScientist.Core.Embeddings;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Components.Pages.Research;
using CoScientist.Web.Extensions;
using CoScientist.Web.Session;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor.Services;

namespace CoScientist.Tests.Benchmarks;

/// <summary>
/// Renders as research grows: the server's time to apply one cycle event (a step's progress, a review, a match) to a
/// running research shown on the research page, with 10, 50 and 200 hypotheses in it: the live research's update, the
/// session's notice and the page's render (bUnit's renderer, the one a circuit uses, without the wire). Saving is left
/// out: it is the store's cost, measured by `benchmark persistence`.
/// </summary>
public static class RenderBenchmark
{
    private const int Repeats = 10;

    public static async Task RunAsync()
    {
        Console.WriteLine($"Renders as research grows: time to apply one event to a running research on the research page, median (p90) of {Repeats}");
        await using var server = await FakeOpenRouterServer.StartAsync(seed: 5);
        foreach (var size in new[] { 10, 50, 200 })
            await MeasureAsync(server, size);
    }

    private static async Task MeasureAsync(FakeOpenRouterServer server, int size)
    {
        await using var context = NewContext(server);
        var page = context.Render<ResearchPage>();
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=run-cycle]").HasAttribute("disabled")), TimeSpan.FromSeconds(30));
        var session = context.Services.GetRequiredService<ResearchSession>();
        // The cycle's first calls stall, so the research stays "running" while the benchmark publishes its own events.
        server.Enqueue(Enumerable.Repeat(FaultKind.Stall, 50).ToArray());
        var form = ResearchForm.From(context.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<CoScientist.Core.Configuration.ResearchOptions>>().Value);
        form.Goal = "Find ways to make lithium-ion batteries safer";
        await page.InvokeAsync(() => session.StartCycleAsync(form));
        var live = session.Research;
        live.Persist = null;
        var state = live.State;
        var content = new RenderContent(size);
        var ids = Enumerable.Range(0, size).Select(_ => state.Add(content.Draft()).Id).ToList();
        foreach (var id in ids) state.Update(id, h => h with { Review = content.Review() });
        await live.PublishAsync(new StepStarted(CycleStep.Ranking, 1000), NullLogger.Instance);
        page.WaitForAssertion(() => Assert.Equal(size, page.FindAll("[data-testid=hypothesis-card]").Count), TimeSpan.FromSeconds(30));

        // Only the event is timed: the change to the research happens first, in the cycle's own task, as the Supervisor makes it.
        var step = await TimeAsync(i => new StepProgress(CycleStep.Ranking, i + 1, 1000, 0.001m * i), live);
        var review = await TimeAsync(i =>
        {
            var written = content.Review();
            state.Update(ids[i % size], h => h with { Review = written });
            return new ReviewCompleted(ids[i % size], written);
        }, live);
        var match = await TimeAsync(i => new MatchPlayed(state.RecordMatch(ids[i % size], ids[(i + 7) % size], ids[i % size], content.Text(60), false, [])), live);
        Console.WriteLine($"  {size,3} hypotheses: step event {step}, review {review}, match {match}");
        await page.InvokeAsync(session.Cancel);
        await live.StopAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task<string> TimeAsync(Func<int, CycleEvent> happen, LiveResearch live)
    {
        // A few unmeasured rounds first, so the JIT's first compilations are not counted.
        for (var i = 0; i < 2; i++) await live.PublishAsync(happen(Repeats + i), NullLogger.Instance);
        var times = new List<double>();
        for (var i = 0; i < Repeats; i++)
        {
            var e = happen(i);
            var watch = Stopwatch.StartNew();
            await live.PublishAsync(e, NullLogger.Instance);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return $"{times[times.Count / 2],6:F2} ms ({times[times.Count * 9 / 10],6:F2})";
    }

    private static BunitContext NewContext(FakeOpenRouterServer server)
    {
        var context = new BunitContext();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        var settings = new Dictionary<string, string?>
        {
            ["DATA_DIR"] = CoreHarness.NewDataDir(),
            ["literature:enabled"] = "false",
            ["openrouter_base_url"] = server.BaseUrl,
            ["OPENROUTER_API_KEY"] = FakeOpenRouterServer.ValidKey,
            ["num_hypotheses"] = "3",
        };
        context.Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        context.Services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        context.Services.AddSingleton(TimeProvider.System);
        context.Services.AddCoScientistCore();
        context.Services.AddSingleton<MiniLmEmbeddingModel>(CoreHarness.SharedEmbeddings);
        context.Services.AddSingleton<IEmbeddingModel>(CoreHarness.SharedEmbeddings);
        context.Services.AddCoScientistSessions();
        context.Render<MudBlazor.MudPopoverProvider>();
        context.Renderer.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        return context;
    }

    /// <summary>Hypotheses and reviews of about a real answer's length.</summary>
    private sealed class RenderContent(int seed)
    {
        private static readonly string[] Words = ["mitochondrial", "stress", "perovskite", "defect", "passivation", "electrolyte",
            "dendrite", "kinetics", "assay", "cohort", "binding", "thermal", "stability", "interface", "enzyme", "pathway"];
        private readonly Random _random = new(seed);

        public string Text(int length)
        {
            var words = new List<string>();
            while (words.Sum(w => w.Length + 1) < length) words.Add(Words[_random.Next(Words.Length)]);
            return string.Join(' ', words);
        }

        public HypothesisDraft Draft() => new(Text(90), Text(450), Text(550), Text(220));

        public Review Review() => new(Rating(), Rating(), Rating(), Text(900), [new Reference(Text(90), "Nature Communications, 2021")]);

        private CriterionRating Rating()
        {
            var score = _random.Next(1, 11);
            return new CriterionRating(score < 4 ? RatingLevel.Low : score < 8 ? RatingLevel.Medium : RatingLevel.High, score);
        }
    }
}
