using System.Globalization;

namespace CoScientist.Core.Literature;

/// <summary>How a paper is described to people, the same on the page and in the report: short author lists, excerpts, source names.</summary>
public static class PaperText
{
    /// <summary>Authors shown before "et al.".</summary>
    public const int AuthorsShown = 3;

    public const int ExcerptChars = 300;

    /// <summary>"Ana Lima, Bo Chen, C. Diaz et al.": the first few names; a paper with one more than that still lists them all.</summary>
    public static string Authors(IReadOnlyList<string> authors) => authors.Count switch
    {
        0 => "",
        <= AuthorsShown + 1 => string.Join(", ", authors),
        _ => string.Join(", ", authors.Take(AuthorsShown)) + " et al.",
    };

    /// <summary>"2024, Solar Energy", or whichever of the two is known.</summary>
    public static string YearAndVenue(Paper paper) =>
        string.Join(", ", new[] { paper.Year?.ToString(CultureInfo.InvariantCulture), paper.Venue }.Where(x => !string.IsNullOrWhiteSpace(x)));

    public static string SourceName(LiteratureSource source) => source switch
    {
        LiteratureSource.ArXiv => "arXiv",
        LiteratureSource.EuropePmc => "Europe PMC",
        _ => "Crossref",
    };

    /// <summary>The start of a text, cut at a word and marked with an ellipsis when there is more.</summary>
    public static string Excerpt(string? text, int max = ExcerptChars)
    {
        var plain = MarkupText.CollapseWhitespace(text ?? "");
        if (plain.Length <= max) return plain;
        var cut = plain.LastIndexOf(' ', max - 1);
        return plain[..(cut > max / 2 ? cut : max)].TrimEnd(',', ';', ':') + " …";
    }

    /// <summary>"72%": a cosine similarity as people read it.</summary>
    public static string Percent(double similarity) => Math.Round(similarity * 100).ToString("0", CultureInfo.InvariantCulture) + "%";

    /// <summary>The address when it is an absolute http(s) one, as a link may carry it; else null.</summary>
    public static string? LinkTarget(string? url) =>
        Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri.AbsoluteUri
            : null;
}
