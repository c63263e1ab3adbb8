namespace CoScientist.Core.Research;

/// <summary>The knobs of one cycle, as the user chose them (and the server clamped them).</summary>
public sealed record ResearchSettings
{
    public required string Model { get; init; }
    public int HypothesesPerCycle { get; init; } = 3;
    public double GenerationTemperature { get; init; } = 0.7;
    public double ReflectionTemperature { get; init; } = 0.5;
    public double RankingTemperature { get; init; } = 0.3;
    public double EvolutionTemperature { get; init; } = 0.8;
    /// <summary>Legacy (sequential Elo's K): ratings are fitted over all matches now; kept so old settings and configs load.</summary>
    public double EloKFactor { get; init; } = 32;
    public int TopK { get; init; } = 3;
    public int MaxParallelCalls { get; init; } = 4;
    /// <summary>Matches per cycle = factor × hypotheses per cycle (the default 2×N).</summary>
    public double MatchBudgetFactor { get; init; } = 2;
    public int DebateTurns { get; init; } = 2;
    public int EvolutionsPerCycle { get; init; } = 3;
    public double NearDuplicateThreshold { get; init; } = 0.9;
    public int MaxOutputTokens { get; init; } = 2048;
    /// <summary>The whole cycle's time limit: at it the cycle stops like a cancel and keeps what finished.</summary>
    public TimeSpan CycleDeadline { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>
    /// Papers a cycle's Literature step keeps for the research (literature:max_papers); 0: no Literature step. The
    /// server sets it (<see cref="Cost.CycleAdmission.Clamp"/>) from config.yaml, whatever the browser sent.
    /// </summary>
    public int LiteraturePapers { get; init; }
    /// <summary>How much one of the owner's votes counts in the ratings, against one LLM verdict (0: votes do not count).</summary>
    public double VoteWeight { get; init; }
}
