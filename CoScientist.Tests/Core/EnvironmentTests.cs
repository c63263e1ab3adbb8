using CoScientist.Core.Cost;

namespace CoScientist.Tests.Core;

public class EnvironmentTests
{
    private static DeploymentEnvironment Detect(string? host = "Development", params (string Key, string Value)[] values) =>
        DeploymentEnvironment.Detect(name => values.FirstOrDefault(v => v.Key == name).Value, host);

    [Fact]
    public void NothingSet_IsDevelopment() => Assert.False(Detect().IsProduction);

    [Theory]
    [InlineData("DEPLOYMENT_ENV", "production", "DEPLOYMENT_ENV")]
    [InlineData("DEPLOYMENT_ENV", "Production", "DEPLOYMENT_ENV")]
    [InlineData("SPACE_ID", "someone/coscientist", "Hugging Face")]
    [InlineData("HF_SPACES_DEPLOYMENT", "true", "HF_SPACES_DEPLOYMENT")]
    [InlineData("deployment:environment", "production", "deployment:environment")]
    public void EachProductionMarker_MakesItProductionAndSaysWhy(string key, string value, string reason)
    {
        var environment = Detect("Development", (key, value));

        Assert.True(environment.IsProduction);
        Assert.Contains(reason, environment.Reason);
    }

    [Fact]
    public void AspNetCoreProductionEnvironment_IsProduction()
    {
        var environment = Detect("Production");
        Assert.True(environment.IsProduction);
        Assert.Contains("ASPNETCORE_ENVIRONMENT", environment.Reason);
    }

    [Fact]
    public void ADevelopmentSettingInConfig_CannotOverrideASpace()
    {
        var environment = Detect("Development", ("deployment:environment", "development"), ("SPACE_ID", "me/space"));
        Assert.True(environment.IsProduction);
    }

    [Theory]
    [InlineData("DEPLOYMENT_ENV", "staging")]
    [InlineData("HF_SPACES_DEPLOYMENT", "false")]
    [InlineData("SPACE_ID", "")]
    public void OtherValues_StayDevelopment(string key, string value) => Assert.False(Detect("Development", (key, value)).IsProduction);
}
