using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CoScientist.Tests.Fakes;

/// <summary>
/// Builds a valid instance of whatever JSON schema a request carries, with varied scientific-sounding
/// text so that embeddings of different hypotheses differ, as real ones would.
/// </summary>
public sealed partial class FakeContent(int seed)
{
    /// <summary>Answers as long as real ones (recorded Gemini answers run ~250 tokens per hypothesis, ~300 per review).</summary>
    public bool RealisticLengths { get; set; }

    /// <summary>Answers laced with markup and script, as a hostile or compromised model might send.</summary>
    public bool Hostile { get; set; }

    /// <summary>
    /// When set, every list of references is exactly these works (title and DOI as given; the model's own url and venue
    /// are still made up), so a test can name a work the fake literature sources hold, or none at all.
    /// </summary>
    public IReadOnlyList<FakeReference>? References { get; set; }

    public const string HostileTitle = "<img src=x onerror=\"window.__pwned='title'\"><script>window.__pwned='script'</script>";
    public const string HostileText = "See [this](javascript:window.__pwned='link') and <b onmouseover=\"window.__pwned='b'\">bold</b> ![x](javascript:alert(1)) [safe](https://example.org/ok)";

    private static readonly string[] Subjects = ["mitochondrial stress", "gut microbiota", "perovskite defects", "tau aggregation", "soil fungi",
        "quantum dot surfaces", "T-cell exhaustion", "circadian clocks", "lithium dendrites", "biofilm signalling", "ocean alkalinity",
        "synaptic pruning", "CRISPR off-targets", "graphene oxide", "plasmid transfer", "insulin resistance", "coral bleaching",
        "enzyme promiscuity", "neutrophil traps", "polymer electrolytes", "ribosome stalling", "methane hydrates", "auxin transport"];
    private static readonly string[] Verbs = ["modulates", "amplifies", "suppresses", "stabilises", "reprograms", "couples to", "gates", "buffers"];
    private static readonly string[] Objects = ["energy conversion", "immune tolerance", "charge recombination", "protein folding", "nutrient cycling",
        "cell migration", "ion transport", "heat dissipation", "gene silencing", "drug uptake", "crystal growth", "membrane repair"];
    private static readonly string[] Mechanisms = ["redox signalling", "allosteric feedback", "phase separation", "strain engineering",
        "quorum sensing", "epigenetic memory", "surface passivation", "metabolic cross-feeding", "mechanotransduction"];

    private readonly Random _random = new(seed);
    private readonly Lock _gate = new();
    private int _counter;

    public JsonNode Instance(JsonNode schema, string prompt) { lock (_gate) return Build(schema, prompt, null); }

    /// <summary>The text of every message of a chat request, as the model reads it.</summary>
    public static string PromptOf(JsonObject body) => string.Join("\n", (body["messages"] as JsonArray ?? []).Select(MessageText));

    /// <summary>
    /// What a fake model answers to a chat request (both fakes use it): an instance of the json_schema the request
    /// carries, else of the schema the app wrote into its instructions (json_object and prompt-only requests).
    /// </summary>
    public string Answer(JsonObject body, string prompt)
    {
        var schema = body["response_format"]?["json_schema"]?["schema"]
                     ?? SchemaInPrompt(prompt)
                     ?? JsonNode.Parse("""{"type":"object","properties":{"answer":{"type":"string"}}}""")!;
        return Instance(schema, prompt).ToJsonString();
    }

    private static JsonNode? SchemaInPrompt(string prompt)
    {
        const string marker = "following this JSON schema:\n";
        var at = prompt.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return null;
        var rest = prompt[(at + marker.Length)..];
        var end = rest.IndexOf('\n');
        try { return JsonNode.Parse(end < 0 ? rest : rest[..end]); } catch (System.Text.Json.JsonException) { return null; }
    }

    private static string MessageText(JsonNode? message) => message?["content"] switch
    {
        JsonValue v => v.GetValue<string>(),
        JsonArray parts => string.Concat(parts.Select(p => p?["text"]?.GetValue<string>())),
        _ => "",
    };

