using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace CoScientist.Core.Literature;

/// <summary>Turns the sources' HTML and JATS into plain text, and normalises DOIs, titles and queries.</summary>
public static partial class MarkupText
{
    // Block tags become a space so "<h4>Objective</h4>This study" does not read "ObjectiveThis study";
    // inline tags vanish so "<i>p</i>53" stays "p53".
    [GeneratedRegex(@"</?(?:[a-z]+:)?(?:p|br|div|h[1-6]|li|ul|ol|sec|section|title|label|list|list-item|table|tr|td|th|caption)\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex BlockTag();

    // A tag starts with a letter, '/' or '!': real abstracts hold bare comparisons such as "p\u2009<\u2009.001".
    [GeneratedRegex(@"</?[A-Za-z!][^<>]*>")]
    private static partial Regex AnyTag();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", RegexOptions.IgnoreCase)]
    private static partial Regex DoiPrefix();

    /// <summary>Plain text from markup, or null when nothing is left.</summary>
    public static string? ToPlainText(string? markup)
    {
        if (string.IsNullOrWhiteSpace(markup)) return null;
        var text = BlockTag().Replace(markup, " ");
        text = AnyTag().Replace(text, "");
        // Entities are decoded after the tags are gone, so an encoded "&lt;" in "p &lt; 0.05" survives as text.
        text = Whitespace().Replace(WebUtility.HtmlDecode(text), " ").Trim();
        return text.Length == 0 ? null : text;
    }

    public static string CollapseWhitespace(string text) => Whitespace().Replace(text, " ").Trim();

    public static string? NormaliseDoi(string? doi)
    {
        if (string.IsNullOrWhiteSpace(doi)) return null;
        var bare = DoiPrefix().Replace(doi.Trim(), "").Trim();
        return bare.Length == 0 ? null : bare.ToLowerInvariant();
    }

    /// <summary>Lower-case letters and digits only, so punctuation and markup differences do not split one paper in two.</summary>
    public static string NormaliseTitle(string title)
    {
        var builder = new StringBuilder(title.Length);
        foreach (var c in title.Normalize(NormalizationForm.FormKC))
            if (char.IsLetterOrDigit(c)) builder.Append(char.ToLower(c, CultureInfo.InvariantCulture));
        return builder.ToString();
    }

    public static string NormaliseQuery(string query) => CollapseWhitespace(query).ToLowerInvariant();
}
