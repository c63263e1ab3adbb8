using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CoScientist.Core.Llm;

/// <summary>
/// Turns a model's raw answer into JSON: strips Markdown fences and chatter around the JSON, and
/// closes an answer that was cut off (max_tokens, a dropped stream) at its last complete value.
/// </summary>
public static partial class JsonRecovery
{
    private const int MaxCutAttempts = 200;

    /// <summary>Parses <paramref name="raw"/> as JSON, repairing what can be repaired; null if nothing can.</summary>
    public static JsonNode? TryParse(string? raw) => TryParse(raw, out _);

    public static JsonNode? TryParse(string? raw, out bool repaired)
    {
        repaired = false;
        if (string.IsNullOrWhiteSpace(raw))
            return null;
        var candidate = ExtractJson(raw);
        if (TryParseExact(candidate) is { } node)
            return node;
        repaired = true;
        return RepairTruncated(candidate);
    }

    /// <summary>The JSON part of an answer: a fenced block's body, or from the first bracket on.</summary>
    public static string ExtractJson(string raw)
    {
        var text = raw.Trim();
        var fence = FencedBlock().Match(text);
        if (fence.Success)
            text = fence.Groups["body"].Value.Trim();
        else if (text.StartsWith("```", StringComparison.Ordinal))
            text = OpeningFence().Replace(text, "", 1).Trim(); // an opened fence that never closed: truncated

        var first = text.IndexOfAny(['{', '[']);
        if (first < 0)
            return text;
        // Prose before the JSON may itself hold brackets ("as in [1]: {...}"): the first opening bracket
        // from which a whole value parses wins; failing that, the text from the first one, maybe truncated.
        var end = Math.Max(text.LastIndexOf('}'), text.LastIndexOf(']'));
        for (var start = first; start >= 0 && start < end; start = text.IndexOfAny(['{', '['], start + 1))
            if (TryParseExact(text[start..(end + 1)]) is not null)
                return text[start..(end + 1)];
        return text[first..];
    }

    private static JsonNode? TryParseExact(string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Closes a cut-off document. Tries, from the latest to the earliest, every point where a value
    /// ended, closing the brackets still open there; the first that parses wins.
    /// </summary>
    internal static JsonNode? RepairTruncated(string text)
    {
        var stack = new Stack<char>();
        var cuts = new List<(int Index, string Closers)>();
        var inString = false;
        var escaped = false;

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') inString = false;
                continue;
            }
            switch (c)
            {
                case '"': inString = true; break;
                case '{': stack.Push('}'); break;
                case '[': stack.Push(']'); break;
                case '}' or ']':
                    if (stack.Count > 0) stack.Pop();
                    cuts.Add((i + 1, Closers(stack)));
                    break;
                case ',':
                    cuts.Add((i, Closers(stack)));
                    break;
            }
        }

        // First, the cheapest repair: finish the open string and close everything.
        var tail = new StringBuilder(text.TrimEnd());
        if (inString)
        {
            if (escaped) tail.Length--;
            tail.Append('"');
        }
        if (TryParseExact(tail + Closers(stack)) is { } whole)
            return whole;

        foreach (var (index, closers) in cuts.AsEnumerable().Reverse().Take(MaxCutAttempts))
        {
            if (TryParseExact(text[..index].TrimEnd().TrimEnd(',') + closers) is { } node)
                return node;
        }
        return null;
    }

    private static string Closers(Stack<char> stack) => new(stack.ToArray());

    [GeneratedRegex(@"```[a-zA-Z0-9_-]*[ \t]*\r?\n?(?<body>[\s\S]*?)```")]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"^```[a-zA-Z0-9_-]*")]
    private static partial Regex OpeningFence();
}
