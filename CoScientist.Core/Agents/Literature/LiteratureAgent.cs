using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CoScientist.Core.Embeddings;
using CoScientist.Core.Literature;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Agents.Literature;

/// <summary>What a Literature step found: the papers not yet in the research, best first, and what each source said.</summary>
public sealed record LiteratureSearch(IReadOnlyList<ResearchPaper> Candidates, IReadOnlyList<LiteratureSourceReport> Sources, int OffTopic = 0);

/// <summary>
/// Reads the literature for a research: one LLM call turns the goal (and the last meta-review) into search queries,
/// which run against arXiv and Europe PMC at once; the answers are merged, de-duplicated and ranked by their
/// similarity to the goal (MiniLM, in-process). Sources that fail are reported, never thrown: a slow library must not
/// break a cycle. The queries for a goal are cached like the searches, so a goal searched before costs nothing.
/// </summary>
public sealed class LiteratureAgent(StructuredLlm llm, ArxivClient arxiv, EuropePmcClient europePmc, LiteratureCache cache,
    IEmbeddingModel embeddings, IOptions<LiteratureOptions> options) : IDisposable
{
    /// <summary>
    /// Papers' and goals' embeddings: searches are shared by every research, so are the vectors of what they found. The
    /// model runs one text at a time, and twenty research starting on the same goal must not embed the same fifty
    /// abstracts twenty times, whether they start one after another (the cache) or at the same moment (<see cref="_embedding"/>).
    /// </summary>
    private readonly MemoryCache _vectors = new(new MemoryCacheOptions { SizeLimit = 20_000 });
    private static readonly MemoryCacheEntryOptions VectorEntry = new() { Size = 1, SlidingExpiration = TimeSpan.FromDays(1) };
    /// <summary>The embeddings being made now, by key: a search that needs one already under way waits for it.</summary>
    private readonly ConcurrentDictionary<string, Lazy<Task<float[]>>> _embedding = new();

    public const int MaxQueries = 3;
    /// <summary>
    /// A paper less similar to the goal than this (MiniLM cosine) is off-topic, whatever matched its keywords: unrelated
    /// texts score 0 to 0.15, papers on the goal's question 0.4 and more.
    /// </summary>
    public const double MinimumSimilarity = 0.2;
    /// <summary>Candidates fetched per source for every paper kept, so ranking has a choice.</summary>
    private const int CandidatesPerPaper = 3;

    public async Task<IReadOnlyList<string>> QueriesAsync(AgentContext context, CancellationToken cancellationToken)
    {
        var key = $"queries|{context.Settings.Model}|{Hash(context.Goal + "\n" + context.FeedbackSection)}";
        if (cache.TryGet<List<string>>(key) is { Count: > 0 } cached) return cached;
        var request = context.Request(CycleStep.Literature, LiteraturePrompt.System,
            LiteraturePrompt.User(context.Goal, context.FeedbackSection), 0.2, LiteraturePrompt.Schema);
        var queries = await llm.CallAsync(request, ReadQueries, cancellationToken);
        cache.Put(key, queries);
        return queries;
    }

    internal static IReadOnlyList<string> ReadQueries(JsonNode node)
    {
        var queries = (node is JsonArray ? JsonRead.TextList(new JsonObject { ["queries"] = node.DeepClone() }, "queries") : JsonRead.TextList(node, "queries", "search_queries", "keywords"))
            .Select(q => MarkupText.CollapseWhitespace(q.Replace('"', ' ')))
            .Where(q => q.Length > 0)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Take(MaxQueries)
            .ToList();
        return queries.Count > 0 ? queries : throw new LlmOutputException("no search queries");
    }

    /// <summary>When the query call fails: the goal's longest words, which still find something on topic.</summary>
    public static IReadOnlyList<string> FallbackQueries(string goal)
    {
        var words = goal.Split((char[])[' ', '\n', '\t', ',', '.', ';', ':', '(', ')', '?', '!', '"', '\''], StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w.Length > 3)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderByDescending(w => w.Length)
            .Take(3)
            .ToList();
        return words.Count > 0 ? [string.Join(' ', words)] : [goal.Trim()];
    }

    /// <summary>Searches both sources at once and ranks what is new to the research by similarity to the goal.</summary>
    public async Task<LiteratureSearch> SearchAsync(string goal, IReadOnlyList<string> queries, IReadOnlyList<ResearchPaper> known,
        int maxPapers, CancellationToken cancellationToken)
    {
        var perSource = Math.Min(50, Math.Max(maxPapers * CandidatesPerPaper, 10));
        var results = await Task.WhenAll(
            arxiv.SearchAnyAsync(queries, perSource, cancellationToken),
            europePmc.SearchAnyAsync(queries, perSource, cancellationToken));
        var sources = results.Select(r => new LiteratureSourceReport(r.Source, r.Papers.Count, r.FromCache, r.Error)).ToList();

        var fresh = PaperIdentity.Merge(results.SelectMany(r => r.Papers))
            .Where(p => !known.Any(k => PaperIdentity.Same(k.Paper, p)))
            .ToList();
        if (fresh.Count == 0) return new LiteratureSearch([], sources);
        var target = await VectorAsync("goal|" + goal, goal, cancellationToken);
        var scored = new List<ResearchPaper>(fresh.Count);
        foreach (var p in fresh)
        {
            var candidate = new ResearchPaper(0, p, 0, 0);
            var vector = await VectorAsync(candidate, cancellationToken);
            scored.Add(candidate with { Similarity = Math.Round(Similarity.Cosine(target, vector), 4), Embedding = vector });
        }
        var onTopic = scored.Where(p => p.Similarity >= MinimumSimilarity).OrderByDescending(p => p.Similarity).Take(maxPapers).ToList();
        return new LiteratureSearch(onTopic, sources, scored.Count(p => p.Similarity < MinimumSimilarity));
    }

    /// <summary>Embeddings for papers that have none (they are not stored, so a restored research needs them again).</summary>
    public async Task<IReadOnlyDictionary<int, float[]>> EmbedAsync(IEnumerable<ResearchPaper> papers, CancellationToken cancellationToken)
    {
        var missing = papers.Where(p => p.Embedding is null).ToList();
        var vectors = new Dictionary<int, float[]>();
        foreach (var p in missing)
            vectors[p.Number] = await VectorAsync(p, cancellationToken);
        return vectors;
    }

    private Task<float[]> VectorAsync(ResearchPaper paper, CancellationToken cancellationToken)
    {
        var text = paper.Describe();
        return VectorAsync(paper.Paper.Key + "|" + text.Length, text, cancellationToken);
    }

    /// <summary>
    /// The text's vector: kept, being made for another search (then waited for), or made now. A search cancelled while it
    /// waits stops waiting; one cancelled while making it stops, and a search still waiting for it makes it again.
    /// </summary>
    private async Task<float[]> VectorAsync(string key, string text, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_vectors.TryGetValue(key, out float[]? vector) && vector is not null) return vector;
            // Lazy: the embedding starts once its entry is in the dictionary, so the entry is there until it ends.
            var making = _embedding.GetOrAdd(key, k => new Lazy<Task<float[]>>(() => EmbedOnceAsync(k, text, cancellationToken)));
            try
            {
                return await making.Value.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The search that was making it was cancelled; this one was not: it makes it itself.
            }
        }
    }

    private async Task<float[]> EmbedOnceAsync(string key, string text, CancellationToken cancellationToken)
    {
        try
        {
            var vector = await embeddings.EmbedAsync(text, cancellationToken);
            _vectors.Set(key, vector, VectorEntry);
            return vector;
        }
        finally
        {
            _embedding.TryRemove(key, out _);
        }
    }

    public void Dispose() => _vectors.Dispose();

    public bool Enabled => options.Value.Enabled;

    /// <summary>
    /// A hypothesis this close to a paper's title and abstract (MiniLM cosine) restates it: probably already published.
    /// Related work on the same question scores 0.5 to 0.75; a paraphrase of the abstract 0.85 and more.
    /// </summary>
    public const double NotNovelSimilarity = 0.85;
    public const int PriorWorkShown = 3;

    /// <summary>The papers closest to a hypothesis, closest first, with their similarity (all of them, for the caller to cut).</summary>
    public static IReadOnlyList<PriorWork> ClosestPriorWork(float[] hypothesis, IEnumerable<ResearchPaper> papers) =>
        papers.Where(p => p.Embedding is not null)
            .Select(p => new PriorWork(p.Number, Math.Round(Similarity.Cosine(hypothesis, p.Embedding), 4)))
            .OrderByDescending(p => p.Similarity)
            .ThenBy(p => p.PaperNumber)
            .ToList();

    public Task<float[]> EmbedAsync(string text, CancellationToken cancellationToken) => embeddings.EmbedAsync(text, cancellationToken);

    /// <summary>Whether a reference the model wrote is this retrieved paper: the same DOI or arXiv id, or a matching title.</summary>
    public static bool Names(Reference reference, Paper paper) =>
        (reference.Doi is { Length: > 0 } doi && doi == paper.Doi)
        || (reference.ArxivId is { Length: > 0 } id && id == paper.ArxivId)
        || TitleMatch.Matches(reference.Title, paper.Title);

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
}
