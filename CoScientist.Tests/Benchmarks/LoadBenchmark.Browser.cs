using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using CoScientist.Core.Research;
using CoScientist.Tests.E2E;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CoScientist.Tests.Benchmarks;

public static partial class LoadBenchmark
{
    /// <summary>
    /// Recorded in every page before Blazor starts: each change of the step list (state and done/total of each step) with
    /// its time on this machine's clock (performance.timeOrigin + performance.now()), and the circuit's WebSocket messages.
    /// </summary>
    private const string PageProbe = """
        (() => {
          window.__dom = []; window.__in = 0; window.__out = 0; window.__arrived = [];
          const Socket = window.WebSocket;
          window.WebSocket = function (...args) {
            const socket = new Socket(...args);
            socket.addEventListener('message', () => { window.__in++; window.__arrived.push(performance.timeOrigin + performance.now()); });
            const send = socket.send.bind(socket);
            socket.send = data => { window.__out++; return send(data); };
            return socket;
          };
          window.WebSocket.prototype = Socket.prototype;
          Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
          let last = '';
          const record = () => {
            const rows = [...document.querySelectorAll('[data-testid=cycle-step]')].map(r => {
              const m = /(\d+)\/(\d+)/.exec(r.querySelector('[data-testid=cycle-step-progress]')?.textContent ?? '');
              return [r.dataset.step, r.dataset.stepState, m ? +m[1] : 0, m ? +m[2] : 0];
            });
            const key = JSON.stringify(rows);
            if (key === last) return;
            last = key;
            window.__dom.push({ t: performance.timeOrigin + performance.now(), rows });
          };
          new MutationObserver(record).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
        })();
        """;

    private sealed record WatchedRun(string ResearchId, IReadOnlyList<DomRecord> Dom, IReadOnlyList<double> Arrived, int MessagesIn, int MessagesOut, IReadOnlyList<string> Errors,
        ResearchStatus Outcome, CycleReport? Report, MainThread MainThread);

    /// <summary>Seconds of a page's main thread spent running script, recalculating style, laying out, and in all tasks.</summary>
    private sealed record MainThread(double Script, double Style, double Layout, double Tasks);

    private sealed record DomRecord(double T, IReadOnlyList<JsonElement[]> Rows);

