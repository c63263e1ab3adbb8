using System.Text.RegularExpressions;

namespace CoScientist.Core.Literature;

/// <summary>
/// DOIs and arXiv ids found in what a model wrote: a field of their own, a link (doi.org, a publisher's page, arxiv.org)
/// or running text ("doi:10.1038/nature14539", "arXiv:1706.03762v5").
/// </summary>
public static partial class ReferenceIds
{
    private const string NewArxivId = @"\d{4}\.\d{4,5}";
    // Before 2007: archive (with an optional subject class, which is not part of the id) and seven digits.
    private const string OldArxivId = @"[a-z]+(?:-[a-z]+)*(?:\.[a-z]{2})?/\d{7}";

    // Crossref's pattern for modern DOIs, ending where a link or a sentence would: whitespace, quotes, angle brackets,
    // a query or a fragment.
    [GeneratedRegex(@"\b10\.\d{4,9}/[^\s""'<>?#]+", RegexOptions.IgnoreCase)]
    private static partial Regex Doi();

    [GeneratedRegex(@"(?:arxiv\.org/(?:abs|pdf|html)/|\barxiv:\s*|\b10\.48550/arxiv\.)(?<id>" + NewArxivId + "|" + OldArxivId + @")(?:v\d+)?", RegexOptions.IgnoreCase)]
    private static partial Regex ArxivInText();

    [GeneratedRegex(@"^(?<id>" + NewArxivId + "|" + OldArxivId + @")(?:v\d+)?$", RegexOptions.IgnoreCase)]
    private static partial Regex BareArxivId();

    [GeneratedRegex(@"/(?:full|abstract|pdf|epdf|fulltext|html)$", RegexOptions.IgnoreCase)]
    private static partial Regex PublisherPageSuffix();

    [GeneratedRegex(@"https?://\S+|\bdoi:\s*|\barxiv:\s*(?:" + NewArxivId + "|" + OldArxivId + @")(?:v\d+)?|\b10\.\d{4,9}/[^\s""'<>?#]+", RegexOptions.IgnoreCase)]
    private static partial Regex AnyId();

    /// <summary>The first DOI in the text, lower-case and bare ("10.1038/nature14539"), or null.</summary>
    public static string? FindDoi(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var match = Doi().Match(Unescape(text));
        if (!match.Success) return null;
        var doi = PublisherPageSuffix().Replace(TrimTrailing(match.Value), "");
        return doi.EndsWith('/') ? null : doi.ToLowerInvariant();
    }

    /// <summary>
    /// The arXiv id (without version) in a link, "arXiv:…" or an arXiv DOI, or null. A bare number such as "1707.04103"
    /// in running text is not taken for an id; use <see cref="NormaliseArxivId"/> for a field meant to hold one.
    /// </summary>
    public static string? FindArxivId(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var match = ArxivInText().Match(Unescape(text));
        return match.Success ? Canonical(match.Groups["id"].Value) : null;
    }

    /// <summary>An arXiv id as a field holds it ("1707.04103", "arXiv:1707.04103v2", "hep-th/0101001", a link), without version.</summary>
    public static string? NormaliseArxivId(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return null;
        var bare = BareArxivId().Match(id.Trim());
        return bare.Success ? Canonical(bare.Groups["id"].Value) : FindArxivId(id);
    }

    /// <summary>The text without links, DOIs and arXiv ids, so that what remains can be compared as a title.</summary>
    public static string RemoveIds(string text) => MarkupText.CollapseWhitespace(AnyId().Replace(text, " "));

    // "math.GT/0309136" is arXiv paper math/0309136; new ids are digits only.
    private static string Canonical(string id)
    {
        var slash = id.IndexOf('/');
        if (slash < 0) return id;
        var archive = id[..slash];
        var dot = archive.IndexOf('.');
        return (dot < 0 ? archive : archive[..dot]).ToLowerInvariant() + id[slash..];
    }

    private static string Unescape(string text)
    {
        if (!text.Contains('%')) return text;
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            return text;
        }
    }

    // A DOI in a sentence ends before the sentence's punctuation; a closing bracket is kept only when the DOI opened one,
    // as in 10.1016/s0092-8674(00)81683-9.
    private static string TrimTrailing(string doi)
    {
        while (doi.Length > 0)
        {
            var last = doi[^1];
            if (last is '.' or ',' or ';' or ':') doi = doi[..^1];
            else if (last == ')' && doi.Count(c => c == ')') > doi.Count(c => c == '(')) doi = doi[..^1];
            else if (last == ']' && doi.Count(c => c == ']') > doi.Count(c => c == '[')) doi = doi[..^1];
            else break;
        }
        return doi;
    }
}
