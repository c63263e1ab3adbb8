using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace CoScientist.Tests.Benchmarks;

public static partial class LoadBenchmark
{
    /// <summary>
    /// Each time the runtime stopped every thread for a collection, from its own events (the time from suspending
    /// threads to letting them go again) with the generation collected: whether a few long pauses, not their sum, make a
    /// slow run, and how much of each went to stopping the threads (every running thread must reach a safe point first).
    /// </summary>
    private sealed class GcPauses : EventListener
    {
        private const int SuspendForGc = 1, SuspendForGcPrep = 6;
        private readonly ConcurrentQueue<(DateTime At, double Ms, int Generation, double StoppingMs, double PromotedMb, long Pinned, string Thread)> _pauses = new();
        // The thread a collection ran on: with workstation GC, the one whose allocation triggered it, at that thread's priority.
        private string _thread = "?";
        private DateTime? _suspended;
        private double _stopping;
        private bool _forGc;
        private int _generation = -1;
        private double _promotedMb;
        private long _pinned;
        private DateTime _from = DateTime.MaxValue;
        // The runtime's allocation sample (one event per ~100 KB allocated) by type: what fills the young generation.
        private readonly ConcurrentDictionary<string, long> _allocated = new();

        /// <summary>Pauses before this moment are not reported.</summary>
        public void CountFrom(DateTime utc) => _from = utc;

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC, with the allocation sample
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            switch (e.EventName)
            {
                case { } name when name.StartsWith("GCAllocationTick", StringComparison.Ordinal):
                    if (e.TimeStamp >= _from && Payload(e, "TypeName") is string type)
                    {
                        var bytes = Convert.ToInt64(Payload(e, "AllocationAmount64") ?? Payload(e, "AllocationAmount") ?? 0L);
                        _allocated.AddOrUpdate(type, bytes, (_, sum) => sum + bytes);
                    }
                    break;
                case { } name when name.StartsWith("GCStart", StringComparison.Ordinal):
                    _generation = Convert.ToInt32(Payload(e, "Depth") ?? -1);
                    _thread = ThreadName(e.OSThreadId);
                    break;
                case { } name when name.StartsWith("GCSuspendEEBegin", StringComparison.Ordinal):
                    _suspended = e.TimeStamp;
                    _forGc = Convert.ToInt32(Payload(e, "Reason") ?? 0) is SuspendForGc or SuspendForGcPrep;
                    _stopping = 0;
                    break;
                case { } name when name.StartsWith("GCHeapStats", StringComparison.Ordinal):
                    // What the collection kept (promoted out of the generations it collected) and the objects it could not move.
                    _promotedMb = (Convert.ToInt64(Payload(e, "TotalPromotedSize0") ?? 0L) + Convert.ToInt64(Payload(e, "TotalPromotedSize1") ?? 0L)) / 1e6;
                    _pinned = Convert.ToInt64(Payload(e, "PinnedObjectCount") ?? 0L);
                    break;
                case { } name when name.StartsWith("GCSuspendEEEnd", StringComparison.Ordinal):
                    if (_suspended is { } began) _stopping = (e.TimeStamp - began).TotalMilliseconds;
                    break;
                case { } name when name.StartsWith("GCRestartEEEnd", StringComparison.Ordinal):
                    if (_suspended is { } at && _forGc && at >= _from)
                        _pauses.Enqueue((at.ToUniversalTime(), (e.TimeStamp - at).TotalMilliseconds, _generation, _stopping, _promotedMb, _pinned, _thread));
                    _suspended = null;
                    break;
            }
        }

        /// <summary>The thread's name and nice value, from /proc ("?" off Linux or once the thread is gone).</summary>
        private static string ThreadName(long id)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/self/task/{id}/stat");
                var nice = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16];
                return $"{File.ReadAllText($"/proc/self/task/{id}/comm").TrimEnd('\n')} (nice {nice})";
            }
            catch (IOException)
            {
                return "?";
            }
        }

        private static object? Payload(EventWrittenEventArgs e, string name)
        {
            var at = e.PayloadNames?.IndexOf(name) ?? -1;
            return at >= 0 ? e.Payload![at] : null;
        }

        /// <summary>The types allocated most after the start, from the runtime's sample, in MB.</summary>
        public string Allocations(int top)
        {
            var all = _allocated.Sum(a => a.Value);
            return $"{all / 1e6:F0} MB sampled; most: " + string.Join(", ", _allocated.OrderByDescending(a => a.Value).Take(top)
                .Select(a => $"{a.Key} {a.Value / 1e6:F0} MB"));
        }

        public string Summary(TimeSpan firstSeconds)
        {
            var pauses = _pauses.ToList();
            if (pauses.Count == 0) return "no collection paused the threads";
            var longest = pauses.MaxBy(p => p.Ms);
            var early = pauses.Where(p => p.At < _from.ToUniversalTime() + firstSeconds).ToList();
            return $"{pauses.Count} pauses, {pauses.Sum(p => p.Ms):F0} ms in all ({pauses.Sum(p => p.StoppingMs):F0} ms of it stopping the threads), " +
                   $"the longest {longest.Ms:F0} ms (gen {longest.Generation}, {longest.StoppingMs:F0} ms stopping the threads, {longest.PromotedMb:F1} MB kept, {longest.Pinned} pinned, on {longest.Thread}) " +
                   $"{(longest.At - _from.ToUniversalTime()).TotalSeconds:F0} s after the start, {pauses.Count(p => p.Ms >= 100)} of 100 ms or more; " +
                   $"in the first {firstSeconds.TotalSeconds:F0} s: {early.Sum(p => p.Ms):F0} ms, the longest {(early.Count > 0 ? early.Max(p => p.Ms) : 0):F0} ms; " +
                   $"kept per collection p50 {Percentile(pauses.Select(p => p.PromotedMb).Order().ToList(), 0.5):F1} MB; " +
                   "by thread: " + string.Join(", ", pauses.GroupBy(p => p.Thread)
                       .OrderByDescending(g => g.Sum(p => p.Ms)).Select(g => $"{g.Key} {g.Count()} ({g.Sum(p => p.Ms):F0} ms, longest {g.Max(p => p.Ms):F0})")) +
                   $"; heap after the last collection {Heap()}";
        }

        private static string GcSettingsText => (System.Runtime.GCSettings.IsServerGC ? "server" : "workstation") + " GC, " + System.Runtime.GCSettings.LatencyMode;

        /// <summary>The managed heap by generation after the last collection: how much an ephemeral collection must look through.</summary>
        private static string Heap()
        {
            var info = GC.GetGCMemoryInfo();
            var generations = info.GenerationInfo.ToArray();
            return $"{info.HeapSizeBytes / 1e6:F0} MB (" + string.Join(", ", generations.Select((g, i) => $"{(i switch { 3 => "large", 4 => "pinned", _ => $"gen {i}" })} {g.SizeAfterBytes / 1e6:F0}")) + $"), {GcSettingsText}";
        }
    }
}
