namespace CoScientist.Core.Literature;

/// <summary>When two records are one paper: the same DOI, the same arXiv id, or the same title once normalised.</summary>
public static class PaperIdentity
{
    public static bool Same(Paper a, Paper b) =>
        (a.Doi is { Length: > 0 } && a.Doi == b.Doi)
        || (a.ArxivId is { Length: > 0 } && a.ArxivId == b.ArxivId)
        || (MarkupText.NormaliseTitle(a.Title) is { Length: > 0 } title && title == MarkupText.NormaliseTitle(b.Title));

    /// <summary>
    /// One record per paper, in first-seen order. When two sources describe the same paper, the kept record takes
    /// what the first lacked (an abstract, a DOI, an arXiv id, a venue, a year).
    /// </summary>
    public static IReadOnlyList<Paper> Merge(IEnumerable<Paper> papers)
    {
        var merged = new List<Paper>();
        foreach (var paper in papers)
        {
            var index = merged.FindIndex(p => Same(p, paper));
            if (index < 0)
            {
                merged.Add(paper);
                continue;
            }
            var kept = merged[index];
            merged[index] = kept with
            {
                Abstract = string.IsNullOrWhiteSpace(kept.Abstract) ? paper.Abstract : kept.Abstract,
                Doi = kept.Doi ?? paper.Doi,
                ArxivId = kept.ArxivId ?? paper.ArxivId,
                Venue = kept.Venue ?? paper.Venue,
                Year = kept.Year ?? paper.Year,
                Authors = kept.Authors.Count > 0 ? kept.Authors : paper.Authors,
            };
        }
        return merged;
    }
}
