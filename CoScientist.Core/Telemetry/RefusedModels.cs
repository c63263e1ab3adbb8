using System.Collections.Concurrent;
using System.Text;

namespace CoScientist.Core.Telemetry;

public sealed record RefusedModel(string Model, long Requests);

/// <summary>
/// What visitors asked for that the allow-list refused: a hint at which model to allow next. The ids come from
/// browsers, so they are untrusted text: cut to <see cref="MaxLength"/> printable characters, at most
/// <see cref="MaxIds"/> distinct ids kept (later ones pooled under <see cref="Other"/>), and in /metrics only ids in
/// OpenRouter's catalogue get their own series (the rest are "unknown"), so nobody can mint series by typing.
/// </summary>
public sealed class RefusedModels
{
    public const int MaxLength = 100;
    public const int MaxIds = 500;
    public const string Other = "(other ids)";
    public const string Unknown = "unknown";

    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Record(string? requested, bool inCatalogue)
    {
        var id = Clean(requested);
        if (!_counts.ContainsKey(id) && _counts.Count >= MaxIds)
            id = Other;
        _counts.AddOrUpdate(id, 1, (_, n) => n + 1);
        CoScientistMetrics.RefusedModels.Add(1, new KeyValuePair<string, object?>("model", inCatalogue ? id : Unknown));
    }

    public IReadOnlyList<RefusedModel> Top(int count = 10) => _counts
        .Select(c => new RefusedModel(c.Key, c.Value))
        .OrderByDescending(m => m.Requests).ThenBy(m => m.Model, StringComparer.Ordinal)
        .Take(count)
        .ToList();

    /// <summary>Printable characters only (no control or format characters that could disguise the text), trimmed and bounded.</summary>
    public static string Clean(string? requested)
    {
        var text = new StringBuilder();
        foreach (var c in (requested ?? "").Trim())
        {
            if (text.Length == MaxLength) return text.Append('…').ToString();
            if (!char.IsControl(c) && char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.Format && !char.IsSurrogate(c))
                text.Append(c);
        }
        return text.Length == 0 ? "(none)" : text.ToString();
    }
}
