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
                    _renders.Enqueue(seconds * 1000);
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
            }, null, 0, 100);
        }

        public string Summary()
        {
            var renders = _renders.Order().ToList();
            var queued = _queued.Order().ToList();
            return $"{renders.Count} render batches, diff p50 {Percentile(renders, 0.5):F1} ms, p95 {Percentile(renders, 0.95):F1} ms, " +
                   $"max {(renders.Count > 0 ? renders[^1] : 0):F0} ms, {renders.Sum() / 1000:F1} s in all; thread pool queue p50 " +
                   $"{(queued.Count > 0 ? queued[queued.Count / 2] : 0)}, p95 {(queued.Count > 0 ? queued[(int)(queued.Count * 0.95)] : 0)}, " +
                   $"max {(queued.Count > 0 ? queued[^1] : 0)}, up to {_maxThreads} threads; components given parameters most often: " +
                   string.Join(", ", _updates.OrderByDescending(u => u.Value.Count).Take(40).Select(u => $"{ShortName(u.Key)} {u.Value.Count}"));
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
