using CoScientist.Core.Configuration;
using CoScientist.Core.Research;

namespace CoScientist.Web.Components.Pages.Research;

/// <summary>What the user edits before a run; turned into <see cref="ResearchSettings"/> on the server.</summary>
public sealed class ResearchForm
{
    public string Goal { get; set; } = "";
    public string Model { get; set; } = "";
    public int Hypotheses { get; set; }
    public double GenerationTemperature { get; set; }
    public double ReflectionTemperature { get; set; }
    public double EloK { get; set; }
    public int TopK { get; set; }

    public static ResearchForm From(ResearchOptions options) => new()
    {
        Model = options.LlmModel,
        Hypotheses = options.NumHypotheses,
        GenerationTemperature = options.StepTemperatures.Generation,
        ReflectionTemperature = options.StepTemperatures.Reflection,
        EloK = options.EloKFactor,
        TopK = options.TopKHypotheses,
    };

    /// <summary>Server-side clamp: whatever the browser sent, the values stay in their documented ranges.</summary>
    public ResearchSettings ToSettings(ResearchOptions defaults) => defaults.ToSettings(Model) with
    {
        HypothesesPerCycle = Math.Clamp(Hypotheses, 1, 20),
        GenerationTemperature = Math.Clamp(GenerationTemperature, 0, 2),
        ReflectionTemperature = Math.Clamp(ReflectionTemperature, 0, 2),
        EloKFactor = Math.Clamp(EloK, 1, 200),
        TopK = Math.Clamp(TopK, 1, 10),
    };
}
