using System.Text.Json.Serialization;

namespace CoScientist.Core.Literature;

public enum LiteratureSource { ArXiv, EuropePmc, Crossref }

/// <summary>One paper as a literature source describes it, in plain text, whatever the source's format.</summary>
/// <param name="Authors">Display names in the source's order ("Adrian Del Maestro", or "Kwok C" from Europe PMC).</param>
/// <param name="Abstract">Plain text: HTML and JATS tags removed, entities decoded, whitespace collapsed.</param>
/// <param name="Doi">Lower-case, without a https://doi.org/ prefix.</param>
/// <param name="ArxivId">Without its version suffix: 2407.12345 or hep-th/0101001.</param>
/// <param name="Url">The record's own https address.</param>
public sealed record Paper(
    LiteratureSource Source,
    string Title,
    IReadOnlyList<string> Authors,
    int? Year,
    string? Venue,
    string? Abstract,
    string? Doi,
    string? ArxivId,
    string Url)
{
    /// <summary>What makes two records the same paper across sources: the DOI, else the arXiv id, else the title.</summary>
    [JsonIgnore]
    public string Key =>
        Doi is { Length: > 0 } ? "doi:" + Doi
        : ArxivId is { Length: > 0 } ? "arxiv:" + ArxivId
        : "title:" + MarkupText.NormaliseTitle(Title);
}

/// <summary>
/// What one source answered: its papers, or an empty list and the reason it could not answer.
/// A literature search never fails its caller; a missing source is a sentence, not an exception.
/// </summary>
public sealed record LiteratureResult(LiteratureSource Source, IReadOnlyList<Paper> Papers, string? Error = null, bool FromCache = false)
{
    public bool Failed => Error is not null;

    public static LiteratureResult Fail(LiteratureSource source, string error) => new(source, [], error);
}

/// <summary>A source answered with something that is not a result in its format.</summary>
public sealed class LiteratureFormatException(string message, Exception? inner = null) : Exception(message, inner);
