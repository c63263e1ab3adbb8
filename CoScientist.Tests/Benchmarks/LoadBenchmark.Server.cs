using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace CoScientist.Tests.Benchmarks;

public static partial class LoadBenchmark
{
    /// <summary>
    /// What the server does between an event and the wire, from ASP.NET Core's own instruments and the thread pool:
    /// each render batch's diff time (Blazor's <c>aspnetcore.components.render_diff.duration</c>, every circuit in the process) and,
    /// sampled every 100 ms, the thread pool's queue of work waiting for a thread.
    /// </summary>
    private sealed class ServerProbe : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<double> _renders = new();
        private readonly ConcurrentQueue<long> _queued = new();
        private readonly ConcurrentDictionary<string, (int Count, double Seconds)> _updates = new();
        private readonly Timer _sampler;
        private int _maxThreads;
        private int _unstarted;
        private int _ticks;
        private readonly ConcurrentDictionary<int, double> _browserSeconds = new();
        private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

        /// <summary>The CPU seconds the browsers this process started have used (their processes, sampled every second).</summary>
        public double BrowserSeconds
        {
            get
            {
                SampleBrowsers();
                return _browserSeconds.Values.Sum();
            }
        }

        /// <summary>The CPU seconds the embedding model's thread has used (named "Embedding model"; every model in this process).</summary>
        public static double ModelSeconds()
        {
            if (!OperatingSystem.IsLinux()) return double.NaN;
            var seconds = 0.0;
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') != "Embedding model") continue;
                    var stat = File.ReadAllText(Path.Combine(task, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    seconds += (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond;
                }
                catch (IOException) { }
            }
            return seconds;
        }

        // Every process descended from this one (Playwright's driver, Chromium and its renderers), from /proc.
        private void SampleBrowsers()
        {
            if (!OperatingSystem.IsLinux()) return;
            var parents = new Dictionary<int, int>();
            var seconds = new Dictionary<int, double>();
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    parents[pid] = int.Parse(fields[1]);
                    seconds[pid] = (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond;
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
            var self = Environment.ProcessId;
            foreach (var (pid, used) in seconds)
            {
                if (pid == self) continue;
                for (var p = pid; parents.TryGetValue(p, out var parent) && p > 1; p = parent)
                    if (parent == self)
                    {
                        _browserSeconds.AddOrUpdate(pid, used, (_, before) => Math.Max(before, used));
                        break;
                    }
            }
        }

        public ServerProbe()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name is "aspnetcore.components.render_diff.duration" or "aspnetcore.components.update_parameters.duration")
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<double>((instrument, seconds, tags, _) =>
            {
                if (instrument.Name == "aspnetcore.components.render_diff.duration")
                {
                    // Once a run the framework reports a batch whose start it never took (a duration as long as the
                    // machine's uptime); it is counted apart rather than as the slowest batch.
                    if (seconds > 3600) Interlocked.Increment(ref _unstarted);
                    else _renders.Enqueue(seconds * 1000);
                    return;
                }
                foreach (var tag in tags)
                    if (tag.Key == "aspnetcore.components.type")
                        _updates.AddOrUpdate(tag.Value?.ToString() ?? "?", (1, seconds), (_, v) => (v.Count + 1, v.Seconds + seconds));
            });
            _listener.Start();
            _sampler = new Timer(_ =>
            {
                _queued.Enqueue(ThreadPool.PendingWorkItemCount);
                _maxThreads = Math.Max(_maxThreads, ThreadPool.ThreadCount);
                if (Interlocked.Increment(ref _ticks) % 10 == 0) SampleBrowsers();
            }, null, 0, 100);
        }

        public string Summary()
        {
            var renders = _renders.Order().ToList();
            var queued = _queued.Order().ToList();
            return $"{renders.Count} render batches (wall time, stretched when CPU is short) p50 {Percentile(renders, 0.5):F1} ms, p95 {Percentile(renders, 0.95):F1} ms, " +
                   $"max {(renders.Count > 0 ? renders[^1] : 0):F0} ms, {renders.Sum() / 1000:F1} s in all" +
                   (_unstarted > 0 ? $" ({_unstarted} reported without a start, left out)" : "") + "; thread pool queue p50 " +
                   $"{(queued.Count > 0 ? queued[queued.Count / 2] : 0)}, p95 {(queued.Count > 0 ? queued[(int)(queued.Count * 0.95)] : 0)}, " +
                   $"max {(queued.Count > 0 ? queued[^1] : 0)}, up to {_maxThreads} threads; components given parameters most often: " +
                   string.Join(", ", _updates.OrderByDescending(u => u.Value.Count).Take(6).Select(u => $"{ShortName(u.Key)} {u.Value.Count}"));
        }

        /// <summary>"MudBlazor.MudSelectItem`1[[System.String, ...]]" → "MudSelectItem`1".</summary>
        private static string ShortName(string type) => type.Split('[')[0].Split('.')[^1];

        public void Dispose()
        {
            _sampler.Dispose();
            _listener.Dispose();
        }
    }
}
