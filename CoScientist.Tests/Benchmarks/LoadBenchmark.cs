using System.Diagnostics;
using System.Globalization;
using CoScientist.Core.Configuration;
using CoScientist.Core.Embeddings;
using CoScientist.Core.Research;
using CoScientist.Tests.E2E;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Session;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;

namespace CoScientist.Tests.Benchmarks;

/// <summary>
/// Many visitors at once: the app on real Kestrel in this process, against the fake OpenRouter at 1 s a call, runs one
/// cycle in each of N research sessions at the same time. A few are watched by real Chromium pages over real circuits
/// (each starts its cycle through the page); the rest are driven in process, as a circuit would drive its session. The
/// server is warmed up with a few cycles and the pages are opened first; then all N cycles start at the same moment, or
/// one after another over <c>--ramp-seconds</c> (the watched ones spread evenly among them), every cycle still running
/// when the last starts.
/// Reports the time from a step event on the server to the change in a page's DOM, the process's CPU, memory and GC
/// pauses, the circuits' message rate and the events they handled, and errors.
/// Run: benchmark load [--sessions 200[,400,...]] [--watched 20] [--warm-up 20] [--hypotheses 3] [--latency-ms 1000] [--ramp-seconds 0]
/// </summary>
public static partial class LoadBenchmark
{
    private const string Goal = "Find ways to make lithium-ion batteries safer";

    public static async Task RunAsync(string[] args)
    {
        var sizes = BenchmarkProgram.Option(args, "--sessions", "200").Split(',').Select(int.Parse).ToList();
        var watched = int.Parse(BenchmarkProgram.Option(args, "--watched", "20"), CultureInfo.InvariantCulture);
        var hypotheses = BenchmarkProgram.Option(args, "--hypotheses", "3");
        var warmUp = int.Parse(BenchmarkProgram.Option(args, "--warm-up", "20"), CultureInfo.InvariantCulture);
        var latency = TimeSpan.FromMilliseconds(int.Parse(BenchmarkProgram.Option(args, "--latency-ms", "1000"), CultureInfo.InvariantCulture));
        var ramp = TimeSpan.FromSeconds(double.Parse(BenchmarkProgram.Option(args, "--ramp-seconds", "0"), CultureInfo.InvariantCulture));
        Console.WriteLine($"Many visitors at once: one cycle (N={hypotheses}) in each session, " +
                          (ramp > TimeSpan.Zero ? $"started one after another over {ramp.TotalSeconds:0} s" : "all started at the same moment") +
                          $", fake OpenRouter at {latency.TotalMilliseconds:0} ms a call, {Environment.ProcessorCount} cores");
        foreach (var sessions in sizes)
            await RunOnceAsync(sessions, Math.Min(watched, sessions), warmUp, hypotheses, latency, ramp);
    }