    /// <summary>One visitor in Chromium: opens the page, fills in a goal, starts a cycle through it when told and watches it to its end.</summary>
    /// <param name="opened">Completed with the page's time to open, once its form can be used.</param>
    /// <param name="go">Awaited before the page starts its cycle: every visitor starts at the same moment.</param>
    private static async Task<WatchedRun> WatchAsync(IBrowser browser, string baseUrl, IServiceProvider services, int index,
        TaskCompletionSource<TimeSpan> opened, Task go)
    {
        var opening = System.Diagnostics.Stopwatch.StartNew();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        await context.AddInitScriptAsync(PageProbe);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        var started = false;
        // Each error's last line says which page and when, for the report (its first line names the kind).
        void Error(string text) => errors.Add($"{text}\n@ page {index}, {(started ? "after" : "before")} the start");
        page.PageError += (_, error) => Error(error);
        page.Console += (_, message) => { if (message.Type == "error") Error(message.Text); };
        page.SetDefaultTimeout(120_000);
        // Chromium's own account of the page's main thread (script, style, layout, all tasks), read at the end.
        var devTools = await context.NewCDPSessionAsync(page);
        await devTools.SendAsync("Performance.enable");
        await page.GotoAsync(baseUrl);
        await Assertions.Expect(page.GetByTestId("run-cycle")).ToBeEnabledAsync(new() { Timeout = 120_000 });
        await page.GetByTestId("research-goal").FillAsync($"{Goal} ({index})");
        opened.SetResult(opening.Elapsed);
        await go;
        started = true;
        await page.GetByTestId("run-cycle").ClickAsync();
        try
        {
            // The page moves to its research's address in place (history.replaceState): the address is polled, as a
            // wait for a navigation can sit waiting for a "load" event that a same-document move never fires.
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/r/[^/]+$"), new() { Timeout = 120_000 });
        }
        catch (PlaywrightException)
        {
            // What the visitor saw instead of their research starting (a refusal, a lost click), for the report.
            var html = Path.Combine(Path.GetTempPath(), $"coscientist-load-page-{index}.html");
            await File.WriteAllTextAsync(html, await page.ContentAsync());
            throw new InvalidOperationException($"Page {index} at {page.Url}: the cycle did not start within 2 minutes; errors {string.Join(" | ", errors)}; " +
                                                $"the page as it was is in {html}");
        }
        var id = new Uri(page.Url).Segments[^1];
        var host = services.GetRequiredService<ResearchHost>();
        var live = await host.OpenAsync(id) ?? throw new InvalidOperationException($"The research {id} a page started is not known to the server.");
        var status = page.GetByTestId("cycle-status");
        // Waited for until it shows an end: "not running" would also match the idle status the page still shows when its
        // address changes before the render that says the cycle runs (in a burst of starts, that render can come seconds later).
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", new Regex("^(completed|failed|blocked|interrupted)$"), new() { Timeout = 900_000 });
        var outcome = live.Status;
        var report = live.Snapshot().Reports.LastOrDefault();
        host.Release(live);
        var dom = JsonSerializer.Deserialize<List<JsonElement>>(await page.EvaluateAsync<string>("JSON.stringify(window.__dom)"))!
            .Select(r => new DomRecord(r.GetProperty("t").GetDouble(), r.GetProperty("rows").EnumerateArray().Select(row => row.EnumerateArray().ToArray()).ToList()))
            .ToList();
        var arrived = await page.EvaluateAsync<double[]>("window.__arrived");
        var messagesIn = await page.EvaluateAsync<int>("window.__in");
        var messagesOut = await page.EvaluateAsync<int>("window.__out");
        var metrics = (await devTools.SendAsync("Performance.getMetrics"))!.Value.GetProperty("metrics").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("value").GetDouble());
        var mainThread = new MainThread(metrics.GetValueOrDefault("ScriptDuration"), metrics.GetValueOrDefault("RecalcStyleDuration"),
            metrics.GetValueOrDefault("LayoutDuration"), metrics.GetValueOrDefault("TaskDuration"));
        await context.CloseAsync();
        return new WatchedRun(id, dom, arrived, messagesIn, messagesOut, errors, outcome, report, mainThread);
    }

    /// <summary>The server's step events of the watched research, each with the step as it then looked and when (Unix ms).</summary>
    private sealed class EventStamps
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<(double T, CycleStep Step, StepState State, int Done, int Total)>> _stamps = new();
        // Each research's first stamped event: when it was stamped, when its save ended, and when watchers were told.
        private readonly ConcurrentDictionary<string, (double Stamped, double Saved, double Told)> _first = new();

        /// <summary>Stamps each step event that changes what the step list shows, as it is applied (before it is saved and told).</summary>
        public void Watch(LiveResearch live)
        {
            var stamps = _stamps.GetOrAdd(live.Id, _ => new());
            var shown = live.Steps.ToDictionary(s => s.Step, s => (s.State, s.Done, s.Total));
            var save = live.Persist;
            live.Persist = async e =>
            {
                var now = Now();
                if (e is StepStarted or StepProgress or StepFinished)
                {
                    foreach (var view in live.Steps)
                        if (shown.GetValueOrDefault(view.Step) != (view.State, view.Done, view.Total))
                        {
                            shown[view.Step] = (view.State, view.Done, view.Total);
                            stamps.Enqueue((now, view.Step, view.State, view.Done, view.Total));
                        }
                }
                if (save is not null) await save(e);
                if (stamps.TryPeek(out var first))
                    _first.TryAdd(live.Id, (first.T, Now(), 0)); // kept from the first stamped event's save only
            };
            // Subscribed when the research is created, so before any page: told first.
            live.Subscribe(() =>
            {
                if (_first.TryGetValue(live.Id, out var first) && first.Told == 0)
                    _first[live.Id] = first with { Told = Now() };
                return Task.CompletedTask;
            });
        }

        private static double Now() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

        /// <summary>A research's first event: from its stamp until its save ended, and until its watchers were told.</summary>
        public (double Saved, double Told)? First(string id) =>
            _first.TryGetValue(id, out var f) && f.Told > 0 ? (f.Saved - f.Stamped, f.Told - f.Stamped) : null;

        public int Count(string id) => _stamps.TryGetValue(id, out var s) ? s.Count : 0;

        /// <summary>
        /// For each stamped event, the time until the page first showed the step at least that far along, split at the
        /// arrival of the last circuit message before that change: the server's share (event to message) and the browser's.
        /// </summary>
        public IEnumerable<(CycleStep Step, double Delay, double Server, int Index)> Delays(string id, IReadOnlyList<DomRecord> dom, IReadOnlyList<double> arrived)
        {
            if (!_stamps.TryGetValue(id, out var stamps)) yield break;
            var index = -1;
            foreach (var (t, step, state, done, total) in stamps)
            {
                index++;
                // A few ms of allowance for the two clocks' rounding; nothing the page shows can precede its event by more.
                var seen = dom.FirstOrDefault(r => r.T >= t - 5 && r.Rows.Any(row => row[0].GetString() == step.ToString() && Reached(row, state, done, total)));
                if (seen is null) continue;
                var message = arrived.LastOrDefault(m => m <= seen.T, t);
                yield return (step, Math.Max(0, seen.T - t), Math.Clamp(message - t, 0, Math.Max(0, seen.T - t)), index);
            }
        }

        private static bool Reached(JsonElement[] row, StepState state, int done, int total)
        {
            var shownState = Enum.Parse<StepState>(row[1].GetString()!);
            return shownState > state || (shownState == state && row[2].GetInt32() >= done && row[3].GetInt32() >= total);
        }
    }
}
