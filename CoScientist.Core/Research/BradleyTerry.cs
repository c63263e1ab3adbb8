namespace CoScientist.Core.Research;

/// <summary>One verdict for the rating: the winner beat the loser, counted <paramref name="Weight"/> times.</summary>
public sealed record Comparison(string WinnerId, string LoserId, double Weight = 1)
{
    /// <summary>The research's evidence: every LLM verdict once, every vote of the owner <paramref name="voteWeight"/> times.</summary>
    public static IEnumerable<Comparison> From(IEnumerable<Match> matches, IEnumerable<Vote> votes, double voteWeight) =>
        matches.Select(m => new Comparison(m.WinnerId, m.LoserId))
            .Concat(voteWeight > 0 ? votes.Select(v => new Comparison(v.WinnerId, v.LoserId, voteWeight)) : []);
}

/// <summary>A fitted rating on the Elo scale and half the width of its 95% interval; Comparisons is the weight it rests on.</summary>
public sealed record FittedRating(double Elo, double Margin, double Comparisons)
{
    /// <summary>The standard deviation of the rating, in Elo points.</summary>
    public double Sd => Margin / BradleyTerry.Z95;
    public double Lower => Elo - Margin;
    public double Upper => Elo + Margin;
}

/// <summary>
/// Bradley-Terry ratings fitted over every comparison at once (maximum a posteriori with a weak Gaussian prior centred at
/// 1200), instead of sequential Elo, which forgets the order-independent evidence of earlier matches and has no notion
/// of how sure it is. The prior keeps every case well-defined: an undefeated hypothesis does not run off to infinity, a
/// hypothesis with no matches sits at 1200 with the prior's width, and disconnected groups are each centred near 1200.
/// Shown on the Elo scale (400 points per factor of 10 in odds); the interval is the Laplace approximation's.
/// </summary>
public static class BradleyTerry
{
    /// <summary>The prior's standard deviation in Elo points: wide enough that two or three verdicts move a rating far.</summary>
    public const double DefaultPriorSd = 200;
    public const double Z95 = 1.959964;
    /// <summary>Elo points per natural-log unit of odds.</summary>
    private static readonly double Scale = 400 / Math.Log(10);

    /// <summary>
    /// How far an offspring's prior lets it stand from its parents' mean, in Elo points: evolution keeps most of what its
    /// parents had, so an untried offspring starts near them rather than at 1200 with the newcomers.
    /// </summary>
    public const double DefaultOffspringSd = 100;

    /// <param name="parents">
    /// An offspring's parents: its prior is centred on their mean rating (with <paramref name="offspringSd"/>) instead of
    /// 1200. Parents not among <paramref name="ids"/> are ignored; with none left the offspring has the ordinary prior.
    /// </param>
    public static IReadOnlyDictionary<string, FittedRating> Fit(IReadOnlyList<string> ids, IEnumerable<Comparison> comparisons,
        double priorSd = DefaultPriorSd, Func<string, IReadOnlyList<string>>? parents = null, double offspringSd = DefaultOffspringSd)
    {
        var n = ids.Count;
        var index = new Dictionary<string, int>(n);
        for (var i = 0; i < n; i++) index[ids[i]] = i;
        // Aggregated by ordered pair: the fit then costs the same however many times a pair met.
        var pairs = new Dictionary<(int W, int L), double>();
        var seen = new double[n];
        foreach (var c in comparisons)
        {
            if (c.Weight <= 0 || c.WinnerId == c.LoserId) continue;
            if (!index.TryGetValue(c.WinnerId, out var w) || !index.TryGetValue(c.LoserId, out var l)) continue;
            pairs[(w, l)] = pairs.GetValueOrDefault((w, l)) + c.Weight;
            seen[w] += c.Weight;
            seen[l] += c.Weight;
        }
        var edges = pairs.Select(p => (p.Key.W, p.Key.L, Weight: p.Value)).ToArray();
        var prior = Priors(ids, index, parents, Math.Pow(Scale / priorSd, 2), Math.Pow(Scale / offspringSd, 2));

        var theta = new double[n];
        for (var iteration = 0; iteration < 100; iteration++)
        {
            var (gradient, hessian) = Derivatives(theta, edges, prior);
            var step = Cholesky.Solve(hessian, gradient);
            for (var i = 0; i < n; i++) step[i] = -step[i];
            // Damped Newton: the objective is strictly convex, so halving until it decreases always ends.
            var f0 = Objective(theta, edges, prior);
            var slope = gradient.Zip(step, (g, s) => g * s).Sum();
            var t = 1.0;
            double[] next;
            while (true)
            {
                next = theta.Zip(step, (x, s) => x + t * s).ToArray();
                if (Objective(next, edges, prior) <= f0 + 1e-4 * t * slope || t < 1e-10) break;
                t /= 2;
            }
            var moved = step.Select(s => Math.Abs(t * s)).DefaultIfEmpty(0).Max();
            theta = next;
            if (moved < 1e-10) break;
        }

        var covariance = CentredVariances(Cholesky.Inverse(Derivatives(theta, edges, prior).Hessian));
        var result = new Dictionary<string, FittedRating>(n);
        for (var i = 0; i < n; i++)
            result[ids[i]] = new FittedRating(EloRating.InitialRating + Scale * theta[i], Z95 * Scale * Math.Sqrt(covariance[i]), seen[i]);
        return result;
    }

