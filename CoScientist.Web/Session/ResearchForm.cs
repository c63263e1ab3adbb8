using CoScientist.Core.Configuration;

namespace CoScientist.Web.Session;

/// <summary>What the user edits before a run; <see cref="ResearchSession.SettingsFor"/> turns it into clamped settings.</summary>
public sealed class ResearchForm
{
    public string Goal { get; set; } = "";
    public string Model { get; set; } = "";
    public int Hypotheses { get; set; }
    public double GenerationTemperature { get; set; }
    public double ReflectionTemperature { get; set; }
    public double EloK { get; set; }
    public int TopK { get; set; }
    /// <summary>How much one of the owner's votes counts in the rating, against one LLM verdict (0: not at all).</summary>
    public double VoteWeight { get; set; }

    /// <summary>The settings asked for, before the server clamps them.</summary>
    public CoScientist.Core.Research.ResearchSettings ToSettings(ResearchOptions defaults, string model) => defaults.ToSettings(model) with
    {
        HypothesesPerCycle = Hypotheses,
        GenerationTemperature = GenerationTemperature,
        ReflectionTemperature = ReflectionTemperature,
        EloKFactor = EloK,
        TopK = TopK,
        VoteWeight = VoteWeight,
    };

    public static ResearchForm From(ResearchOptions options) => new()
    {
        Model = options.LlmModel,
        Hypotheses = options.NumHypotheses,
        GenerationTemperature = options.StepTemperatures.Generation,
        ReflectionTemperature = options.StepTemperatures.Reflection,
        EloK = options.EloKFactor,
        TopK = options.TopKHypotheses,
    };
}
