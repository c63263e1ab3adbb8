namespace CoScientist.Core.Research;

/// <summary>Standard Elo: expected score from the rating gap, update by K × (actual − expected).</summary>
public static class EloRating
{
    public const double InitialRating = 1200;

    public static double ExpectedScore(double rating, double opponentRating) =>
        1.0 / (1.0 + Math.Pow(10, (opponentRating - rating) / 400.0));

    public static (double Winner, double Loser) Update(double winnerRating, double loserRating, double k)
    {
        var delta = k * (1 - ExpectedScore(winnerRating, loserRating));
        return (winnerRating + delta, loserRating - delta);
    }
}
