using System.Diagnostics;
using System.Text.RegularExpressions;

namespace CoScientist.Tests.E2E;

/// <summary>
/// The app as its own process, from its build output (what `dotnet run` starts), so a test can stop it
/// gracefully, kill it with SIGKILL, and start it again on the same data directory.
/// </summary>
public sealed partial class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private AppProcess(Process process) => _process = process;

    public string BaseUrl { get; private set; } = "";
    public string Output { get { lock (_output) return string.Join('\n', _output); } }

    public static async Task<AppProcess> StartAsync(IDictionary<string, string> environment)
    {
        var root = PublishedAppFixture.RepositoryRoot();
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var project = Path.Combine(root, "CoScientist.Web");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = project };
        foreach (var a in new[] { Path.Combine(project, "bin", configuration, "net10.0", "CoScientist.Web.dll"), "--urls", "http://127.0.0.1:0" })
            start.ArgumentList.Add(a);
        foreach (var name in new[] { "OPENROUTER_API_KEY", "ADMIN_TOKEN", "ASPNETCORE_URLS", "DEPLOYMENT_ENV", "SPACE_ID" })
            start.Environment.Remove(name);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["literature__enabled"] = "false"; // the real sources are out of reach here
        foreach (var (key, value) in environment)
            start.Environment[key] = value;

        var app = new AppProcess(Process.Start(start)!);
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Read(string? line)
        {
            if (line is null) return;
            lock (app._output) app._output.Add(line);
            if (ListeningOn().Match(line) is { Success: true } m) listening.TrySetResult(m.Groups[1].Value);
        }
        app._process.OutputDataReceived += (_, e) => Read(e.Data);
        app._process.ErrorDataReceived += (_, e) => Read(e.Data);
        app._process.BeginOutputReadLine();
        app._process.BeginErrorReadLine();
        var first = await Task.WhenAny(listening.Task, app._process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(90)));
        if (first != listening.Task)
            throw new InvalidOperationException("The app did not start:\n" + app.Output);
        app.BaseUrl = await listening.Task;
        return app;
    }

    /// <summary>A graceful stop (SIGTERM), as a redeploy or a Space going to sleep does.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
            await kill.WaitForExitAsync();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>SIGKILL: no shutdown code runs at all.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://[^""\s\\]+)")]
    private static partial Regex ListeningOn();
}
