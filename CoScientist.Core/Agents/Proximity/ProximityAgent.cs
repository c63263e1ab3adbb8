using CoScientist.Core.Embeddings;
using CoScientist.Core.Research;

namespace CoScientist.Core.Agents.Proximity;

public sealed record SimilarityEdge(string AId, string BId, double Similarity);

/// <summary>Pairwise cosine similarities of the embedded hypotheses.</summary>
public sealed record ProximityGraph(IReadOnlyList<string> Ids, IReadOnlyList<SimilarityEdge> Edges)
{
    private readonly Dictionary<(string, string), double> _lookup =
        Edges.ToDictionary(e => Key(e.AId, e.BId), e => e.Similarity);

    public double? Between(string a, string b) => _lookup.TryGetValue(Key(a, b), out var s) ? s : null;

    public IEnumerable<SimilarityEdge> Above(double threshold) => Edges.Where(e => e.Similarity >= threshold);

    private static (string, string) Key(string a, string b) => string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a);
}

/// <summary>
/// Embeds each hypothesis once, keeps the similarity graph, and flags near-duplicates: a hypothesis
/// at or above the threshold to an older one is marked a duplicate of it and kept out of evolution.
/// No LLM calls: the embedding model runs in-process.
/// </summary>
public sealed class ProximityAgent(IEmbeddingModel model)
{
    /// <returns>How many hypotheses were embedded now, and how many near-duplicates were newly flagged.</returns>
    public async Task<(int Embedded, int Flagged)> UpdateAsync(ResearchState state, double threshold, CancellationToken cancellationToken)
    {
        var pending = state.Snapshot().Hypotheses.Where(h => h.Embedding is null).ToList();
        foreach (var h in pending)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var vector = await model.EmbedAsync(h.Describe(), cancellationToken);
            state.Update(h.Id, x => x with { Embedding = vector });
        }

        var all = state.Snapshot().Hypotheses.Where(h => h.Embedding is not null).OrderBy(h => h.Id, StringComparer.Ordinal).ToList();
        // Duplicates point at an original, never at another duplicate (flags set in this pass included).
        var duplicates = all.Where(h => h.IsNearDuplicate).Select(h => h.Id).ToHashSet();
        var flagged = 0;
        for (var i = 0; i < all.Count; i++)
        {
            if (duplicates.Contains(all[i].Id)) continue;
            for (var j = 0; j < i; j++)
            {
                if (duplicates.Contains(all[j].Id)) continue;
                if (Similarity.Cosine(all[i].Embedding, all[j].Embedding) >= threshold)
                {
                    var original = all[j].Id;
                    state.Update(all[i].Id, x => x with { DuplicateOfId = original });
                    duplicates.Add(all[i].Id);
                    flagged++;
                    break;
                }
            }
        }
        return (pending.Count, flagged);
    }

    public static ProximityGraph Graph(IReadOnlyList<Hypothesis> hypotheses)
    {
        var embedded = hypotheses.Where(h => h.Embedding is not null).ToList();
        var edges = new List<SimilarityEdge>();
        for (var i = 0; i < embedded.Count; i++)
            for (var j = i + 1; j < embedded.Count; j++)
                edges.Add(new SimilarityEdge(embedded[i].Id, embedded[j].Id, Similarity.Cosine(embedded[i].Embedding, embedded[j].Embedding)));
        return new ProximityGraph(embedded.Select(h => h.Id).ToList(), edges);
    }
}
