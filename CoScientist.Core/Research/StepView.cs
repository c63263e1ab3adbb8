namespace CoScientist.Core.Research;

public enum StepState { Pending, Running, Done }

/// <summary>One row of the live step list.</summary>
public sealed record StepView(CycleStep Step, StepState State, int Done, int Total, int Failures, decimal CostUsd, TimeSpan Elapsed)
{
    /// <summary>Items done in earlier phases of the same step (Evolution runs several phases).</summary>
    internal int PhaseBase { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>What the step found out beyond its counts: for Literature, each source's answer or why it had none.</summary>
    public string? Detail { get; init; }

    /// <summary>The Literature step's account, so a page can mark each source that failed (null for other steps, or before it searched).</summary>
    public LiteratureReport? Literature { get; init; }

    /// <summary>The steps a cycle will run; Literature only when the deployment searches the literature.</summary>
    public static IReadOnlyList<StepView> Initial(bool literature = false) =>
        Enum.GetValues<CycleStep>().Where(s => literature || s != CycleStep.Literature)
            .Select(s => new StepView(s, StepState.Pending, 0, 0, 0, 0, TimeSpan.Zero)).ToList();

    public string Label => Step switch
    {
        CycleStep.MetaReview => "Meta-review",
        _ => Step.ToString(),
    };
}

/// <summary>Where a research stands, as its page shows it. Interrupted: a cycle was running when the server stopped.</summary>
public enum ResearchStatus { Idle, Running, Completed, Failed, Blocked, Interrupted }
