namespace CoScientist.Core.Models;

public enum ModelTier { Free, Budget, Standard, Premium, Unpriced }

public static class ModelTiers
{
    /// <summary>Upper bounds of the blended price (USD per million tokens, 3:1 input:output) per tier.</summary>
    public const decimal BudgetCeiling = 0.5m;
    public const decimal StandardCeiling = 5m;

    public static ModelTier Of(ModelInfo model) => model switch
    {
        { IsPriceKnown: false } => ModelTier.Unpriced,
        { IsFree: true } => ModelTier.Free,
        { BlendedPricePerMillion: <= BudgetCeiling } => ModelTier.Budget,
        { BlendedPricePerMillion: <= StandardCeiling } => ModelTier.Standard,
        _ => ModelTier.Premium,
    };
}
