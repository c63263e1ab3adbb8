using CoScientist.Core.Literature;

namespace CoScientist.Core.Research;

/// <summary>What one source answered on a cycle's Literature step: how many papers, or why none.</summary>
public sealed record LiteratureSourceReport(LiteratureSource Source, int Papers, bool FromCache = false, string? Error = null)
{
    public string Name => PaperText.SourceName(Source);

    public string Describe() => Error is { } error
        ? $"{Name}: unavailable ({error.TrimEnd('.')})"
        : $"{Name}: {Papers} paper{(Papers == 1 ? "" : "s")}{(FromCache ? " (cached)" : "")}";
}

/// <summary>
/// A cycle's Literature step: the queries it searched, what each source answered, how many papers were new to the
/// research. A source that failed is a sentence here, never a failure of the cycle.
/// </summary>
public sealed record LiteratureReport(IReadOnlyList<string> Queries, IReadOnlyList<LiteratureSourceReport> Sources, int Added)
{
    /// <summary>Why the queries are the goal's own words: the query call failed.</summary>
    public string? QueryNote { get; init; }

    public bool AllSourcesFailed => Sources.Count > 0 && Sources.All(s => s.Error is not null);

    /// <summary>What the step came to, without the sources: "4 new papers kept.", or that the literature was unavailable.</summary>
    /// <summary>Papers found but left out because they are too far from the goal to be worth citing.</summary>
    public int OffTopic { get; init; }

    public string Outcome() => AllSourcesFailed
        ? "Literature was unavailable this cycle; the cycle went on without new papers."
        : $"{Added} new paper{(Added == 1 ? "" : "s")} kept{(OffTopic > 0 ? $", {OffTopic} off-topic left out" : "")}.";

    public string Summary() => $"{Outcome()} {string.Join("; ", Sources.Select(s => s.Describe()))}.";
}
