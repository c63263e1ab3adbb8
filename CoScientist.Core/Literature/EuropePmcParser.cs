using System.Globalization;
using System.Text.Json;

namespace CoScientist.Core.Literature;

/// <summary>Reads a Europe PMC REST search answer (format=json, resultType=core).</summary>
public static class EuropePmcParser
{
    public static IReadOnlyList<Paper> Parse(string raw)
    {
        using var document = JsonParsing.Parse(raw, "Europe PMC");
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("resultList", out var resultList) || resultList.ValueKind != JsonValueKind.Object)
            throw new LiteratureFormatException("Europe PMC answered without a resultList.");
        if (!resultList.TryGetProperty("result", out var results)) return [];
        if (results.ValueKind != JsonValueKind.Array)
            throw new LiteratureFormatException("Europe PMC's resultList.result is not a list.");

        var papers = new List<Paper>();
        foreach (var item in results.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) continue;
            var title = MarkupText.ToPlainText(JsonParsing.String(item, "title"));
            if (title is null) continue;
            var source = JsonParsing.String(item, "source") ?? "MED";
            var id = JsonParsing.String(item, "id");
            var doi = MarkupText.NormaliseDoi(JsonParsing.String(item, "doi"));
            papers.Add(new Paper(
                LiteratureSource.EuropePmc,
                title.TrimEnd('.') is { Length: > 0 } trimmed ? trimmed : title,
                AuthorsOf(item),
                int.TryParse(JsonParsing.String(item, "pubYear"), NumberStyles.None, CultureInfo.InvariantCulture, out var year) ? year : null,
                MarkupText.ToPlainText(JsonParsing.String(JsonParsing.Path(item, "journalInfo", "journal"), "title")),
                MarkupText.ToPlainText(JsonParsing.String(item, "abstractText")),
                doi,
                null,
                id is not null ? $"https://europepmc.org/article/{Uri.EscapeDataString(source)}/{Uri.EscapeDataString(id)}"
                    : doi is not null ? $"https://doi.org/{doi}" : "https://europepmc.org/"));
        }
        return papers;
    }

    private static List<string> AuthorsOf(JsonElement item)
    {
        if (JsonParsing.Path(item, "authorList", "author") is { ValueKind: JsonValueKind.Array } list)
        {
            var names = list.EnumerateArray()
                .Select(a => JsonParsing.String(a, "fullName") ?? JsonParsing.String(a, "collectiveName"))
                .OfType<string>().Select(MarkupText.CollapseWhitespace).Where(n => n.Length > 0).ToList();
            if (names.Count > 0) return names;
        }
        // authorString reads "Kwok C, Xu X." with a closing full stop.
        return JsonParsing.String(item, "authorString") is { } authors
            ? [.. authors.TrimEnd('.').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)]
            : [];
    }
}
