using CoScientist.Core.Literature;

namespace CoScientist.Core.Research;

/// <summary>
/// A paper the research retrieved, under the number agents cite it by. Numbers are given in the order papers are
/// added and never change, so "[3]" means the same paper in every cycle, export and saved copy.
/// </summary>
/// <param name="Similarity">Cosine similarity of its title and abstract to the research goal (MiniLM).</param>
public sealed record ResearchPaper(int Number, Paper Paper, int CycleFound, double Similarity)
{
    /// <summary>Title and abstract as the embedding model saw them; not stored (recomputed when needed).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public float[]? Embedding { get; init; }

    /// <summary>
    /// What the embedding model reads: the title and the abstract's opening (an abstract states its question first,
    /// and a shorter text embeds several times faster; the model reads at most 256 tokens anyway).
    /// </summary>
    public string Describe() => string.IsNullOrWhiteSpace(Paper.Abstract)
        ? Paper.Title
        : $"{Paper.Title}\n{(Paper.Abstract.Length <= EmbeddedAbstractChars ? Paper.Abstract : Paper.Abstract[..EmbeddedAbstractChars])}";

    public const int EmbeddedAbstractChars = 600;
}
