namespace CoScientist.Core.Research;

/// <summary>What the research's owner may write into it, and the limits the form and the server both apply.</summary>
public static class ScientistInput
{
    public const int MaxTitle = 200;
    public const int MaxText = 2000;
    public const int MaxDirective = 1000;

    /// <summary>What is wrong with a hypothesis the owner wrote, one message per field; empty when it may be added.</summary>
    public static IReadOnlyList<string> Problems(HypothesisDraft draft)
    {
        var problems = new List<string>();
        void Check(string name, string? value, int max)
        {
            if (string.IsNullOrWhiteSpace(value)) problems.Add($"The {name} is required.");
            else if (value.Trim().Length > max) problems.Add($"The {name} is {value.Trim().Length} characters long; at most {max} are allowed.");
        }
        Check("title", draft.Title, MaxTitle);
        Check("statement", draft.Statement, MaxText);
        Check("rationale", draft.Rationale, MaxText);
        Check("prediction", draft.Prediction, MaxText);
        return problems;
    }

    public static HypothesisDraft Trimmed(HypothesisDraft draft) =>
        new(draft.Title.Trim(), draft.Statement.Trim(), draft.Rationale.Trim(), draft.Prediction.Trim());
}
