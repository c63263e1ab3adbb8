namespace CoScientist.Core.Models;

/// <summary>Price bands, plus <see cref="Local"/>: a model on the operator's own server, which no price describes.</summary>
public enum ModelTier { Free, Budget, Standard, Premium, Unpriced, Local }

public static class ModelTiers
{
    /// <summary>Upper bounds of the blended price (USD per million tokens, 3:1 input:output) per tier.</summary>
    public const decimal BudgetCeiling = 0.5m;
    public const decimal StandardCeiling = 5m;

    public static ModelTier Of(ModelInfo model) => model switch
    {
        { IsLocal: true } => ModelTier.Local,
        { IsPriceKnown: false } => ModelTier.Unpriced,
        { IsFree: true } => ModelTier.Free,
        { BlendedPricePerMillion: <= BudgetCeiling } => ModelTier.Budget,
        { BlendedPricePerMillion: <= StandardCeiling } => ModelTier.Standard,
        _ => ModelTier.Premium,
    };

    /// <summary>The tier in words, as the page shows it.</summary>
    public static string Label(ModelTier tier) => tier switch
    {
        ModelTier.Local => "local, not metered",
        ModelTier.Unpriced => "price unknown",
        _ => tier.ToString(),
    };
}
