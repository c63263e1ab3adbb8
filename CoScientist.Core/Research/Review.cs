namespace CoScientist.Core.Research;

public enum RatingLevel { Low, Medium, High }

public sealed record CriterionRating(RatingLevel Level, int Score);

public enum ReferenceStatus { Unchecked, Verified, Unverified }

/// <summary>
/// A work the model named that is not one of the papers the research retrieved. Until a literature source confirms it
/// (<see cref="ReferenceStatus.Verified"/>, with the <see cref="Record"/> it was found as), it is plain text: the model's
/// own <see cref="Url"/> is kept for the record but never shown as a link.
/// </summary>
public sealed record Reference(string Title, string? Venue = null, string? Url = null)
{
    public string? Doi { get; init; }
    public string? ArxivId { get; init; }
    public ReferenceStatus Status { get; init; }
    /// <summary>The record a literature source returned for this reference, when its title matched.</summary>
    public Literature.Paper? Record { get; init; }
    /// <summary>Why the reference is unverified ("no record with a matching title", "Crossref could not be reached").</summary>
    public string? Note { get; init; }
}

/// <summary>A retrieved paper close to a hypothesis, by embedding similarity (cosine, 0 to 1).</summary>
public sealed record PriorWork(int PaperNumber, double Similarity);

/// <summary>One Reflection review; written once per hypothesis and never redone.</summary>
public sealed record Review(
    CriterionRating Novelty,
    CriterionRating Feasibility,
    CriterionRating Correctness,
    string Critique,
    IReadOnlyList<Reference> References)
{
    /// <summary>Numbers of the research's retrieved papers the review cites (see <see cref="ResearchPaper.Number"/>).</summary>
    public IReadOnlyList<int> Citations { get; init; } = [];

    /// <summary>The retrieved papers most similar to the hypothesis, closest first.</summary>
    public IReadOnlyList<PriorWork> ClosestPriorWork { get; init; } = [];

    /// <summary>The hypothesis is nearly identical to a retrieved paper's abstract: probably already published.</summary>
    public bool LikelyNotNovel { get; init; }

    public double AverageScore => (Novelty.Score + Feasibility.Score + Correctness.Score) / 3.0;
}
