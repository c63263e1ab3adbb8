using System.Text.Json;

namespace CoScientist.Core.Literature;

/// <summary>Reads Crossref REST answers: a work list (GET /works?query=…) or one work (GET /works/{doi}).</summary>
public static class CrossrefParser
{
    // Crossref's date fields in the order that best says when a work appeared.
    private static readonly string[] DateFields = ["issued", "published", "published-print", "published-online", "created"];

    public static IReadOnlyList<Paper> Parse(string raw)
    {
        using var document = JsonParsing.Parse(raw, "Crossref");
        var message = Message(document.RootElement, "work-list");
        if (!message.TryGetProperty("items", out var items)) return [];
        if (items.ValueKind != JsonValueKind.Array) throw new LiteratureFormatException("Crossref's message.items is not a list.");
        return [.. items.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.Object).Select(ToPaper).OfType<Paper>()];
    }

    public static IReadOnlyList<Paper> ParseWork(string raw)
    {
        using var document = JsonParsing.Parse(raw, "Crossref");
        return ToPaper(Message(document.RootElement, "work")) is { } paper ? [paper] : [];
    }

    private static JsonElement Message(JsonElement root, string expectedType)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
            throw new LiteratureFormatException("Crossref answered without a message.");
        var type = JsonParsing.String(root, "message-type");
        if (type is not null && type != expectedType)
            throw new LiteratureFormatException($"Crossref answered with a {type} where a {expectedType} was expected.");
        return message;
    }

    private static Paper? ToPaper(JsonElement work)
    {
        var doi = MarkupText.NormaliseDoi(JsonParsing.String(work, "DOI"));
        var title = FullTitle(FirstOf(work, "title"), FirstOf(work, "subtitle"));
        if (doi is null && title is null) return null;
        return new Paper(
            LiteratureSource.Crossref,
            title ?? "",
            AuthorsOf(work),
            YearOf(work),
            FirstOf(work, "container-title"),
            MarkupText.ToPlainText(JsonParsing.String(work, "abstract")),
            doi,
            null,
            doi is not null ? $"https://doi.org/{doi}" : JsonParsing.String(work, "URL") ?? "https://search.crossref.org/");
    }

    // Some publishers deposit the subtitle apart ("Hallmarks of aging" + "An expanding universe"); the work's title is both.
    private static string? FullTitle(string? title, string? subtitle) =>
        title is null || subtitle is null || title.Contains(subtitle, StringComparison.OrdinalIgnoreCase) ? title : $"{title.TrimEnd(':', ' ')}: {subtitle}";

    /// <summary>The first non-blank entry of an array field such as title or container-title (either may be empty or missing).</summary>
    private static string? FirstOf(JsonElement work, string name) =>
        work.TryGetProperty(name, out var values) && values.ValueKind == JsonValueKind.Array
            ? values.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String)
                .Select(v => MarkupText.ToPlainText(v.GetString())).FirstOrDefault(v => v is not null)
            : values.ValueKind == JsonValueKind.String ? MarkupText.ToPlainText(values.GetString()) : null;

    private static List<string> AuthorsOf(JsonElement work)
    {
        if (!work.TryGetProperty("author", out var authors) || authors.ValueKind != JsonValueKind.Array) return [];
        var names = new List<string>();
        foreach (var author in authors.EnumerateArray())
        {
            // People have given/family names; consortia have only a name.
            var name = string.Join(' ', new[] { JsonParsing.String(author, "given"), JsonParsing.String(author, "family") }
                .Where(n => !string.IsNullOrWhiteSpace(n)));
            if (name.Length == 0) name = JsonParsing.String(author, "name") ?? "";
            if (MarkupText.CollapseWhitespace(name) is { Length: > 0 } clean) names.Add(clean);
        }
        return names;
    }

    /// <summary>The year of the first date present; date-parts hold one to three numbers ([[2012]], [[2012,5]], [[2012,5,23]]), sometimes [[null]].</summary>
    private static int? YearOf(JsonElement work)
    {
        foreach (var field in DateFields)
        {
            if (JsonParsing.Path(work, field, "date-parts") is { ValueKind: JsonValueKind.Array } parts
                && parts.GetArrayLength() > 0 && parts[0] is { ValueKind: JsonValueKind.Array } first
                && first.GetArrayLength() > 0 && JsonParsing.Int(first[0]) is { } year)
                return year;
        }
        return null;
    }
}
