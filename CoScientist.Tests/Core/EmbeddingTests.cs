using CoScientist.Core.Agents.Proximity;
using CoScientist.Core.Embeddings;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;

namespace CoScientist.Tests.Core;

public class EmbeddingTests
{
    private static readonly IEmbeddingModel Model = CoreHarness.SharedEmbeddings;

    [Fact]
    public async Task Paraphrases_AreMoreSimilarThanUnrelatedSentences()
    {
        var a = await Model.EmbedAsync("Gut bacteria influence the progression of Parkinson's disease.");
        var paraphrase = await Model.EmbedAsync("The intestinal microbiome affects how Parkinson's disease advances.");
        var unrelated = await Model.EmbedAsync("Perovskite solar cells degrade quickly under humid conditions.");

        var close = Similarity.Cosine(a, paraphrase);
        var far = Similarity.Cosine(a, unrelated);

        Assert.True(close > far + 0.3, $"paraphrase {close:F3}, unrelated {far:F3}");
        Assert.Equal(384, a.Length);
        Assert.Equal(1.0, Math.Sqrt(a.Sum(x => (double)x * x)), 3);
    }

    /// <summary>
    /// The mean of the model's token vectors, normalised: values recorded from the model as it read its output through
    /// the tensor's indexer, before it read the flat buffer instead. A short sentence and one long enough to be cut at 256 tokens.
    /// </summary>
    [Theory]
    [InlineData(1, new[] { -0.008593427f, -0.07645075f, -0.040984318f, -0.12299925f, 0.01598394f })]
    [InlineData(30, new[] { 0.023451144f, -0.051443733f, -0.015049417f, 0.028805455f, -0.02259128f })]
    public async Task AnEmbedding_IsTheModelsTokenVectorsPooled_AsRecorded(int repeats, float[] expected)
    {
        var text = repeats == 1
            ? "Gut bacteria influence the progression of Parkinson's disease."
            : string.Join(' ', Enumerable.Repeat("A ceramic interlayer homogenises lithium-ion flux and suppresses dendrites;", repeats));

        var vector = await Model.EmbedAsync(text);

        Assert.Equal(expected, new[] { 0, 1, 2, 100, 383 }.Select(i => vector[i]).ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public async Task ACycleCancelledWhileItWaitsForTheModel_StopsWaitingAtOnce_AndTheOthersAreServed()
    {
        // Ten long hypotheses ahead of it keep the model busy for about a second.
        var ahead = Enumerable.Range(0, 10)
            .Select(i => Model.EmbedAsync(string.Join(' ', Enumerable.Repeat($"Hypothesis {i}: a ceramic interlayer homogenises lithium-ion flux and suppresses dendrites;", 12))))
            .ToList();
        using var cancel = new CancellationTokenSource();
        var waiting = Model.EmbedAsync("A cycle cancelled while it waited its turn.", cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Contains(ahead, t => !t.IsCompleted); // it did not wait for the queue ahead of it
        Assert.All(await Task.WhenAll(ahead), v => Assert.Equal(384, v.Length));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Model.EmbedAsync("Asked for after the cycle was cancelled.", cancel.Token));
    }

    [Fact]
    public async Task TheModelWorksOnAThreadThatYieldsTheCoreToThoseServingVisitors()
    {
        if (!OperatingSystem.IsLinux()) return; // the kernel's account below is Linux's, where the app runs (Docker, Spaces)
        await Model.EmbedAsync("Any hypothesis, so the model's thread has started.");

        // The kernel's account of each thread of this process: its name, and its nice value (the 19th field of stat).
        var threads = new List<(string Name, string Stat)>();
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                threads.Add((File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'), File.ReadAllText(Path.Combine(task, "stat"))));
            }
            catch (IOException)
            {
                // a pool thread that ended meanwhile
            }
        }
        static int Nice(string stat) => int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture);
        var models = threads.Where(t => t.Name == "Embedding model").ToList(); // one per model loaded in this test run
        Assert.NotEmpty(models);
        Assert.All(models, m => Assert.Equal(10, Nice(m.Stat)));
        var pool = threads.Where(t => t.Name.StartsWith(".NET TP Worker", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(pool);
        Assert.All(pool, t => Assert.Equal(0, Nice(t.Stat)));
    }

    [Fact]
    public async Task NearDuplicates_AreFlaggedAndKeptOutOfEvolution()
    {
        var state = new ResearchState("goal");
        state.StartCycle();
        var original = state.Add(new HypothesisDraft("Gut bacteria drive Parkinson's", "Gut bacteria influence the progression of Parkinson's disease.", "", ""));
        var copy = state.Add(new HypothesisDraft("Gut bacteria drive Parkinson's disease", "Gut bacteria influence the progression of Parkinson's disease.", "", ""));
        var other = state.Add(new HypothesisDraft("Humidity degrades perovskites", "Perovskite solar cells degrade quickly under humid conditions.", "", ""));

        var (embedded, flagged) = await new ProximityAgent(Model).UpdateAsync(state, 0.9, CancellationToken.None);

        Assert.Equal((3, 1), (embedded, flagged));
        Assert.Equal(original.Id, state.Get(copy.Id).DuplicateOfId);
        Assert.False(state.Get(other.Id).IsNearDuplicate);
        var plans = CoScientist.Core.Agents.Evolution.EvolutionAgent.Plan(state.Snapshot().Ranked, 3, 3, 1);
        Assert.DoesNotContain(plans.SelectMany(p => p.Parents), p => p.Id == copy.Id);
    }

    [Fact]
    public async Task EachHypothesis_IsEmbeddedOnce()
    {
        var state = new ResearchState("goal");
        state.StartCycle();
        state.Add(new HypothesisDraft("A", "Alpha statement", "", ""));
        var agent = new ProximityAgent(Model);

        var first = await agent.UpdateAsync(state, 0.9, CancellationToken.None);
        var second = await agent.UpdateAsync(state, 0.9, CancellationToken.None);

        Assert.Equal(1, first.Embedded);
        Assert.Equal(0, second.Embedded);
    }
}
