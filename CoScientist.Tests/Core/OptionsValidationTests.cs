using CoScientist.Core;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Core;

public class OptionsValidationTests
{
    private static string StartupError(params (string Key, string Value)[] values)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());
        services.AddLogging();
        services.AddCoScientistCore();
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() =>
        {
            _ = provider.GetRequiredService<IOptions<ResearchOptions>>().Value;
            _ = provider.GetRequiredService<IOptions<CostControlOptions>>().Value;
            _ = provider.GetRequiredService<IOptions<DeploymentOptions>>().Value;
            _ = provider.GetRequiredService<IOptions<CoScientist.Core.Literature.LiteratureOptions>>().Value;
        });
        return ex.Message;
    }

    [Theory]
    [InlineData("num_hypotheses", "0", "num_hypotheses")]
    [InlineData("elo_k_factor", "-5", "elo_k_factor")]
    [InlineData("cost_control:daily_spending_limit_usd", "-1", "cost_control:daily_spending_limit_usd")]
    [InlineData("cost_control:max_concurrent_cycles", "0", "cost_control:max_concurrent_cycles")]
    [InlineData("deployment:max_cycles_per_session", "0", "deployment:max_cycles_per_session")]
    [InlineData("deployment:environment", "staging", "deployment:environment")]
    [InlineData("step_temperatures:generation", "5", "step_temperatures")]
    [InlineData("literature:contact_email", "not an address", "literature:contact_email")]
    [InlineData("literature:arxiv_base_url", "export.arxiv.org/api/query", "literature:arxiv_base_url")]
    [InlineData("literature:max_papers", "0", "literature:max_papers")]
    [InlineData("literature:timeout_seconds", "600", "literature:timeout_seconds")]
    public void ABadSetting_StopsStartUpNamingTheSetting(string key, string value, string named) =>
        Assert.Contains(named, StartupError((key, value)));

    [Fact]
    public void AMonthlyCapBelowTheDailyCap_IsRefused() =>
        Assert.Contains("monthly_spending_limit_usd", StartupError(("cost_control:daily_spending_limit_usd", "10"), ("cost_control:monthly_spending_limit_usd", "5")));

    [Fact]
    public void TheYamlConfig_OverriddenByEnvironmentStyleKeys()
    {
        var yaml = YamlConfigurationProvider.Parse(new StringReader("num_hypotheses: 3\ncost_control:\n  daily_spending_limit_usd: 50\n  allowed_models_production:\n    - a/b\n    - c/d\n"));
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(yaml)
            .AddInMemoryCollection(new Dictionary<string, string?> { ["cost_control:daily_spending_limit_usd"] = "0.5" }) // cost_control__daily_spending_limit_usd=0.5
            .Build();

        var costs = configuration.GetSection("cost_control").Get<CostControlOptions>()!;

        Assert.Equal(0.5, costs.DailySpendingLimitUsd);
        Assert.Equal(["a/b", "c/d"], costs.AllowedModelsProduction);
        Assert.Equal("3", configuration["num_hypotheses"]);
    }

    [Fact]
    public void TheShippedConfigYaml_IsValid()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "config.yaml");
        var data = YamlConfigurationProvider.Parse(File.OpenText(path));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(data).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddCoScientistCore().BuildServiceProvider();

        Assert.Equal(8, services.GetRequiredService<IOptions<CostControlOptions>>().Value.AllowedModelsProduction.Count); // the default model and the guide's 7
        Assert.Equal(5, services.GetRequiredService<IOptions<DeploymentOptions>>().Value.MaxCyclesPerSession);
        Assert.NotEmpty(services.GetRequiredService<IOptions<ResearchOptions>>().Value.ExampleGoals);
    }
}
