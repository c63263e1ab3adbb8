using CoScientist.Core.Agents.Ranking;
using CoScientist.Core.Research;

namespace CoScientist.Tests.Benchmarks;

/// <summary>
/// How well the tournament finds the best hypotheses: a pure simulation (no LLM) with hidden true qualities and a
/// simulated judge. Five cycles of N = 6 new hypotheses plus three offspring near their parents' quality, the cycle's
/// budget as the app spends it (9 main verdicts, one of them the debate from the second cycle on, and 3 entry matches).
/// </summary>
public static class TournamentBenchmark
{
    private static int Runs = 300;
    private const int Cycles = 5, N = 6, Offspring = 3, MainBudget = 2 * N - Offspring, Parallel = 4;

    private sealed record Judge(string Name, Func<double, double, Random, bool> BetterWins);
    private enum Method { New, Today, Random, RoundRobin }

    /// <summary>Qualities, the judge's coin and random pairing each draw from their own stream, so every method meets the same hypotheses.</summary>
    private sealed class World(int seed)
    {
        public readonly List<string> Ids = [];
        public readonly Dictionary<string, double> Quality = [];
        public readonly Dictionary<string, int> Born = [];
        public readonly Dictionary<string, string> Parent = [];
        /// <summary>Whether the fit centres an offspring's prior on its parent, as the app does (the new tournament only).</summary>
        public bool UseParents;
        public readonly List<(string A, string B, string Winner, int Cycle)> Verdicts = [];
        public readonly Dictionary<string, double> Elo = []; // today's sequential Elo
        public Random Random { get; } = new(seed);
        public Random JudgeRandom { get; } = new(seed + 1_000_000);
        public Random PairRandom { get; } = new(seed + 2_000_000);

        public string Add(double quality, int cycle)
        {
            var id = $"H{Ids.Count + 1:D3}";
            Ids.Add(id);
            Quality[id] = quality;
            Born[id] = cycle;
            Elo[id] = EloRating.InitialRating;
            return id;
        }

        public int Played(string id) => Verdicts.Count(v => v.A == id || v.B == id);
        public int Met(string a, string b) => Verdicts.Count(v => (v.A == a && v.B == b) || (v.A == b && v.B == a));
        public IReadOnlyDictionary<string, FittedRating> Fit() => BradleyTerry.Fit(Ids, Verdicts.Select(v => new Comparison(v.Winner, v.A == v.Winner ? v.B : v.A)),
            parents: UseParents ? id => Parent.TryGetValue(id, out var p) ? [p] : [] : null);
    }

    /// <param name="quick">For tuning: the new tournament alone, judge right 80%, 100 runs (a few seconds).</param>
    public static Task RunAsync(bool quick = false)
    {
        if (quick) Runs = 100;
        Judge[] judges =
        [
            new("right 70%", (_, _, r) => r.NextDouble() < 0.7),
            new("right 80%", (_, _, r) => r.NextDouble() < 0.8),
            new("right 90%", (_, _, r) => r.NextDouble() < 0.9),
            // Qualities are standard normal; a gap of one standard deviation is judged right 82% of the time (78% on average over pairs).
            new("grows with gap", (better, worse, r) => r.NextDouble() < 1 / (1 + Math.Exp(-1.5 * (better - worse)))),
        ];
        Console.WriteLine($"Tournament: {Runs} runs, {Cycles} cycles of N = {N} (+{Offspring} offspring), {MainBudget + Offspring} verdicts a cycle " +
                          "(round robin: every pair once); values after cycles 1..5");
        foreach (var judge in quick ? judges[1..2] : judges)
        {
            Console.WriteLine($"  judge {judge.Name}");
            Console.WriteLine("    method       verdicts/cycle  Kendall tau                      top-3 overlap                    percentile of rated #1");
            foreach (var method in quick ? [Method.New] : Enum.GetValues<Method>())
            {
                var tau = new double[Cycles];
                var overlap = new double[Cycles];
                var percentile = new double[Cycles];
                var verdicts = 0;
                for (var run = 0; run < Runs; run++)
                {
                    var world = new World(1000 + run);
                    world.UseParents = method == Method.New;
                    for (var cycle = 1; cycle <= Cycles; cycle++)
                    {
                        PlayCycle(world, method, judge, cycle);
                        var rated = Rated(world, method);
                        tau[cycle - 1] += KendallTau(world, rated);
                        overlap[cycle - 1] += rated.Take(3).Intersect(world.Ids.OrderByDescending(id => world.Quality[id]).Take(3)).Count() / 3.0;
                        percentile[cycle - 1] += (double)world.Ids.Count(id => world.Quality[id] < world.Quality[rated[0]]) / (world.Ids.Count - 1);
                    }
                    verdicts += world.Verdicts.Count;
                }
                Console.WriteLine($"    {method,-12} {verdicts / (double)(Runs * Cycles),14:F1}  {Row(tau)}  {Row(overlap, percent: true)}  {Row(percentile, percent: true)}");
            }
        }
        return Task.CompletedTask;

        static string Row(double[] sums, bool percent = false) =>
            string.Join(" ", sums.Select(s => percent ? $"{100 * s / Runs,5:F0}%" : $"{s / Runs,6:F2}"));
    }

