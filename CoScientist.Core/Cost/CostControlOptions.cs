using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CoScientist.Core.Cost;

/// <summary>The deployment guide's "deployment" section.</summary>
public sealed class DeploymentOptions
{
    public const string Section = "deployment";

    /// <summary>"production", "development" or "auto" (detect from DEPLOYMENT_ENV, ASPNETCORE_ENVIRONMENT, SPACE_ID).</summary>
    [ConfigurationKeyName("environment"), Display(Name = "deployment:environment"), RegularExpression("^(?i)(auto|production|development)$")]
    public string Environment { get; set; } = "auto";

    [ConfigurationKeyName("max_cycles_per_session"), Display(Name = "deployment:max_cycles_per_session"), Range(1, 1000)]
    public int MaxCyclesPerSession { get; set; } = 5;

    /// <summary>Applied in production only; development allows up to 20.</summary>
    [ConfigurationKeyName("max_hypotheses_per_cycle"), Display(Name = "deployment:max_hypotheses_per_cycle"), Range(1, 20)]
    public int MaxHypothesesPerCycle { get; set; } = 3;

    [ConfigurationKeyName("session_timeout_minutes"), Display(Name = "deployment:session_timeout_minutes"), Range(1, 24 * 60)]
    public int SessionTimeoutMinutes { get; set; } = 30;

    [ConfigurationKeyName("max_goal_length"), Display(Name = "deployment:max_goal_length"), Range(50, 20_000)]
    public int MaxGoalLength { get; set; } = 2000;
}

/// <summary>The deployment guide's "cost_control" section: what the operator's key may be spent on.</summary>
public sealed class CostControlOptions : IValidatableObject
{
    public const string Section = "cost_control";

    [ConfigurationKeyName("allowed_models_production"), Display(Name = "cost_control:allowed_models_production")]
    public List<string> AllowedModelsProduction { get; set; } = [];

    [ConfigurationKeyName("allow_free_models"), Display(Name = "cost_control:allow_free_models")]
    public bool AllowFreeModels { get; set; } = true;

    /// <summary>
    /// Production only: also offer allow-listed models that no price describes (those of a local server, "local, not
    /// metered"). Off by default: the spending cap cannot protect what it cannot price.
    /// </summary>
    [ConfigurationKeyName("allow_unpriced_models"), Display(Name = "cost_control:allow_unpriced_models")]
    public bool AllowUnpricedModels { get; set; }

    /// <summary>Optional ceiling on a model's blended price (3:1 input:output), USD per million tokens.</summary>
    [ConfigurationKeyName("max_price_per_million_tokens"), Display(Name = "cost_control:max_price_per_million_tokens"), Range(0.0, 10_000.0)]
    public double? MaxPricePerMillionTokens { get; set; }

    [ConfigurationKeyName("daily_spending_limit_usd"), Display(Name = "cost_control:daily_spending_limit_usd"), Range(0.0, 1_000_000.0)]
    public double DailySpendingLimitUsd { get; set; } = 50;

    [ConfigurationKeyName("monthly_spending_limit_usd"), Display(Name = "cost_control:monthly_spending_limit_usd"), Range(0.0, 10_000_000.0)]
    public double MonthlySpendingLimitUsd { get; set; } = 500;

    /// <summary>LLM-backed requests (cycle runs, whatever their outcome) one session may make.</summary>
    [ConfigurationKeyName("per_session_limit_requests"), Display(Name = "cost_control:per_session_limit_requests"), Range(1, 10_000)]
    public int PerSessionLimitRequests { get; set; } = 10;

    [ConfigurationKeyName("max_cycles_per_client_per_hour"), Display(Name = "cost_control:max_cycles_per_client_per_hour"), Range(1, 10_000)]
    public int MaxCyclesPerClientPerHour { get; set; } = 10;

    [ConfigurationKeyName("max_concurrent_cycles"), Display(Name = "cost_control:max_concurrent_cycles"), Range(1, 1000)]
    public int MaxConcurrentCycles { get; set; } = 8;

    [ConfigurationKeyName("default_model"), Display(Name = "cost_control:default_model")]
    public string? DefaultModel { get; set; }

    [ConfigurationKeyName("lock_model"), Display(Name = "cost_control:lock_model")]
    public bool LockModel { get; set; }

    /// <summary>Price assumed (per million tokens, in and out) for a model whose price could not be loaded.</summary>
    [ConfigurationKeyName("fallback_price_per_million_tokens"), Display(Name = "cost_control:fallback_price_per_million_tokens"), Range(0.01, 10_000.0)]
    public double FallbackPricePerMillionTokens { get; set; } = 20;

    /// <summary>How often OpenRouter is asked what the operator's key has spent today and this month (see ProviderUsageReconciler).</summary>
    [ConfigurationKeyName("provider_usage_refresh_minutes"), Display(Name = "cost_control:provider_usage_refresh_minutes"), Range(1, 24 * 60)]
    public int ProviderUsageRefreshMinutes { get; set; } = 5;

    public decimal DailyCap => (decimal)DailySpendingLimitUsd;
    public decimal MonthlyCap => (decimal)MonthlySpendingLimitUsd;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MonthlySpendingLimitUsd < DailySpendingLimitUsd)
            yield return new ValidationResult(
                $"cost_control:monthly_spending_limit_usd ({MonthlySpendingLimitUsd}) must be at least cost_control:daily_spending_limit_usd ({DailySpendingLimitUsd}).",
                [nameof(MonthlySpendingLimitUsd)]);
        if (AllowedModelsProduction.Any(string.IsNullOrWhiteSpace))
            yield return new ValidationResult("cost_control:allowed_models_production contains an empty model id.", [nameof(AllowedModelsProduction)]);
    }
}
