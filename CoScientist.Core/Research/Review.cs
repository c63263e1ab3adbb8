namespace CoScientist.Core.Research;

public enum RatingLevel { Low, Medium, High }

public sealed record CriterionRating(RatingLevel Level, int Score);

public sealed record Reference(string Title, string? Venue = null, string? Url = null);

/// <summary>One Reflection review; written once per hypothesis and never redone.</summary>
public sealed record Review(
    CriterionRating Novelty,
    CriterionRating Feasibility,
    CriterionRating Correctness,
    string Critique,
    IReadOnlyList<Reference> References)
{
    public double AverageScore => (Novelty.Score + Feasibility.Score + Correctness.Score) / 3.0;
}