    private static void PlayCycle(World world, Method method, Judge judge, int cycle)
    {
        for (var i = 0; i < N; i++) world.Add(Gaussian(world.Random), cycle);
        Rank(world, method, judge, cycle, MainBudget, allowDebate: cycle > 1, isNew: id => world.Born[id] == cycle && world.Played(id) == 0);
        // Offspring near the quality of their parents, the three rated highest.
        var parents = Rated(world, method).Take(Offspring).ToList();
        var children = parents.Select(p =>
        {
            var child = world.Add(world.Quality[p] + 0.5 * Gaussian(world.Random), cycle);
            world.Parent[child] = p;
            return child;
        }).ToHashSet();
        Rank(world, method, judge, cycle, Offspring, allowDebate: false, isNew: id => children.Contains(id) && world.Played(id) == 0);
    }

    private static void Rank(World world, Method method, Judge judge, int cycle, int budget, bool allowDebate, Func<string, bool> isNew)
    {
        switch (method)
        {
            case Method.New:
                var remaining = budget;
                var width = Parallel;
                if (allowDebate && TournamentScheduler.Debate(Contenders(world, isNew)) is { } debate)
                {
                    Play(world, judge, debate.AId, debate.BId, cycle);
                    remaining--;
                    width = Parallel - 1; // the debate holds one slot while the rounds run
                }
                while (remaining > 0)
                {
                    var round = TournamentScheduler.NextRound(Contenders(world, isNew), width, remaining, world.Met,
                        (a, b) => world.Verdicts.Any(v => v.Cycle == cycle && ((v.A == a && v.B == b) || (v.A == b && v.B == a))));
                    if (round.Count == 0) break;
                    foreach (var m in round) Play(world, judge, m.AId, m.BId, cycle);
                    remaining -= round.Count;
                }
                break;
            case Method.Today:
                var legacy = world.Ids.Select(id => new LegacyContender(id, world.Elo[id], isNew(id), world.Played(id))).ToList();
                foreach (var m in LegacyMatchScheduler.Schedule(legacy, budget, (_, _) => null, world.Met, allowDebate))
                    Play(world, judge, m.AId, m.BId, cycle);
                break;
            case Method.Random:
                for (var k = 0; k < budget; k++)
                {
                    var a = world.Ids[world.PairRandom.Next(world.Ids.Count)];
                    var b = world.Ids.Where(x => x != a).ElementAt(world.PairRandom.Next(world.Ids.Count - 1));
                    Play(world, judge, a, b, cycle);
                }
                break;
            case Method.RoundRobin:
                foreach (var a in world.Ids.ToList())
                foreach (var b in world.Ids.ToList())
                    if (string.CompareOrdinal(a, b) < 0 && world.Met(a, b) == 0)
                        Play(world, judge, a, b, cycle);
                break;
        }
    }

    private static List<Contender> Contenders(World world, Func<string, bool> isNew)
    {
        var fit = world.Fit();
        return world.Ids.Select(id => new Contender(id, fit[id].Elo, fit[id].Margin, isNew(id), world.Played(id))).ToList();
    }

    private static void Play(World world, Judge judge, string a, string b, int cycle)
    {
        var (better, worse) = world.Quality[a] >= world.Quality[b] ? (a, b) : (b, a);
        var winner = judge.BetterWins(world.Quality[better], world.Quality[worse], world.JudgeRandom) ? better : worse;
        world.Verdicts.Add((a, b, winner, cycle));
        var loser = winner == a ? b : a;
        (world.Elo[winner], world.Elo[loser]) = EloRating.Update(world.Elo[winner], world.Elo[loser], 32);
    }

    /// <summary>The order the method shows: today's by sequential Elo, the others by the fitted ratings.</summary>
    private static List<string> Rated(World world, Method method)
    {
        if (method == Method.Today)
            return world.Ids.OrderByDescending(id => world.Elo[id]).ThenBy(id => world.Born[id]).ThenBy(id => id, StringComparer.Ordinal).ToList();
        var fit = world.Fit();
        return world.Ids.OrderByDescending(id => fit[id].Elo).ThenBy(id => world.Born[id]).ThenBy(id => id, StringComparer.Ordinal).ToList();
    }

    private static double KendallTau(World world, List<string> rated)
    {
        double concordant = 0, discordant = 0;
        for (var i = 0; i < rated.Count; i++)
        for (var j = i + 1; j < rated.Count; j++)
        {
            if (world.Quality[rated[i]] > world.Quality[rated[j]]) concordant++;
            else discordant++;
        }
        return (concordant - discordant) / (concordant + discordant);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