    private static async Task RunOnceAsync(int sessions, int watched, int warmUp, string hypotheses, TimeSpan latency, TimeSpan ramp)
    {
        await using var openRouter = await FakeOpenRouterServer.StartAsync(seed: 21);
        openRouter.Latency = latency;
        var errors = new ErrorCounter();
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Development");
            builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning).AddProvider(errors));
            foreach (var (key, value) in Settings(openRouter, hypotheses, sessions))
                builder.UseSetting(key, value);
        });
        factory.UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0));
        factory.StartServer();
        var baseUrl = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()
            .Replace("[::]", "127.0.0.1").TrimEnd('/');
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await AppFixture.LaunchChromiumAsync(playwright);
        // Every research is stamped from its creation, so a page's first events count though it learns its research's id later.
        var stamps = new EventStamps();
        factory.Services.GetRequiredService<ResearchHost>().Tracking = stamps.Watch;

        // A server that has been up a while: a few cycles before the measured ones, one of them watched in a page, so the
        // runtime has compiled the hot paths of cycles and of drawing them (the cold-start benchmark covers a fresh process).
        if (warmUp > 0)
        {
            var warmed = Stopwatch.StartNew();
            var page = WatchAsync(browser, baseUrl, factory.Services, -1, new TaskCompletionSource<TimeSpan>(), Task.CompletedTask);
            await Task.WhenAll(Enumerable.Range(0, warmUp - 1).Select(_ => (Task)DriveAsync(factory.Services)).Append(page));
            Console.WriteLine($"  warmed up with {warmUp} cycles (one watched) in {warmed.Elapsed.TotalSeconds:F0} s");
        }

        // The pages open first (page loads are the cold-start benchmark's subject, and a visitor's browser loads its page
        // on its own machine); then every visitor, watched or driven, starts a cycle at the same moment.
        var opened = Enumerable.Range(0, watched).Select(_ => new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously)).ToList();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Session k starts k/N of the ramp after the go; the watched pages take every (N/watched)-th place.
        var every = sessions / watched;
        Task StartOf(int place) => ramp <= TimeSpan.Zero ? go.Task : go.Task.ContinueWith(_ => Task.Delay(ramp * place / sessions)).Unwrap();
        var pages = Enumerable.Range(0, watched).Select(i => WatchAsync(browser, baseUrl, factory.Services, i, opened[i], StartOf(i * every))).ToList();
        var allOpened = Task.WhenAll(opened.Select(o => o.Task));
        if (await Task.WhenAny(allOpened, Task.WhenAll(pages)) != allOpened)
            await Task.WhenAll(pages); // a page failed to open: its error ends the run
        var openTimes = (await allOpened).Select(t => t.TotalSeconds).Order().ToList();

        using var probe = new ServerProbe();
        using var collections = new GcPauses();
        using var activities = new CircuitActivities();
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var pausesBefore = GC.GetTotalPauseDuration();
        var browsersBefore = probe.BrowserSeconds;
        var model = factory.Services.GetRequiredService<MiniLmEmbeddingModel>();
        var (modelBefore, embeddedBefore) = (ServerProbe.ModelSeconds(), model.Embedded);
        var wall = Stopwatch.StartNew();

        Console.WriteLine($"  {watched} pages ready; {sessions} cycles start now" + (ramp > TimeSpan.Zero ? $", one after another over {ramp.TotalSeconds:0} s" : ""));
        collections.CountFrom(DateTime.UtcNow);
        activities.CountFrom(DateTime.UtcNow);
        go.SetResult();
        var driven = Enumerable.Range(0, sessions).Where(place => place % every != 0 || place / every >= watched)
            .Select(place => DriveAsync(factory.Services, StartOf(place))).ToList();
        var watchedRuns = await Task.WhenAll(pages);
        var drivenOutcomes = await Task.WhenAll(driven);
        var elapsed = wall.Elapsed;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var pauses = GC.GetTotalPauseDuration() - pausesBefore;
        var browsers = probe.BrowserSeconds - browsersBefore;
        var (modelSeconds, embedded) = (ServerProbe.ModelSeconds() - modelBefore, model.Embedded - embeddedBefore);

        var byStep = watchedRuns.SelectMany(r => stamps.Delays(r.ResearchId, r.Dom, r.Arrived)).ToList();
        var delays = byStep.Select(d => d.Delay).Order().ToList();
        var unmatched = watchedRuns.Sum(r => stamps.Count(r.ResearchId)) - delays.Count;
        var outcomes = watchedRuns.Select(r => r.Outcome).Concat(drivenOutcomes.Select(d => d.Outcome)).ToList();
        var messagesIn = watchedRuns.Sum(r => r.MessagesIn);
        var messagesOut = watchedRuns.Sum(r => r.MessagesOut);
        var pageErrors = watchedRuns.SelectMany(r => r.Errors).ToList();
        foreach (var kind in pageErrors.GroupBy(e => e.Split('\n')[0]).OrderByDescending(g => g.Count()))
            Console.WriteLine($"    page error x{kind.Count()}: {kind.Key[..Math.Min(400, kind.Key.Length)]} (" +
                              string.Join(", ", kind.Select(e => e[(e.LastIndexOf("\n@ ", StringComparison.Ordinal) + 3)..]).GroupBy(w => w).Select(w => $"{w.Key} x{w.Count()}")) + ")");
        Console.WriteLine($"  {sessions} sessions ({watched} in Chromium, opened together before the start: ready in p50 {Percentile(openTimes, 0.5):F1} s, " +
                          $"max {openTimes[^1]:F1} s): all cycles done in {elapsed.TotalSeconds:F1} s after the start; " +
                          string.Join(", ", outcomes.GroupBy(o => o).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}")));
        Console.WriteLine($"    event-to-DOM over {delays.Count} step events ({unmatched} not seen in a page): p50 {Percentile(delays, 0.50):F0} ms, " +
                          $"p95 {Percentile(delays, 0.95):F0} ms, p99 {Percentile(delays, 0.99):F0} ms, max {(delays.Count > 0 ? delays[^1] : 0):F0} ms");
        var server = byStep.Select(d => d.Server).Order().ToList();
        Console.WriteLine($"    of which until the render batch reached the page's script (the server, the socket and the page's queue): p50 {Percentile(server, 0.50):F0} ms, " +
                          $"p95 {Percentile(server, 0.95):F0} ms; the rest is the page applying it");
        Console.WriteLine("    p95 by step: " + string.Join(", ", byStep.GroupBy(d => d.Step).OrderBy(g => g.Key)
            .Select(g => $"{g.Key} {Percentile(g.Select(d => d.Delay).Order().ToList(), 0.95):F0} ms ({g.Count()})")));
        Console.WriteLine("    p50 / p95 of each page's events in order (#1 its first step showing as running, then that step's progress): " + string.Join(", ", byStep.GroupBy(d => d.Index)
            .OrderBy(g => g.Key).Take(6).Select(g => $"#{g.Key + 1} {P50P95(g.Select(d => d.Delay))}")));
        var firsts = watchedRuns.Select(r => (Split: stamps.First(r.ResearchId), Dom: stamps.Delays(r.ResearchId, r.Dom, r.Arrived).FirstOrDefault(d => d.Index == 0))).ToList();
        var told = firsts.Where(f => f.Split is not null).ToList();
        Console.WriteLine($"    #1 split, p50 / p95 over {told.Count} pages: saved {P50P95(told.Select(f => f.Split!.Value.Saved))}, watchers told {P50P95(told.Select(f => f.Split!.Value.Told))}, " +
                          $"render batch at the page {P50P95(told.Select(f => f.Dom.Server))}, shown {P50P95(told.Select(f => f.Dom.Delay))} after the event");
        Console.WriteLine($"    process CPU {cpu.TotalSeconds:F1} s over {elapsed.TotalSeconds:F1} s wall = {cpu / elapsed:F2} cores (app and fake OpenRouter; Chromium not counted); " +
                          $"of which the embedding model's thread {modelSeconds:F1} s ({embedded} embeddings); " +
                          $"peak working set {process.PeakWorkingSet64 / 1024 / 1024} MB; GC pauses {pauses.TotalMilliseconds:F0} ms in total");
        Console.WriteLine($"    the browsers' CPU (Chromium and Playwright's driver): {browsers:F1} s = {browsers / elapsed.TotalSeconds:F2} cores; " +
                          $"the pages' main threads, summed: script {watchedRuns.Sum(r => r.MainThread.Script):F1} s, style {watchedRuns.Sum(r => r.MainThread.Style):F1} s, " +
                          $"layout {watchedRuns.Sum(r => r.MainThread.Layout):F1} s, all tasks {watchedRuns.Sum(r => r.MainThread.Tasks):F1} s");
        Console.WriteLine($"    server: {probe.Summary()}");
        Console.WriteLine($"    GC: {collections.Summary(TimeSpan.FromSeconds(15))}");
        Console.WriteLine($"    allocated: {collections.Allocations(12)}");
        Console.WriteLine($"    what the circuits handled for their pages (to each handler's end): {activities.Summary()}");
        Console.WriteLine($"    circuit messages: {messagesIn} to the {watched} pages ({messagesIn / elapsed.TotalSeconds:F0}/s), {messagesOut} from them ({messagesOut / elapsed.TotalSeconds:F0}/s)");
        Console.WriteLine($"    cycle time: {Durations(watchedRuns.Select(r => r.Report))} watched, {Durations(drivenOutcomes.Select(d => d.Report))} driven in process");
        Console.WriteLine($"    errors: {errors.Count} logged at Error or above, {pageErrors.Count} in pages, " +
                          $"{outcomes.Count(o => o != ResearchStatus.Completed)} cycles not completed" +
                          ((errors.First ?? pageErrors.FirstOrDefault()) is { } first ? $"; first: {first[..Math.Min(300, first.Length)]}" : ""));
    }

    private static Dictionary<string, string?> Settings(FakeOpenRouterServer openRouter, string hypotheses, int sessions) => new()
    {
        ["DATA_DIR"] = CoreHarness.NewDataDir(),
        // A page's script error then says what failed on the server (the text stays in this benchmark's report).
        ["DetailedErrors"] = "true",
        ["openrouter_base_url"] = openRouter.BaseUrl,
        ["OPENROUTER_API_KEY"] = FakeOpenRouterServer.ValidKey,
        ["openrouter_initial_backoff_ms"] = "5",
        ["num_hypotheses"] = hypotheses,
        ["literature:enabled"] = "false",
        // Every visitor here comes from 127.0.0.1; the caps are set out of reach so the benchmark measures load, not limits.
        ["cost_control:max_cycles_per_client_per_hour"] = "10000",
        ["cost_control:max_concurrent_cycles"] = Math.Min(1000, sessions).ToString(CultureInfo.InvariantCulture),
        ["cost_control:daily_spending_limit_usd"] = "100000",
        ["cost_control:monthly_spending_limit_usd"] = "1000000",
    };

    /// <summary>A session driven in process, as a circuit drives it: a cycle started with the form's defaults, run to its end.</summary>
    private static async Task<(ResearchStatus Outcome, CycleReport? Report)> DriveAsync(IServiceProvider services, Task? start = null)
    {
        if (start is not null) await start;
        await using var scope = services.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<ResearchSession>();
        var form = ResearchForm.From(services.GetRequiredService<IOptions<ResearchOptions>>().Value);
        form.Goal = Goal;
        // Told of every change, it looks only at whether the cycle still runs: no timer or wake-up per change.
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watch = session.Subscribe(() =>
        {
            if (!session.IsRunning) ended.TrySetResult();
            return Task.CompletedTask;
        });
        if (await session.StartCycleAsync(form) is { } error)
            throw new InvalidOperationException(error);
        if (!session.IsRunning) ended.TrySetResult();
        try
        {
            await ended.Task.WaitAsync(TimeSpan.FromMinutes(15));
        }
        catch (TimeoutException)
        {
            // Reported as the status it was left in.
        }
        return (session.Status, session.Snapshot()?.Reports.LastOrDefault());
    }

    /// <summary>Whole cycles (p50 and max), then each step's mean: where a slow group of cycles spends its time.</summary>
    private static string Durations(IEnumerable<CycleReport?> reports)
    {
        var done = reports.OfType<CycleReport>().ToList();
        if (done.Count == 0) return "none reported";
        var cycles = done.Select(r => r.Duration.TotalSeconds).Order().ToList();
        var steps = done.SelectMany(r => r.Steps).GroupBy(s => s.Step)
            .Select(g => $"{g.Key} {g.Average(s => s.Elapsed.TotalSeconds):F0}");
        return $"p50 {Percentile(cycles, 0.5):F0} s, max {cycles[^1]:F0} s (steps, mean s: {string.Join(", ", steps)})";
    }

    /// <summary>"p50 / p95 ms" of unsorted values, as the report's per-event and per-kind lines print them.</summary>
    private static string P50P95(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return $"{Percentile(sorted, 0.5):F0} / {Percentile(sorted, 0.95):F0} ms";
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private sealed class ErrorCounter : ILoggerProvider
    {
        private int _count;
        public int Count => Volatile.Read(ref _count);
        public string? First { get; private set; }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void Dispose() { }

        private sealed class Logger(ErrorCounter owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel < LogLevel.Error) return;
                if (Interlocked.Increment(ref owner._count) == 1)
                    owner.First = $"{category}: {formatter(state, exception)} {exception?.GetType().Name}: {exception?.Message}";
            }
        }
    }
}