    private JsonNode Build(JsonNode schema, string prompt, string? name)
    {
        var type = schema["type"]?.GetValue<string>();
        switch (type)
        {
            case "object":
            {
                var obj = new JsonObject();
                if (schema["properties"] is JsonObject props)
                    foreach (var (key, value) in props)
                        obj[key] = Build(value!, prompt, key);
                return obj;
            }
            case "array" when name == "references" && References is { } references:
            {
                var array = new JsonArray();
                foreach (var reference in references)
                {
                    var item = Build(schema["items"]!, prompt, "reference");
                    if (item is JsonObject fields)
                    {
                        fields["title"] = reference.Title;
                        if (fields.ContainsKey("doi")) fields["doi"] = reference.Doi ?? "";
                    }
                    array.Add(item);
                }
                return array;
            }
            case "array":
            {
                var count = name == "hypotheses" ? RequestedCount(prompt) : _random.Next(2, 4);
                var array = new JsonArray();
                for (var i = 0; i < count; i++)
                    array.Add(Build(schema["items"]!, prompt, Singular(name)));
                return array;
            }
            case "integer":
            {
                var min = schema["minimum"]?.GetValue<int>() ?? 0;
                var max = schema["maximum"]?.GetValue<int>() ?? 100;
                return JsonValue.Create(_random.Next(min, max + 1));
            }
            default:
                if (schema["enum"] is JsonArray options)
                    return JsonValue.Create(options[_random.Next(options.Count)]!.GetValue<string>())!;
                return JsonValue.Create(Text(name, prompt))!;
        }
    }

    private string Text(string? name, string prompt)
    {
        if (Hostile && name is "title") return HostileTitle + " " + Title();
        if (Hostile && name is "statement" or "critique" or "argument" or "research_overview" or "rationale") return HostileText;
        if (Hostile && name is "url") return "javascript:window.__pwned='reference'";
        var text = ShortText(name, prompt);
        if (!RealisticLengths || name is "title" or "url" or "venue" or "top_hypothese") return text;
        var sentences = name switch { "statement" or "rationale" or "critique" => 4, "research_overview" => 10, _ => 2 };
        for (var i = 0; i < sentences; i++)
            text += $" Evidence from {Pick(Subjects)} suggests {Pick(Mechanisms)} {Pick(Verbs)} {Pick(Objects)} under controlled conditions.";
        return text;
    }

    private string ShortText(string? name, string prompt) => name switch
    {
        "title" => Title(),
        "statement" => $"{Pick(Subjects)} {Pick(Verbs)} {Pick(Objects)} through {Pick(Mechanisms)}, and the effect scales with {Pick(Subjects)}.",
        "rationale" => $"Prior work links {Pick(Mechanisms)} to {Pick(Objects)}; the same pathway is active in {Pick(Subjects)}.",
        "prediction" => $"Blocking {Pick(Mechanisms)} should reduce {Pick(Objects)} by at least 20% in a controlled assay.",
        "critique" => $"Plausible, but the link between {Pick(Subjects)} and {Pick(Objects)} is assumed rather than shown.",
        "venue" => $"Nature Communications, {_random.Next(2005, 2025)}",
        "url" => $"https://example.org/papers/{_random.Next(1000, 9999)}",
        "rationale_text" or "argument" => $"The opposing hypothesis ignores {Pick(Mechanisms)}; ours explains {Pick(Objects)} with fewer assumptions.",
        "research_overview" => $"The leading hypotheses converge on {Pick(Mechanisms)} as the lever for {Pick(Objects)}.",
        "top_hypothese" => "H001",
        _ => $"{Pick(Subjects)} and {Pick(Objects)}: {Pick(Mechanisms)}.",
    };

    private string Title() => $"{Pick(Subjects)} {Pick(Verbs)} {Pick(Objects)} via {Pick(Mechanisms)} (#{++_counter})";

    private string Pick(string[] words) => words[_random.Next(words.Length)];

    private static string? Singular(string? name) => name is { Length: > 1 } && name.EndsWith('s') ? name[..^1] : name;

    private static int RequestedCount(string prompt) =>
        RequestedPattern().Match(prompt) is { Success: true } m ? int.Parse(m.Groups[1].Value) : 2;

    [GeneratedRegex(@"Propose (\d+) new hypothes")]
    private static partial Regex RequestedPattern();
}

/// <summary>A work the fake model names as a reference.</summary>
public sealed record FakeReference(string Title, string? Doi = null);
