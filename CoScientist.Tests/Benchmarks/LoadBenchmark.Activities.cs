using System.Collections.Concurrent;
using System.Diagnostics;

namespace CoScientist.Tests.Benchmarks;

public static partial class LoadBenchmark
{
    /// <summary>
    /// What the circuits did for their pages, from Blazor's own activities (the Microsoft.AspNetCore.Components source):
    /// each browser event handled, by its attribute (onclick, ontransitionend, ...), and each navigation, with the time
    /// to its end (for an async handler, its whole task: a start's click includes the admission and the save).
    /// </summary>
    private sealed class CircuitActivities : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ConcurrentQueue<(string Kind, double Ms)> _done = new();
        private DateTime _from = DateTime.MaxValue;

        public CircuitActivities()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "Microsoft.AspNetCore.Components",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
                ActivityStopped = activity =>
                {
                    var kind = activity.OperationName switch
                    {
                        "Microsoft.AspNetCore.Components.HandleEvent" => activity.GetTagItem("aspnetcore.components.attribute.name") as string ?? "an event",
                        "Microsoft.AspNetCore.Components.Navigate" => "navigation",
                        _ => null,
                    };
                    if (kind is not null && activity.StartTimeUtc >= _from)
                        _done.Enqueue((kind, activity.Duration.TotalMilliseconds));
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        /// <summary>Activities that start before this moment are not reported.</summary>
        public void CountFrom(DateTime utc) => _from = utc;

        public string Summary()
        {
            var done = _done.ToList();
            if (done.Count == 0) return "none";
            return string.Join(", ", done.GroupBy(d => d.Kind).OrderByDescending(g => g.Count())
                .Select(g => $"{g.Key} x{g.Count()} (p50 / p95 {P50P95(g.Select(d => d.Ms))})"));
        }

        public void Dispose() => _listener.Dispose();
    }
}
