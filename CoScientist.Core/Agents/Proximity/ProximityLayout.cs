using CoScientist.Core.Research;

namespace CoScientist.Core.Agents.Proximity;

public sealed record MapNode(string Id, double X, double Y, int Cluster);

/// <summary>A 2-D map of the hypotheses where similar ones sit close, with clusters and the edges worth drawing.</summary>
public sealed record ProximityMap(IReadOnlyList<MapNode> Nodes, IReadOnlyList<SimilarityEdge> Edges, double EdgeThreshold);

/// <summary>
/// Classical multidimensional scaling of the cosine distances: double-centre the squared distance
/// matrix and take its two leading eigenvectors (power iteration with deflation; the matrices are
/// small). Clusters are the connected groups of pairs at or above the cluster similarity.
/// </summary>
public static class ProximityLayout
{
    public static ProximityMap Build(IReadOnlyList<Hypothesis> hypotheses, double edgeThreshold, double clusterSimilarity = 0.6)
    {
        var graph = ProximityAgent.Graph(hypotheses);
        var ids = graph.Ids;
        var n = ids.Count;
        if (n == 0) return new ProximityMap([], [], edgeThreshold);
        if (n == 1) return new ProximityMap([new MapNode(ids[0], 0.5, 0.5, 0)], [], edgeThreshold);

        var d2 = new double[n, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                d2[i, j] = i == j ? 0 : Math.Pow(1 - (graph.Between(ids[i], ids[j]) ?? 0), 2);
        var b = DoubleCentre(d2, n);
        var (v1, l1) = Leading(b, n, seed: 1);
        Deflate(b, v1, l1, n);
        var (v2, l2) = Leading(b, n, seed: 2);
        var xs = v1.Select(v => v * Math.Sqrt(Math.Max(l1, 0))).ToArray();
        var ys = v2.Select(v => v * Math.Sqrt(Math.Max(l2, 0))).ToArray();

        var clusters = Clusters(ids, graph, clusterSimilarity);
        var nodes = Enumerable.Range(0, n)
            .Select(i => new MapNode(ids[i], Normalise(xs[i], xs), Normalise(ys[i], ys), clusters[i])).ToList();
        return new ProximityMap(nodes, graph.Above(edgeThreshold).ToList(), edgeThreshold);
    }

    private static double[,] DoubleCentre(double[,] d2, int n)
    {
        var rowMean = new double[n];
        double total = 0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++) rowMean[i] += d2[i, j];
            total += rowMean[i];
            rowMean[i] /= n;
        }
        total /= n * n;
        var b = new double[n, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                b[i, j] = -0.5 * (d2[i, j] - rowMean[i] - rowMean[j] + total);
        return b;
    }

    private static (double[] Vector, double Value) Leading(double[,] m, int n, int seed)
    {
        var random = new Random(seed);
        var v = Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
        double value = 0;
        for (var iteration = 0; iteration < 200; iteration++)
        {
            var next = new double[n];
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                    next[i] += m[i, j] * v[j];
            var norm = Math.Sqrt(next.Sum(x => x * x));
            if (norm < 1e-12) return (new double[n], 0);
            for (var i = 0; i < n; i++) next[i] /= norm;
            value = norm;
            v = next;
        }
        return (v, value);
    }

    private static void Deflate(double[,] m, double[] v, double value, int n)
    {
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                m[i, j] -= value * v[i] * v[j];
    }

    /// <summary>Maps coordinates into [0.05, 0.95] so the drawing needs no further scaling.</summary>
    private static double Normalise(double value, double[] all)
    {
        var (min, max) = (all.Min(), all.Max());
        return max - min < 1e-9 ? 0.5 : 0.05 + 0.9 * (value - min) / (max - min);
    }

    private static int[] Clusters(IReadOnlyList<string> ids, ProximityGraph graph, double similarity)
    {
        var parent = Enumerable.Range(0, ids.Count).ToArray();
        int Find(int x) => parent[x] == x ? x : parent[x] = Find(parent[x]);
        for (var i = 0; i < ids.Count; i++)
            for (var j = i + 1; j < ids.Count; j++)
                if (graph.Between(ids[i], ids[j]) >= similarity)
                    parent[Find(i)] = Find(j);
        var labels = new Dictionary<int, int>();
        return Enumerable.Range(0, ids.Count).Select(i => labels.TryGetValue(Find(i), out var l) ? l : labels[Find(i)] = labels.Count).ToArray();
    }
}
