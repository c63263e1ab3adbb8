using System.Diagnostics;
using CoScientist.Tests.E2E;
using CoScientist.Tests.Fakes;
using Microsoft.Playwright;

namespace CoScientist.Tests.Benchmarks;

/// <summary>
/// Spaces sleep and wake: time from process start to the first page served, for CoScientist and for
/// an empty Blazor Server app (`dotnet new blazor --interactivity Server`), both published in Release
/// and started the same way; then CoScientist's memory after one cycle.
/// </summary>
public static class ColdStartBenchmark
{
    private const int Runs = 5;

    public static async Task RunAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "coscientist-coldstart", Guid.NewGuid().ToString("N"));
        var repo = PublishedAppFixture.RepositoryRoot();
        var ours = Path.Combine(root, "coscientist");
        var empty = Path.Combine(root, "empty");
        await Shell("dotnet", $"publish \"{Path.Combine(repo, "CoScientist.Web", "CoScientist.Web.csproj")}\" -c Release -o \"{ours}\" /p:UseAppHost=false --nologo -v q");
        await Shell("dotnet", $"new blazor --interactivity Server --empty -o \"{Path.Combine(root, "src")}\" -n EmptyBlazor --no-restore");
        await Shell("dotnet", $"publish \"{Path.Combine(root, "src", "EmptyBlazor.csproj")}\" -c Release -o \"{empty}\" /p:UseAppHost=false --nologo -v q");

        await using var server = await FakeOpenRouterServer.StartAsync(seed: 2);
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production", ["DEPLOYMENT_ENV"] = "production",
            ["OPENROUTER_BASE_URL"] = server.BaseUrl, ["OPENROUTER_API_KEY"] = FakeOpenRouterServer.ValidKey,
            ["cost_control__allowed_models_production__0"] = "google/gemini-2.5-flash", ["cost_control__default_model"] = "google/gemini-2.5-flash",
        };

        Console.WriteLine($"Cold start: process start to first page served, median of {Runs} starts (Release, Production)");
        var emptyTimes = new List<double>();
        var ourTimes = new List<double>();
        for (var i = 0; i < Runs; i++)
        {
            emptyTimes.Add((await StartAsync(empty, "EmptyBlazor.dll", env, Path.Combine(root, $"data-e{i}"), keep: false)).Ms);
            ourTimes.Add((await StartAsync(ours, "CoScientist.Web.dll", env, Path.Combine(root, $"data-o{i}"), keep: false)).Ms);
        }
        var (emptyMedian, ourMedian) = (Median(emptyTimes), Median(ourTimes));
        Console.WriteLine($"  empty Blazor Server app: {emptyMedian:F0} ms   CoScientist: {ourMedian:F0} ms   ratio {ourMedian / emptyMedian:F2} (target ≤ 1.5)");

        var (_, app) = await StartAsync(ours, "CoScientist.Web.dll", env, Path.Combine(root, "data-cycle"), keep: true);
        try
        {
            Console.WriteLine($"  memory at idle after start: {Rss(app!):F0} MB");
            await RunCycleInBrowserAsync();
            Console.WriteLine($"  memory after one cycle (N=3, embeddings loaded): {Rss(app!):F0} MB (target < 400 MB)");
        }
        finally
        {
            app!.Kill(entireProcessTree: true);
            await app.WaitForExitAsync();
        }
    }

    private static async Task<(double Ms, Process? Process)> StartAsync(string dir, string dll, Dictionary<string, string> env, string dataDir, bool keep)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet", dll) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env) info.Environment[k] = v;
        info.Environment["ASPNETCORE_HTTP_PORTS"] = port.ToString();
        info.Environment["DATA_DIR"] = dataDir;
        info.Environment.Remove("ASPNETCORE_URLS");
        using var http = new HttpClient();
        var watch = Stopwatch.StartNew();
        var process = Process.Start(info)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        while (true)
        {
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{port}/")).IsSuccessStatusCode) break;
            }
            catch (HttpRequestException) { }
            if (watch.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException(dll + " did not serve a page");
            await Task.Delay(10);
        }
        var ms = watch.Elapsed.TotalMilliseconds;
        _port = port;
        if (keep) return (ms, process);
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        return (ms, null);
    }

    private static int _port;

    private static async Task RunCycleInBrowserAsync()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Args = ["--no-sandbox", "--disable-gpu"] });
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"http://127.0.0.1:{_port}/");
        await Assertions.Expect(page.GetByTestId("run-cycle")).ToBeEnabledAsync(new() { Timeout = 30_000 });
        await page.GetByTestId("research-goal").FillAsync("Develop new methods for increasing the efficiency of solar panels");
        await page.GetByTestId("run-cycle").ClickAsync();
        await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
        GC.KeepAlive(page);
    }

    private static double Rss(Process process)
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task Shell(string file, string args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {args} failed:\n{output}");
    }
}
