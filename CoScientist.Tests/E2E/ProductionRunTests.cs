using System.Diagnostics;
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
        var root = PublishedAppFixture.RepositoryRoot();
        // What `dotnet run --no-launch-profile` starts, without its seconds of MSBuild: the build output
        // (the configuration these tests were built in: bin/<Configuration>/net10.0/), from the project folder.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var project = Path.Combine(root, "CoScientist.Web");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = project };
        foreach (var a in new[] { Path.Combine(project, "bin", configuration, "net10.0", "CoScientist.Web.dll"), "--urls", "http://127.0.0.1:0" })
            start.ArgumentList.Add(a);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DATA_DIR"] = CoreHarness.NewDataDir();
        start.Environment["OPENROUTER_BASE_URL"] = openRouter.BaseUrl;
        start.Environment.Remove("OPENROUTER_API_KEY");
        start.Environment.Remove("ADMIN_TOKEN");
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("DEPLOYMENT_ENV");

        var output = new List<string>();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var app = Process.Start(start)!;
        try
        {
            void Read(string? line)
            {
                if (line is null) return;
                lock (output) output.Add(line);
                if (ListeningOn().Match(line) is { Success: true } m) listening.TrySetResult(m.Groups[1].Value);
            }
            app.OutputDataReceived += (_, e) => Read(e.Data);
            app.ErrorDataReceived += (_, e) => Read(e.Data);
            app.BeginOutputReadLine();
            app.BeginErrorReadLine();
            var exited = app.WaitForExitAsync();
            var first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(90)));
            Assert.True(first == listening.Task, "the app did not start:\n" + string.Join('\n', output));
            var baseUrl = await listening.Task;

            using var http = new HttpClient();
            var page = await http.GetAsync(baseUrl + "/");
            var html = await page.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            foreach (var asset in AssetReference().Matches(html).Select(m => m.Groups[1].Value).Where(a => a.StartsWith('_')))
            {
                var response = await http.GetAsync(baseUrl + "/" + asset);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{asset}: HTTP {(int)response.StatusCode}\n" + string.Join('\n', output));
            }
            Assert.Contains("_framework/blazor.web.js", html);
            Assert.Contains("_content/MudBlazor/", html);
        }
        finally
        {
            if (!app.HasExited) app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync();
        }
    }

    [GeneratedRegex(@"Now listening on: (http://[^""\s\\]+)")]
    private static partial Regex ListeningOn();

    [GeneratedRegex(@"(?:src|href)=""([^""]+)""")]
    private static partial Regex AssetReference();
}
