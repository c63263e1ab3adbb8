using CoScientist.Core.Llm;
using CoScientist.Core.Research;

namespace CoScientist.Core.Agents;

/// <summary>What every agent call of one cycle shares: the goal, the settings, who pays, the latest feedback.</summary>
public sealed record AgentContext(string Goal, ResearchSettings Settings, LlmCallContext Call, Research.MetaReview? Feedback)
{
    /// <summary>The step the Supervisor is in, when it differs from the agent's own (offspring are reviewed within Evolution).</summary>
    public CycleStep? Step { get; init; }

    /// <summary>The retrieved papers this call is grounded in, listed in its prompt by number (none: the prompt is as without literature).</summary>
    public IReadOnlyList<ResearchPaper> Papers { get; init; } = [];

    public string PapersSection => PromptPapers.Section(Papers);

    public LlmRequest Request(CycleStep step, string system, string user, double temperature, JsonSchemaSpec schema) => new()
    {
        Model = Settings.Model,
        SystemPrompt = system,
        UserPrompt = user,
        Temperature = temperature,
        MaxOutputTokens = Settings.MaxOutputTokens,
        Schema = schema,
        Step = Step ?? step,
        Context = Call,
    };

    /// <summary>The owner's directive for this cycle ("focus on low-cost experiments"), for generation, evolution and the judge.</summary>
    public string? Directive { get; init; }

    public string DirectiveSection => string.IsNullOrWhiteSpace(Directive)
        ? ""
        : $"\n\nDirective from the scientist who owns this research, for this cycle (follow it):\n{Directive}";

    public string FeedbackSection => Feedback is null
        ? ""
        : $"\n\nFeedback from the previous cycle's meta-review (address it):\n{Feedback.AsFeedback()}";
}
