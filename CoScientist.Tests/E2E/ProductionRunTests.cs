using System.Net;
using System.Text.RegularExpressions;
using CoScientist.Tests.Fakes;

namespace CoScientist.Tests.E2E;

/// <summary>The app run from its build output (as `dotnet run` does), not a publish output, with ASPNETCORE_ENVIRONMENT=Production.</summary>
public sealed partial class ProductionRunTests
{
    [Fact]
    public async Task RunFromSourceInProduction_ServesThePageAndItsScripts()
    {
        await using var openRouter = await FakeOpenRouterServer.StartAsync();
        await using var app = await AppProcess.StartAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DATA_DIR"] = CoreHarness.NewDataDir(),
            ["OPENROUTER_BASE_URL"] = openRouter.BaseUrl,
        });
        var baseUrl = app.BaseUrl;
        using var http = new HttpClient();
        var page = await http.GetAsync(baseUrl + "/");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        foreach (var asset in AssetReference().Matches(html).Select(m => m.Groups[1].Value).Where(a => a.StartsWith('_')))
        {
            var response = await http.GetAsync(baseUrl + "/" + asset);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{asset}: HTTP {(int)response.StatusCode}\n" + app.Output);
        }
        Assert.Contains("_framework/blazor.web.js", html);
        Assert.Contains("_content/MudBlazor/", html);
    }

    [GeneratedRegex(@"(?:src|href)=""([^""]+)""")]
    private static partial Regex AssetReference();
}
