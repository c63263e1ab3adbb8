using System.Globalization;
using System.Text.RegularExpressions;
using CoScientist.Core.Research;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Literature;

/// <summary>
/// Checks a reference the model wrote against Crossref and arXiv. It is <see cref="ReferenceStatus.Verified"/> only when
/// a source holds a record whose title matches (<see cref="TitleMatch"/>): found by the reference's DOI, else by its arXiv
/// id, else by a search for its title at Crossref (and at arXiv when it names arXiv or Crossref cannot answer). A title of fewer than three content words counts only when
/// the record's journal, and year if the model gave one, agree too. Anything else is
/// <see cref="ReferenceStatus.Unverified"/>, with a note that tells "no such work" from "the source could not be asked".
/// A DOI or arXiv id that belongs to a work with another title ends the check: the reference contradicts itself, and
/// choosing which half to believe would be a guess.
/// </summary>
public sealed partial class ReferenceVerifier(CrossrefClient crossref, ArxivClient arxiv, ILogger<ReferenceVerifier> logger)
{
    /// <summary>How many search results are compared with the reference's title.</summary>
    public const int SearchResults = 5;

    [GeneratedRegex(@"\b(?:19|20)\d{2}\b")]
    private static partial Regex Year();

    /// <summary>The reference, checked. Never throws but for the caller's cancellation.</summary>
    public async Task<Reference> VerifyAsync(Reference reference, CancellationToken cancellationToken = default)
    {
        if (reference.Status == ReferenceStatus.Verified && reference.Record is not null) return reference;
        var claimed = WithClaimedIds(reference);
        var title = ReferenceIds.RemoveIds(reference.Title);
        if (!TitleMatch.HasWords(title))
            return Unverified(claimed, $"The model gave no title to check, only \u201c{MarkupText.CollapseWhitespace(reference.Title)}\u201d.");
        try
        {
            var checkedReference = await CheckAsync(claimed, title, cancellationToken);
            logger.LogDebug("Reference \"{Title}\": {Status} {Note}", title, checkedReference.Status, checkedReference.Note);
            return checkedReference;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Checking the reference \"{Title}\" failed unexpectedly", title);
            return Unverified(claimed, $"The reference could not be checked ({ex.GetType().Name}).");
        }
    }

    /// <summary>Every reference checked at once; the clients' pacers keep the sources' limits, and repeats cost one request.</summary>
    public async Task<IReadOnlyList<Reference>> VerifyAllAsync(IReadOnlyList<Reference> references, CancellationToken cancellationToken = default) =>
        await Task.WhenAll(references.Select(r => VerifyAsync(r, cancellationToken)));

    /// <summary>The DOI and arXiv id the model claimed, from their own fields, else from its link, else from its title.</summary>
    internal static Reference WithClaimedIds(Reference reference) => reference with
    {
        Doi = ReferenceIds.FindDoi(reference.Doi) ?? ReferenceIds.FindDoi(reference.Url) ?? ReferenceIds.FindDoi(reference.Title),
        ArxivId = ReferenceIds.NormaliseArxivId(reference.ArxivId) ?? ReferenceIds.FindArxivId(reference.Url) ?? ReferenceIds.FindArxivId(reference.Title),
    };

    private async Task<Reference> CheckAsync(Reference reference, string title, CancellationToken cancellationToken)
    {
        var findings = new Findings();
        if (reference.Doi is { } doi)
        {
            var result = await crossref.GetByDoiAsync(doi, cancellationToken);
            if (Judge(reference, result, title, $"DOI {doi}", findings) is { } judged) return judged;
        }
        if (reference.ArxivId is { } arxivId)
        {
            var result = await arxiv.GetByIdAsync(arxivId, cancellationToken);
            if (Judge(reference, result, title, $"arXiv id {arxivId}", findings) is { } judged) return judged;
        }
        // Crossref weighs the venue and year too, so the reference goes in as the model wrote it.
        var query = string.IsNullOrWhiteSpace(reference.Venue) ? title : $"{title} {reference.Venue}";
        if (!TitleMatch.IsSpecific(title))
        {
            // Dozens of works are called "Deep learning"; a short title counts only with the journal (and year) it claims,
            // which arXiv's records rarely carry.
            if (string.IsNullOrWhiteSpace(reference.Venue))
                return Unverified(reference, findings.Note(unsearched: "The title is too short to identify one work by searching for it, and no venue was given."));
            if (!findings.Failed(LiteratureSource.Crossref)
                && Search(await crossref.FindAsync(query, SearchResults, cancellationToken), p => TitleMatch.Matches(title, p.Title) && VenueAgrees(reference.Venue, p), findings) is { } shortMatch)
                return Verified(reference, shortMatch);
            return Unverified(reference, findings.Note(noMatch: "No Crossref record has this title in the venue and year given (a title this short needs both)."));
        }

        if (!findings.Failed(LiteratureSource.Crossref)
            && Search(await crossref.FindAsync(query, SearchResults, cancellationToken), p => TitleMatch.Matches(title, p.Title), findings) is { } byCrossref)
            return Verified(reference, byCrossref);
        // arXiv answers one request every 3 seconds for the whole server, and published work is in Crossref: its title
        // search is kept for references that say they are on arXiv, and for when Crossref could not be asked.
        if (!findings.Failed(LiteratureSource.ArXiv) && (NamesArxiv(reference) || findings.Failed(LiteratureSource.Crossref))
            && Search(await arxiv.FindByTitleAsync(title, SearchResults, cancellationToken), p => TitleMatch.Matches(title, p.Title), findings) is { } byArxiv)
            return Verified(reference, byArxiv);
        return Unverified(reference, findings.Note());
    }

    private static bool NamesArxiv(Reference reference) =>
        new[] { reference.Venue, reference.Url, reference.Title }.Any(t => t?.Contains("arxiv", StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>The record's journal is the one named, and its year the one given, if any ("Cell, 2013" for Cell, 2013).</summary>
    private static bool VenueAgrees(string venue, Paper record)
    {
        if (record.Venue is null) return false;
        var years = Year().Matches(venue).Select(m => int.Parse(m.Value, CultureInfo.InvariantCulture)).ToList();
        if (years.Count > 0 && (record.Year is not { } year || !years.Contains(year))) return false;
        return Named(venue).SetEquals(Named(record.Venue));

        // "Cell" is not "Cell Research"; "Aging (Albany NY)" is "Aging".
        static HashSet<string> Named(string text) => [.. TitleMatch.Words(text).Where(w => w.Any(char.IsLetter))];
    }

    /// <summary>What a lookup by identifier settles: verified, or a contradiction; null when the check goes on.</summary>
    private static Reference? Judge(Reference reference, LiteratureResult result, string title, string identifier, Findings findings)
    {
        if (result.Failed)
        {
            findings.CouldNotCheck(result);
            return null;
        }
        if (result.Papers.FirstOrDefault() is not { } record)
        {
            findings.Add($"{Name(result.Source)} has no record of its {identifier}.");
            return null;
        }
        if (!TitleMatch.HasWords(record.Title))
        {
            findings.Add($"{Name(result.Source)}'s record of its {identifier} has no title to compare.");
            return null;
        }
        return TitleMatch.Matches(title, record.Title)
            ? Verified(reference, record)
            : Unverified(reference, $"Its {identifier} belongs to a different work: \u201c{record.Title}\u201d.");
    }

    private static Paper? Search(LiteratureResult result, Func<Paper, bool> accept, Findings findings)
    {
        if (result.Failed)
        {
            findings.CouldNotCheck(result);
            return null;
        }
        findings.Searched(result.Source);
        return result.Papers.FirstOrDefault(accept);
    }

    private static Reference Verified(Reference reference, Paper record) =>
        reference with { Status = ReferenceStatus.Verified, Record = record, Doi = record.Doi, ArxivId = record.ArxivId, Note = null };

    private static Reference Unverified(Reference reference, string note) =>
        reference with { Status = ReferenceStatus.Unverified, Record = null, Note = note };

    private static string Name(LiteratureSource source) => PaperText.SourceName(source);

    /// <summary>What the checks found on the way, for the note of a reference left unverified.</summary>
    private sealed class Findings
    {
        private readonly List<string> _facts = [];
        private readonly List<LiteratureSource> _searched = [];
        private readonly Dictionary<LiteratureSource, string> _failures = [];

        public void Add(string fact) => _facts.Add(fact);

        public void Searched(LiteratureSource source) => _searched.Add(source);

        public void CouldNotCheck(LiteratureResult result) => _failures.TryAdd(result.Source, result.Error!);

        public bool Failed(LiteratureSource source) => _failures.ContainsKey(source);

        /// <param name="unsearched">Why no search was made, when none was.</param>
        /// <param name="noMatch">What a search that found nothing means, instead of "no record has this title".</param>
        public string Note(string? unsearched = null, string? noMatch = null)
        {
            var sentences = new List<string>(_facts);
            if (_searched.Count > 0) sentences.Add(noMatch ?? $"No {string.Join(" or ", _searched.Select(Name))} record has this title.");
            else if (unsearched is not null) sentences.Add(unsearched);
            sentences.AddRange(_failures.Select(f => $"{Name(f.Key)} could not be checked: {f.Value}"));
            return string.Join(" ", sentences);
        }
    }
}
