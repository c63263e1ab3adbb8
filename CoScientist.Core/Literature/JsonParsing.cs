using System.Globalization;
using System.Text.Json;

namespace CoScientist.Core.Literature;

/// <summary>Lenient reading of the sources' JSON: a field of an unexpected type reads as missing.</summary>
internal static class JsonParsing
{
    public static JsonDocument Parse(string raw, string source)
    {
        try
        {
            return JsonDocument.Parse(raw);
        }
        catch (JsonException ex)
        {
            throw new LiteratureFormatException($"{source} answered with malformed JSON: {ex.Message}", ex);
        }
    }

    public static string? String(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    public static JsonElement? Path(JsonElement element, params string[] names)
    {
        var current = element;
        foreach (var name in names)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current)) return null;
        }
        return current;
    }

    public static int? Int(JsonElement element) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out var n) ? n
        : element.ValueKind == JsonValueKind.String && int.TryParse(element.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out n) ? n
        : null;
}
