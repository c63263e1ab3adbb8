using System.Diagnostics;
using System.Text.RegularExpressions;
using CoScientist.Tests.Fakes;
using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>
/// The app as the Docker image runs it, without a Docker engine: the Dockerfile's `dotnet publish` (done when the test
/// project builds, see CoScientist.Tests.csproj), then the Dockerfile's CMD with the Dockerfile's environment, as uid
/// 1000 (when the tests run as root), with the application folder read-only and only DATA_DIR writable. Only the port
/// differs: a free one instead of the image's, so a running app or another test run cannot be in the way.
/// </summary>
public sealed partial class PublishedAppFixture : IAsyncLifetime
{
    private Process? _app;
    private IPlaywright? _playwright;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "coscientist-published", Guid.NewGuid().ToString("N"));

    /// <summary>The arguments the test project's build publishes the app with (its PublishedAppArguments).</summary>
    public static readonly string[] PublishArguments = BuildFact("PublishedAppArguments").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Where the test project's build published the app.</summary>
    public static string PublishedDir => BuildFact("PublishedAppDir");

    private static string BuildFact(string key) =>
        typeof(PublishedAppFixture).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public FakeOpenRouterServer OpenRouter { get; private set; } = null!;
    public DockerfileFacts Dockerfile { get; } = DockerfileFacts.Read(RepositoryRoot());
    public int Port { get; } = FreePort.Next();
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public IBrowser Browser { get; private set; } = null!;
    public List<string> Output { get; } = [];
    public bool RanAsNonRoot { get; private set; }

    public async Task InitializeAsync()
    {
        OpenRouter = await FakeOpenRouterServer.StartAsync(seed: 21);
        var appDir = Path.Combine(_root, "app");
        var dataDir = Path.Combine(_root, "data");
        Directory.CreateDirectory(dataDir);
        if (!File.Exists(Path.Combine(PublishedDir, "CoScientist.Web.dll")))
            throw new InvalidOperationException($"The published app is missing from {PublishedDir}: build the test project (without SkipPublishedApp).");
        await RunAsync("cp", ["-a", PublishedDir, appDir], TimeSpan.FromMinutes(2)); // a copy: it is made read-only below

        var start = new ProcessStartInfo { WorkingDirectory = appDir, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Environment.UserName == "root" && File.Exists("/usr/bin/setpriv"))
        {
            await RunAsync("chmod", ["-R", "a-w,a+rX", appDir], TimeSpan.FromSeconds(30));
            await RunAsync("chmod", ["0777", dataDir, _root], TimeSpan.FromSeconds(10));
            start.FileName = "/usr/bin/setpriv";
            foreach (var a in new[] { $"--reuid={Dockerfile.User}", $"--regid={Dockerfile.User}", "--clear-groups" }) start.ArgumentList.Add(a);
            RanAsNonRoot = true;
        }
        else
        {
            start.FileName = Dockerfile.Command[0] == "dotnet" ? "dotnet" : Dockerfile.Command[0];
        }
        foreach (var part in RanAsNonRoot ? Dockerfile.Command : Dockerfile.Command.Skip(1)) start.ArgumentList.Add(part);

        foreach (var (key, value) in Dockerfile.Environment) start.Environment[key] = value;
        start.Environment["DATA_DIR"] = dataDir;
        start.Environment["literature__enabled"] = "false"; // the real sources are out of reach here
        start.Environment["HOME"] = _root;
        start.Environment["OPENROUTER_BASE_URL"] = OpenRouter.BaseUrl;
        start.Environment["OPENROUTER_API_KEY"] = FakeOpenRouterServer.ValidKey;
        start.Environment["ADMIN_TOKEN"] = "published-admin-token";
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["ASPNETCORE_HTTP_PORTS"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture); // DockerfileTests checks the image's
        _app = Process.Start(start)!;
        _app.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (Output) Output.Add(e.Data); };
        _app.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (Output) Output.Add(e.Data); };
        _app.BeginOutputReadLine();
        _app.BeginErrorReadLine();

        using var http = new HttpClient();
        try
        {
            await Wait.UntilAsync(async () =>
            {
                if (_app.HasExited) throw new InvalidOperationException("The published app exited.");
                try { return (await http.GetAsync(BaseUrl + "/healthz")).IsSuccessStatusCode; }
                catch (HttpRequestException) { return false; }
            }, TimeSpan.FromSeconds(60));
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            lock (Output) throw new InvalidOperationException("The published app did not start:\n" + string.Join('\n', Output), ex);
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists) ?? Environment.GetEnvironmentVariable("CHROMIUM_PATH"),
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_app is { HasExited: false })
        {
            _app.Kill(entireProcessTree: true);
            await _app.WaitForExitAsync();
        }
        if (OpenRouter is not null) await OpenRouter.DisposeAsync();
        if (Directory.Exists(_root))
        {
            await RunAsync("chmod", ["-R", "u+w", _root], TimeSpan.FromSeconds(30));
            Directory.Delete(_root, recursive: true);
        }
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CoScientist.sln")))
                return dir.FullName;
        throw new InvalidOperationException("The repository root (CoScientist.sln) was not found above " + AppContext.BaseDirectory);
    }

    private static async Task RunAsync(string file, string[] args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed:\n{await output}\n{await error}");
    }
}

/// <summary>What the Dockerfile says about how the app runs: read from the file so tests and image cannot drift apart.</summary>
public sealed partial record DockerfileFacts(int Port, string User, IReadOnlyList<string> Command, IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<int> Exposed, IReadOnlyList<string> HealthCheck)
{
    public static DockerfileFacts Read(string root)
    {
        var text = File.ReadAllText(Path.Combine(root, "Dockerfile")).Replace("\\\n", " ");
        var final = text[text.LastIndexOf("FROM ", StringComparison.Ordinal)..];
        var env = new Dictionary<string, string>();
        foreach (Match line in EnvLine().Matches(final))
            foreach (Match pair in EnvPair().Matches(line.Groups[1].Value))
                env[pair.Groups[1].Value] = pair.Groups[2].Value;
        var cmd = JsonArray(CmdLine().Match(final).Groups[1].Value);
        var health = JsonArray(HealthLine().Match(final).Groups[1].Value);
        var exposed = ExposeLine().Matches(final).Select(m => int.Parse(m.Groups[1].Value)).ToList();
        return new DockerfileFacts(int.Parse(env["ASPNETCORE_HTTP_PORTS"]), UserLine().Match(final).Groups[1].Value, cmd, env, exposed, health);
    }

    private static List<string> JsonArray(string json) => System.Text.Json.JsonSerializer.Deserialize<List<string>>(json)!;

    [GeneratedRegex(@"^ENV\s+(.+)$", RegexOptions.Multiline)] private static partial Regex EnvLine();
    [GeneratedRegex(@"(\w+)=(\S+)")] private static partial Regex EnvPair();
    [GeneratedRegex(@"^CMD\s+(\[.*\])\s*$", RegexOptions.Multiline)] private static partial Regex CmdLine();
    [GeneratedRegex(@"HEALTHCHECK.*?CMD\s+(\[.*\])\s*$", RegexOptions.Multiline)] private static partial Regex HealthLine();
    [GeneratedRegex(@"^USER\s+(\S+)\s*$", RegexOptions.Multiline)] private static partial Regex UserLine();
    [GeneratedRegex(@"^EXPOSE\s+(\d+)", RegexOptions.Multiline)] private static partial Regex ExposeLine();
}

[CollectionDefinition(Name)]
public sealed class PublishedCollection : ICollectionFixture<PublishedAppFixture>
{
    public const string Name = "published app";
}
