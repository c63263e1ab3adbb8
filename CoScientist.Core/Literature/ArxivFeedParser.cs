using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace CoScientist.Core.Literature;

/// <summary>
/// Reads the arXiv API's Atom feed, in its current form (https ids, namespaces on the root) and its older one
/// ("ArXiv Query" html titles, namespaces declared on each element, local-offset timestamps).
/// </summary>
public static partial class ArxivFeedParser
{
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";
    private static readonly XNamespace ArxivNs = "http://arxiv.org/schemas/atom";

    // The id after /abs/, without its version: 2511.18882v1 → 2511.18882, cond-mat/0603029v1 → cond-mat/0603029.
    [GeneratedRegex(@"/abs/(?<id>.+?)(?:v\d+)?$")]
    private static partial Regex AbsId();

    public static IReadOnlyList<Paper> Parse(string raw)
    {
        XDocument document;
        try
        {
            document = XDocument.Parse(raw);
        }
        catch (XmlException ex)
        {
            throw new LiteratureFormatException($"arXiv answered with malformed XML: {ex.Message}", ex);
        }
        if (document.Root?.Name != Atom + "feed")
            throw new LiteratureFormatException($"arXiv answered with <{document.Root?.Name.LocalName}> instead of an Atom feed.");

        var papers = new List<Paper>();
        foreach (var entry in document.Root.Elements(Atom + "entry"))
        {
            var idUrl = entry.Element(Atom + "id")?.Value.Trim() ?? "";
            // A bad query comes back as a feed holding one entry that describes the error.
            if (idUrl.Contains("/api/errors", StringComparison.Ordinal))
                throw new LiteratureFormatException($"arXiv reported an error: {MarkupText.CollapseWhitespace(entry.Element(Atom + "summary")?.Value ?? "")}");
            var match = AbsId().Match(idUrl);
            var title = MarkupText.CollapseWhitespace(entry.Element(Atom + "title")?.Value ?? "");
            if (!match.Success || title.Length == 0) continue;

            var id = match.Groups["id"].Value;
            papers.Add(new Paper(
                LiteratureSource.ArXiv,
                title,
                [.. entry.Elements(Atom + "author").Select(a => MarkupText.CollapseWhitespace(a.Element(Atom + "name")?.Value ?? "")).Where(n => n.Length > 0)],
                YearOf(entry.Element(Atom + "published")) ?? YearOf(entry.Element(Atom + "updated")),
                NullIfBlank(entry.Element(ArxivNs + "journal_ref")?.Value),
                MarkupText.ToPlainText(entry.Element(Atom + "summary")?.Value),
                MarkupText.NormaliseDoi(entry.Element(ArxivNs + "doi")?.Value),
                id,
                $"https://arxiv.org/abs/{id}"));
        }
        return papers;
    }

    private static int? YearOf(XElement? timestamp) =>
        timestamp is not null && DateTimeOffset.TryParse(timestamp.Value.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at.Year
            : null;

    private static string? NullIfBlank(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : MarkupText.CollapseWhitespace(text);
}
