using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using CoScientist.Core.Configuration;
using CoScientist.Core.Storage;
using CoScientist.Tests.E2E;

namespace CoScientist.Tests.Core;

/// <summary>The repository as a newcomer meets it: what the README promises and what running the tests leaves behind.</summary>
public partial class CheckoutTests
{
    private static readonly string Root = PublishedAppFixture.RepositoryRoot();

    /// <summary>The default model as the README's settings table names it.</summary>
    public static string ReadmeDefaultModel() =>
        ReadmeDefaultRow().Match(File.ReadAllText(Path.Combine(Root, "README.md"))) is { Success: true } row
            ? row.Groups[1].Value
            : throw new InvalidOperationException("README.md has no `llm_model` row in its settings table.");

    [GeneratedRegex(@"^\| `llm_model` \| `([^`]+)` \|", RegexOptions.Multiline)]
    private static partial Regex ReadmeDefaultRow();

    [Fact]
    public void TheReadme_NamesTheOneDefaultModelThatConfigYamlSets()
    {
        var config = YamlConfigurationProvider.Parse(new StringReader(File.ReadAllText(Path.Combine(Root, "config.yaml"))));
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var model = config["llm_model"];

        Assert.Equal(model, ReadmeDefaultModel());
        Assert.Null(config["cost_control:default_model"]); // no second default to disagree with the first
        Assert.Equal(model, config["cost_control:allowed_models_production:0"]); // so production offers it too
        Assert.Contains($"preselected: `{model}`", readme);
    }

    [Fact]
    public void AnOrdinaryTestRun_LeavesTheReadmeScreenshotsAlone()
    {
        Assert.Null(Screenshots.DocsDirectory(refresh: null));
        Assert.Null(Screenshots.DocsDirectory(refresh: "0"));
        Assert.Equal(Path.Combine(Root, "docs", "screenshots"), Screenshots.DocsDirectory(refresh: "1"));
        Assert.Contains($"{Screenshots.RefreshVariable}=1 dotnet test", File.ReadAllText(Path.Combine(Root, "README.md")));
    }

    [Fact]
    public void ARelativeDataDir_IsUnderTheDirectoryTheAppRunsIn()
    {
        var storage = new StorageOptions();

        Assert.Equal("./data", storage.DataDir);
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "data", "ledger.db"), storage.LedgerPath);
    }

    [Fact]
    public async Task DotnetRun_StartsTheAppInTheDirectoryTheCommandWasTypedIn_WithTheProjectAsContentRoot()
    {
        var typedIn = Directory.CreateTempSubdirectory("coscientist-run-").FullName;
        try
        {
            var project = Path.Combine(Root, "CoScientist.Web", "CoScientist.Web.csproj");
            var info = new ProcessStartInfo("dotnet") { WorkingDirectory = typedIn, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "msbuild", project, "-getProperty:RunWorkingDirectory", "-getProperty:RunArguments", "-nologo" })
                info.ArgumentList.Add(arg);
            using var msbuild = Process.Start(info)!;
            var output = await msbuild.StandardOutput.ReadToEndAsync();
            await msbuild.WaitForExitAsync();

            Assert.True(msbuild.ExitCode == 0, output + await msbuild.StandardError.ReadToEndAsync());
            var properties = JsonDocument.Parse(output).RootElement.GetProperty("Properties");
            Assert.Equal(typedIn.TrimEnd('/'), properties.GetProperty("RunWorkingDirectory").GetString()!.TrimEnd('/'));
            Assert.Contains($"--contentRoot \"{Path.GetDirectoryName(project)}\"", properties.GetProperty("RunArguments").GetString());
        }
        finally
        {
            Directory.Delete(typedIn, recursive: true);
        }
    }
}
