using System.ComponentModel.DataAnnotations;
using CoScientist.Core.Research;
using Microsoft.Extensions.Configuration;

namespace CoScientist.Core.Configuration;

public sealed class StepTemperatures
{
    [Range(0.0, 2.0)] public double Generation { get; set; } = 0.7;
    [Range(0.0, 2.0)] public double Reflection { get; set; } = 0.5;
    [Range(0.0, 2.0)] public double Ranking { get; set; } = 0.3;
    [Range(0.0, 2.0)] public double Evolution { get; set; } = 0.8;
}

/// <summary>Research defaults from config.yaml's top level (names as in the Python original's config).</summary>
public sealed class ResearchOptions : IValidatableObject
{
    [ConfigurationKeyName("llm_model"), Display(Name = "llm_model"), Required(AllowEmptyStrings = false)]
    public string LlmModel { get; set; } = "google/gemini-2.5-flash";

    [ConfigurationKeyName("num_hypotheses"), Display(Name = "num_hypotheses"), Range(1, 20)]
    public int NumHypotheses { get; set; } = 3;

    [ConfigurationKeyName("elo_k_factor"), Display(Name = "elo_k_factor"), Range(1, 200)]
    public double EloKFactor { get; set; } = 32;

    [ConfigurationKeyName("top_k_hypotheses"), Display(Name = "top_k_hypotheses"), Range(1, 10)]
    public int TopKHypotheses { get; set; } = 3;

    [ConfigurationKeyName("step_temperatures"), Display(Name = "step_temperatures")]
    public StepTemperatures StepTemperatures { get; set; } = new();

    [ConfigurationKeyName("max_parallel_calls"), Display(Name = "max_parallel_calls"), Range(1, 32)]
    public int MaxParallelCalls { get; set; } = 4;

    [ConfigurationKeyName("match_budget_factor"), Display(Name = "match_budget_factor"), Range(0.5, 10)]
    public double MatchBudgetFactor { get; set; } = 2;

    [ConfigurationKeyName("debate_turns"), Display(Name = "debate_turns"), Range(0, 4)]
    public int DebateTurns { get; set; } = 2;

    [ConfigurationKeyName("evolutions_per_cycle"), Display(Name = "evolutions_per_cycle"), Range(0, 8)]
    public int EvolutionsPerCycle { get; set; } = 3;

    [ConfigurationKeyName("near_duplicate_threshold"), Display(Name = "near_duplicate_threshold"), Range(0.5, 1.0)]
    public double NearDuplicateThreshold { get; set; } = 0.9;

    [ConfigurationKeyName("max_output_tokens"), Display(Name = "max_output_tokens"), Range(256, 32_768)]
    public int MaxOutputTokens { get; set; } = 2048;

    /// <summary>
    /// A cycle running longer than this stops like a cancel, keeps what finished and frees its slot:
    /// a stalled provider must not hold one of the server's cycle slots indefinitely.
    /// </summary>
    [ConfigurationKeyName("cycle_deadline_minutes"), Display(Name = "cycle_deadline_minutes"), Range(0.05, 120)]
    public double CycleDeadlineMinutes { get; set; } = 10;

    [ConfigurationKeyName("example_goals"), Display(Name = "example_goals")]
    public List<string> ExampleGoals { get; set; } = [];

    public ResearchSettings ToSettings(string? model = null) => new()
    {
        Model = string.IsNullOrWhiteSpace(model) ? LlmModel : model,
        HypothesesPerCycle = NumHypotheses,
        GenerationTemperature = StepTemperatures.Generation,
        ReflectionTemperature = StepTemperatures.Reflection,
        RankingTemperature = StepTemperatures.Ranking,
        EvolutionTemperature = StepTemperatures.Evolution,
        EloKFactor = EloKFactor,
        TopK = TopKHypotheses,
        MaxParallelCalls = MaxParallelCalls,
        MatchBudgetFactor = MatchBudgetFactor,
        DebateTurns = DebateTurns,
        EvolutionsPerCycle = EvolutionsPerCycle,
        NearDuplicateThreshold = NearDuplicateThreshold,
        MaxOutputTokens = MaxOutputTokens,
        CycleDeadline = TimeSpan.FromMinutes(CycleDeadlineMinutes),
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(StepTemperatures, new ValidationContext(StepTemperatures), results, validateAllProperties: true);
        return results.Select(r => new ValidationResult("step_temperatures: " + r.ErrorMessage, r.MemberNames));
    }
}
