using System.Text.Json.Nodes;

namespace CoScientist.Core.Llm;

/// <summary>
/// Small helpers for strict JSON schemas: every object lists all its properties as required and
/// forbids others, which OpenAI-style strict structured outputs demand.
/// </summary>
public static class JsonSchemaBuilder
{
    public static JsonObject Object(params (string Name, JsonObject Schema)[] properties)
    {
        var props = new JsonObject();
        foreach (var (name, schema) in properties)
            props[name] = schema;
        return new JsonObject
        {
            ["type"] = "object",
            ["properties"] = props,
            ["required"] = new JsonArray(properties.Select(p => (JsonNode)JsonValue.Create(p.Name)!).ToArray()),
            ["additionalProperties"] = false,
        };
    }

    public static JsonObject String(string description) => new() { ["type"] = "string", ["description"] = description };

    public static JsonObject Enum(string description, params string[] values) => new()
    {
        ["type"] = "string",
        ["description"] = description,
        ["enum"] = new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray()),
    };

    public static JsonObject Integer(string description, int minimum, int maximum) => new()
    {
        ["type"] = "integer",
        ["description"] = description,
        ["minimum"] = minimum,
        ["maximum"] = maximum,
    };

    public static JsonObject Array(string description, JsonObject items) => new()
    {
        ["type"] = "array",
        ["description"] = description,
        ["items"] = items,
    };
}

/// <summary>Lenient reading of model answers: alternative field names, strings where lists were asked for.</summary>
public static class JsonRead
{
    public static string? Text(JsonNode? node, params string[] names)
    {
        if (node is not JsonObject obj) return null;
        foreach (var name in names)
        {
            var value = Find(obj, name);
            switch (value)
            {
                case JsonValue v when v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s):
                    return s.Trim();
                case JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.Number:
                    return v.ToJsonString();
                case JsonArray a when a.Count > 0:
                    return string.Join("\n", a.Select(x => x?.ToString()).Where(x => !string.IsNullOrWhiteSpace(x)));
            }
        }
        return null;
    }

    public static string RequiredText(JsonNode? node, params string[] names) =>
        Text(node, names) ?? throw new LlmOutputException($"missing '{names[0]}'");

    public static IReadOnlyList<string> TextList(JsonNode? node, params string[] names)
    {
        if (node is not JsonObject obj) return [];
        foreach (var name in names)
        {
            switch (Find(obj, name))
            {
                case JsonArray array:
                    return array.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : x is JsonObject o ? Text(o, "text", "title", "description", "step") ?? o.ToJsonString() : x?.ToString())
                        .Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!.Trim()).ToList();
                case JsonValue v when v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s):
                    return s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(line => line.TrimStart('-', '*', ' ')).Where(line => line.Length > 0).ToList();
            }
        }
        return [];
    }

    public static int? Integer(JsonNode? node, params string[] names)
    {
        if (node is not JsonObject obj) return null;
        foreach (var name in names)
        {
            if (Find(obj, name) is JsonValue v)
            {
                if (v.TryGetValue<int>(out var i)) return i;
                if (v.TryGetValue<double>(out var d)) return (int)Math.Round(d);
                if (v.TryGetValue<string>(out var s) && int.TryParse(s.Trim(), out var parsed)) return parsed;
            }
        }
        return null;
    }

    /// <summary>Whole numbers from a list that may hold numbers, "3", "[3]" or "P3"; a lone number or a "1, 4" string too.</summary>
    public static IReadOnlyList<int> Numbers(JsonNode? node, params string[] names)
    {
        var items = Node(node, names) switch
        {
            JsonArray array => array.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : x?.ToJsonString()),
            JsonValue v when v.TryGetValue<string>(out var s) => s.Split(',', ';', ' '),
            JsonValue v => [v.ToJsonString()],
            _ => [],
        };
        var numbers = new List<int>();
        foreach (var item in items)
        {
            var digits = new string((item ?? "").Trim().Trim('[', ']', '(', ')').TrimStart('P', 'p', '#').Where(c => !char.IsWhiteSpace(c)).ToArray());
            if (int.TryParse(digits, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n)) numbers.Add(n);
            else if (double.TryParse(digits, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d)) numbers.Add((int)d);
        }
        return numbers;
    }

    public static JsonNode? Node(JsonNode? node, params string[] names) =>
        node is JsonObject obj ? names.Select(n => Find(obj, n)).FirstOrDefault(n => n is not null) : null;

    private static JsonNode? Find(JsonObject obj, string name)
    {
        if (obj.TryGetPropertyValue(name, out var exact)) return exact;
        foreach (var (key, value) in obj)
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase)) return value;
        return null;
    }
}