    /// <summary>
    /// Variances of each rating relative to the research's average (which the fit keeps at 1200): verdicts say nothing
    /// about the common level, only the prior does, and its uncertainty would otherwise keep every interval wide however
    /// many matches were played.
    /// </summary>
    private static double[] CentredVariances(double[,] c)
    {
        var n = c.GetLength(0);
        var rowMeans = new double[n];
        var all = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++) rowMeans[i] += c[i, j];
            rowMeans[i] /= n;
            all += rowMeans[i];
        }
        all /= n;
        return Enumerable.Range(0, n).Select(i => Math.Max(0, c[i, i] - 2 * rowMeans[i] + all)).ToArray();
    }

    /// <summary>The chance that a hypothesis rated <paramref name="a"/> beats one rated <paramref name="b"/>.</summary>
    public static double WinProbability(double a, double b) => EloRating.ExpectedScore(a, b);

    /// <summary>
    /// The prior as a sum of Gaussian terms, each on a linear combination of ratings: θi for an original hypothesis,
    /// θi − mean(θ parents) for an offspring. Parents are always older than their offspring, so the terms chain back to
    /// ordinary priors and together stay positive definite.
    /// </summary>
    private static PriorTerm[] Priors(IReadOnlyList<string> ids, Dictionary<string, int> index, Func<string, IReadOnlyList<string>>? parents,
        double precision, double offspringPrecision)
    {
        var terms = new PriorTerm[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            var known = (parents?.Invoke(ids[i]) ?? []).Select(p => index.GetValueOrDefault(p, -1)).Where(p => p >= 0 && p != i).Distinct().ToArray();
            terms[i] = known.Length == 0
                ? new PriorTerm([i], [1], precision)
                : new PriorTerm([i, .. known], [1, .. known.Select(_ => -1.0 / known.Length)], offspringPrecision);
        }
        return terms;
    }

    private sealed record PriorTerm(int[] Indices, double[] Coefficients, double Precision)
    {
        public double Value(double[] theta)
        {
            var v = 0.0;
            for (var k = 0; k < Indices.Length; k++) v += Coefficients[k] * theta[Indices[k]];
            return v;
        }
    }

    private static double Objective(double[] theta, (int W, int L, double Weight)[] edges, PriorTerm[] prior)
    {
        var f = 0.0;
        foreach (var t in prior) f += 0.5 * t.Precision * Math.Pow(t.Value(theta), 2);
        foreach (var (w, l, weight) in edges) f += weight * Softplus(theta[l] - theta[w]); // −log σ(θw − θl)
        return f;
    }

    private static (double[] Gradient, double[,] Hessian) Derivatives(double[] theta, (int W, int L, double Weight)[] edges, PriorTerm[] prior)
    {
        var n = theta.Length;
        var g = new double[n];
        var h = new double[n, n];
        foreach (var t in prior)
        {
            var v = t.Value(theta);
            for (var a = 0; a < t.Indices.Length; a++)
            {
                g[t.Indices[a]] += t.Precision * t.Coefficients[a] * v;
                for (var b = 0; b < t.Indices.Length; b++)
                    h[t.Indices[a], t.Indices[b]] += t.Precision * t.Coefficients[a] * t.Coefficients[b];
            }
        }
        foreach (var (w, l, weight) in edges)
        {
            var p = 1 / (1 + Math.Exp(theta[l] - theta[w])); // P(w beats l)
            g[w] -= weight * (1 - p);
            g[l] += weight * (1 - p);
            var curvature = weight * p * (1 - p);
            h[w, w] += curvature;
            h[l, l] += curvature;
            h[w, l] -= curvature;
            h[l, w] -= curvature;
        }
        return (g, h);
    }

    private static double Softplus(double x) => x > 30 ? x : Math.Log(1 + Math.Exp(x));

    /// <summary>The Hessian is symmetric positive definite (the prior sees to it), so Cholesky suffices.</summary>
    private static class Cholesky
    {
        private static double[,] Factor(double[,] a)
        {
            var n = a.GetLength(0);
            var l = new double[n, n];
            for (var j = 0; j < n; j++)
            {
                var d = a[j, j];
                for (var k = 0; k < j; k++) d -= l[j, k] * l[j, k];
                l[j, j] = Math.Sqrt(d);
                for (var i = j + 1; i < n; i++)
                {
                    var s = a[i, j];
                    for (var k = 0; k < j; k++) s -= l[i, k] * l[j, k];
                    l[i, j] = s / l[j, j];
                }
            }
            return l;
        }

        public static double[] Solve(double[,] a, double[] b)
        {
            var l = Factor(a);
            return Back(l, Forward(l, b));
        }

        public static double[,] Inverse(double[,] a)
        {
            var l = Factor(a);
            var n = a.GetLength(0);
            var inverse = new double[n, n];
            var unit = new double[n];
            for (var i = 0; i < n; i++)
            {
                Array.Clear(unit);
                unit[i] = 1;
                var column = Back(l, Forward(l, unit));
                for (var j = 0; j < n; j++) inverse[j, i] = column[j];
            }
            return inverse;
        }

        private static double[] Forward(double[,] l, double[] b)
        {
            var n = b.Length;
            var y = new double[n];
            for (var i = 0; i < n; i++)
            {
                var s = b[i];
                for (var k = 0; k < i; k++) s -= l[i, k] * y[k];
                y[i] = s / l[i, i];
            }
            return y;
        }

        private static double[] Back(double[,] l, double[] y)
        {
            var n = y.Length;
            var x = new double[n];
            for (var i = n - 1; i >= 0; i--)
            {
                var s = y[i];
                for (var k = i + 1; k < n; k++) s -= l[k, i] * x[k];
                x[i] = s / l[i, i];
            }
            return x;
        }
    }
}
