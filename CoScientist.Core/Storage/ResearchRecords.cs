using CoScientist.Core.Research;

namespace CoScientist.Core.Storage;

/// <summary>One saved research: who owns it, what it is about, and how it may be reached.</summary>
public sealed record ResearchRecord
{
    /// <summary>Unguessable (<see cref="ResearchIds"/>): the research's address for its owner.</summary>
    public required string Id { get; init; }
    /// <summary>An opaque owner identifier, a hash of the owner's browser token; never the token itself.</summary>
    public required string OwnerId { get; init; }
    /// <summary>Starts as the goal; the owner may rename it.</summary>
    public required string Title { get; init; }
    public required string Goal { get; init; }
    public required string Model { get; init; }
    /// <summary>The <see cref="ResearchSettings"/> as JSON (<see cref="ResearchJson"/>).</summary>
    public required string SettingsJson { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset LastActivityAt { get; init; }
    public int Cycles { get; init; }
    public decimal CostUsd { get; init; }
    /// <summary>Null until the owner shares it; a read-only link carries this token, and revoking clears it.</summary>
    public string? ShareToken { get; init; }
    /// <summary>Pinned by the operator as an example: shown on the home page and never deleted for inactivity.</summary>
    public bool IsExample { get; init; }
    /// <summary>The cycle being run when last saved; still set when a new process starts means the cycle was interrupted.</summary>
    public int? RunningCycle { get; init; }
    /// <summary>The goal's sentence embedding, for finding research on similar goals; made the first time one is looked for.</summary>
    public float[]? GoalEmbedding { get; init; }

    public ResearchSettings Settings => ResearchJson.Read<ResearchSettings>(SettingsJson);

    /// <summary>A new research for <paramref name="ownerId"/>, titled by its goal, with a fresh id.</summary>
    public static ResearchRecord New(string ownerId, string goal, ResearchSettings settings, DateTimeOffset at, float[]? goalEmbedding = null) => new()
    {
        Id = ResearchIds.New(),
        OwnerId = ownerId,
        Title = goal,
        Goal = goal,
        Model = settings.Model,
        SettingsJson = ResearchJson.Write(settings),
        CreatedAt = at,
        LastActivityAt = at,
        GoalEmbedding = goalEmbedding,
    };
}

/// <summary>The running totals a research's list entry shows, saved as a cycle progresses.</summary>
public sealed record ResearchSummary(int Cycles, decimal CostUsd, DateTimeOffset LastActivityAt, int? RunningCycle)
{
    /// <summary>The settings of the cycle starting now, kept as the research's own so a reopened page offers them again.</summary>
    public ResearchSettings? Settings { get; init; }
}

/// <summary>
/// What changed since the last save, written in one transaction: hypotheses are upserted whole (a review,
/// a rating or an embedding replaces the stored copy), matches, meta-reviews and reports are added or replaced.
/// </summary>
public sealed record ResearchChanges
{
    public IReadOnlyList<Hypothesis> Hypotheses { get; init; } = [];
    public IReadOnlyList<Match> Matches { get; init; } = [];
    public IReadOnlyList<MetaReview> MetaReviews { get; init; } = [];
    public IReadOnlyList<CycleReport> Reports { get; init; } = [];
    public IReadOnlyList<ResearchPaper> Papers { get; init; } = [];
    public IReadOnlyList<Vote> Votes { get; init; } = [];
    /// <summary>The owner's pending directive, when it changed (Text null: cleared); null: unchanged.</summary>
    public DirectiveChange? Directive { get; init; }
    public ResearchSummary? Summary { get; init; }

    /// <summary>Everything in a snapshot: saves research that so far lived only in memory.</summary>
    public static ResearchChanges All(ResearchSnapshot snapshot, ResearchSummary? summary = null) => new()
    {
        Hypotheses = snapshot.Hypotheses,
        Matches = snapshot.Matches,
        MetaReviews = snapshot.MetaReviews,
        Reports = snapshot.Reports,
        Papers = snapshot.Papers,
        Votes = snapshot.Votes,
        Directive = new DirectiveChange(snapshot.PendingDirective),
        Summary = summary,
    };
}

/// <summary>The directive waiting for the next cycle as it now stands (null: none).</summary>
public sealed record DirectiveChange(string? Text);

/// <summary>The admin page's view of saved research.</summary>
public sealed record ResearchStoreStats(int Research, int Shared, int Examples, int Running, long Hypotheses, long Matches, long StorageBytes);
