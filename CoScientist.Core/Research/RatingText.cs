using System.Globalization;

namespace CoScientist.Core.Research;

/// <summary>How a rating and its uncertainty read, the same on the cards, the ranking table and the exports.</summary>
public static class RatingText
{
    public const string Settled = "Top 3 settled";
    public const string Uncertain = "Ranking still uncertain: the top three overlap others within their 95% intervals";

    public static string Rating(Hypothesis h) => Points(h.Elo);

    /// <summary>"± 95", or null while the hypothesis is unrated.</summary>
    public static string? Margin(Hypothesis h) => h.EloMargin is { } m ? "± " + Points(m) : null;

    /// <summary>"1192–1382", or null while the hypothesis is unrated.</summary>
    public static string? Interval(Hypothesis h) => h.EloMargin is { } m ? $"{Points(h.Elo - m)}–{Points(h.Elo + m)}" : null;

    /// <summary>Whether the page says anything about how settled the ranking is: once two hypotheses are rated.</summary>
    public static bool HasVerdict(ResearchSnapshot research) => research.Hypotheses.Count(h => h.EloMargin is not null) >= 2;

    public static string Verdict(ResearchSnapshot research) => research.TopThreeSettled ? Settled : Uncertain;

    private static string Points(double value) => value.ToString("0", CultureInfo.InvariantCulture);
}
