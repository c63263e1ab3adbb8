namespace CoScientist.Core.Embeddings;

/// <summary>Turns text into a unit-length vector; similar meaning, high cosine.</summary>
public interface IEmbeddingModel
{
    int Dimensions { get; }

    /// <summary>
    /// One embedding. Callers take turns on the model; a caller waiting for its turn holds no thread, so research
    /// embedding at once cannot starve the threads that serve pages and calls.
    /// </summary>
    Task<float[]> EmbedAsync(string text, CancellationToken cancellationToken = default);
}

public static class Similarity
{
    /// <summary>Cosine similarity; for unit vectors this is the dot product.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException("Vectors differ in length.");
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}
