using CoScientist.Web.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Web;

public class FrameAncestorsTests
{
    private static SecurityHeadersOptions Options(params (string Key, string Value)[] values)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());
        services.AddSecurityHeaders();
        return services.BuildServiceProvider().GetRequiredService<IOptions<SecurityHeadersOptions>>().Value;
    }

    [Fact]
    public void ByDefault_OnlyThisOriginAndHuggingFace_MayFrameTheApp() =>
        Assert.Equal(["'self'", "https://huggingface.co"], Options().EffectiveFrameAncestors());

    [Fact]
    public void OnASpace_ItsOwnOriginIsAdded() =>
        Assert.Equal(["'self'", "https://huggingface.co", "https://me-app.hf.space"], Options(("SPACE_HOST", "me-app.hf.space")).EffectiveFrameAncestors());

    [Fact]
    public void TheOperator_ChoosesWhoMayFrameTheApp()
    {
        Assert.Equal(["'self'", "https://intranet.example.org"],
            Options(("frame_ancestors:0", "'self'"), ("frame_ancestors:1", "https://intranet.example.org")).EffectiveFrameAncestors());
        Assert.Equal(["'none'"], Options(("frame_ancestors:0", "'none'"), ("SPACE_HOST", "me-app.hf.space")).EffectiveFrameAncestors());
    }

    [Theory]
    [InlineData("frame_ancestors:0", "https://ok.example; script-src *", "frame_ancestors")]
    [InlineData("frame_ancestors:0", "*", "frame_ancestors")]
    [InlineData("frame_ancestors:0", "self", "frame_ancestors")]
    [InlineData("SPACE_HOST", "evil.example; frame-ancestors *", "SPACE_HOST")]
    public void ASourceThatIsNotAnOrigin_StopsStartUpNamingTheSetting(string key, string value, string named) =>
        Assert.Contains(named, Assert.Throws<OptionsValidationException>(() => Options((key, value))).Message);
}
