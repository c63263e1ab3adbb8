using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace CoScientist.Tests.Fakes;

/// <summary>
/// A throwaway redis-server from the installed binary: its own temporary directory and a free port, no
/// persistence, stopped (and its directory removed) on dispose. Missing binaries fail with what to install.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _directory;
    private Process? _process;

    private RedisServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }
    public string ConnectionString => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        RealServerBinaries.SizeThreadPoolLikeTheApp();
        var server = new RedisServer(Directory.CreateTempSubdirectory("cs-redis-").FullName, FreePort.Next());
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Kills the server (its data goes with it, as a crashed Redis without persistence loses it).</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process) return;
        process.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary>
    /// Waits until <paramref name="connection"/> is served again: a PING answers. (Right after a restart the client may not
    /// have noticed its old socket died, so "connected" alone proves nothing.)
    /// </summary>
    public static Task UntilReachableAsync(CoScientist.Core.Distributed.RedisConnection connection) => Wait.UntilAsync(async () =>
    {
        try
        {
            await connection.CheckAsync();
            return true;
        }
        catch (Exception ex) when (CoScientist.Core.Distributed.RedisConnection.IsFailure(ex))
        {
            return false;
        }
    }, TimeSpan.FromSeconds(30));

    /// <summary>Starts it again on the same port, empty.</summary>
    public Task RestartAsync() => StartProcessAsync();

    private async Task StartProcessAsync()
    {
        var binary = RealServerBinaries.Find("redis-server", [], "apt-get install -y redis-server");
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory,
                     "--protected-mode", "no", "--loglevel", "warning" })
            start.ArgumentList.Add(a);
        _process = Process.Start(start)!;
        // Killed only if that process id is still this server (it works in this directory: --dir).
        RealServerBinaries.AfterThisProcess($"[ \"$(readlink /proc/{_process.Id}/cwd)\" = '{_directory}' ] && kill {_process.Id}; rm -rf '{_directory}'");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await RealServerBinaries.WaitForPortAsync(Port, _process, "redis-server");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// A throwaway PostgreSQL cluster from the installed binaries (initdb, then postgres on a free port with its socket in
/// its own temporary directory), shared by the whole test run; each test takes a fresh database from
/// <see cref="CreateDatabaseAsync"/>. Run as root (as CI is), the cluster belongs to the postgres user, as initdb requires.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private static readonly SemaphoreSlim SharedGate = new(1, 1);
    private static PostgresServer? _shared;
    private static readonly SemaphoreSlim CreateGate = new(1, 1);
    private readonly string _directory;
    private readonly string _pgCtl;
    private int _databases;

    private PostgresServer(string directory, int port, string pgCtl)
    {
        _directory = directory;
        Port = port;
        _pgCtl = pgCtl;
    }

    public int Port { get; }

    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false;Timeout=10";

    /// <summary>The run's cluster, started on first use and stopped when the test process exits.</summary>
    public static async Task<PostgresServer> SharedAsync()
    {
        await SharedGate.WaitAsync();
        try
        {
            if (_shared is null)
            {
                _shared = await StartAsync();
                var server = _shared;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            return _shared;
        }
        finally
        {
            SharedGate.Release();
        }
    }

    /// <summary>A cluster of the caller's own (for tests that stop and start PostgreSQL).</summary>
    public static async Task<PostgresServer> StartAsync()
    {
        RealServerBinaries.SizeThreadPoolLikeTheApp();
        const string install = "apt-get install -y postgresql";
        var initdb = RealServerBinaries.Find("initdb", RealServerBinaries.PostgresDirectories(), install);
        var pgCtl = RealServerBinaries.Find("pg_ctl", RealServerBinaries.PostgresDirectories(), install);
        var directory = Directory.CreateTempSubdirectory("cs-pg-").FullName;
        var server = new PostgresServer(directory, FreePort.Next(), pgCtl);
        if (RealServerBinaries.IsRoot)
            await RealServerBinaries.RunAsync("chown", ["-R", "postgres:postgres", directory]);
        await RealServerBinaries.RunAsync(initdb, ["-D", Path.Combine(directory, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"], asPostgres: true);
        server.StopWhenThisProcessEnds();
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>
    /// A watcher outside this process stops the cluster and removes its directory once this process is gone, however it
    /// ends: the test host does not always raise ProcessExit, and clusters were left running after a run.
    /// </summary>
    private void StopWhenThisProcessEnds()
    {
        var pgCtl = RealServerBinaries.IsRoot ? $"runuser -u postgres -- '{_pgCtl}'" : $"'{_pgCtl}'";
        RealServerBinaries.AfterThisProcess($"{pgCtl} -D '{_directory}/data' -m immediate -w stop; rm -rf '{_directory}'");
    }

    public async Task StartProcessAsync()
    {
        var options = $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
        await RealServerBinaries.RunAsync(_pgCtl, ["-D", Path.Combine(_directory, "data"), "-l", Path.Combine(_directory, "log"), "-o", options, "-w", "-t", "60", "start"], asPostgres: true);
    }

    /// <summary>An immediate stop, as a crash or a network cut looks to clients.</summary>
    public Task StopAsync() =>
        RealServerBinaries.RunAsync(_pgCtl, ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"], asPostgres: true, mayFail: true);

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"cs_test_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        // CREATE DATABASE copies template1 and refuses while another copy of it is under way: one at a time.
        await CreateGate.WaitAsync();
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        finally
        {
            CreateGate.Release();
        }
        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name};Timeout=5;Command Timeout=10";
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

internal static class RealServerBinaries
{
    /// <summary>
    /// The app starts its thread pool larger whenever Redis or PostgreSQL is configured (ThreadPoolSizing): the instances
    /// these tests build in process get the same, or a hundred synchronous round trips at once starve the pool and Redis
    /// replies time out, which no deployed instance would see.
    /// </summary>
    public static void SizeThreadPoolLikeTheApp()
    {
        ThreadPool.GetMinThreads(out var worker, out var io);
        if (worker < CoScientist.Web.Hosting.ThreadPoolSizing.DefaultMinimum)
            ThreadPool.SetMinThreads(CoScientist.Web.Hosting.ThreadPoolSizing.DefaultMinimum, io);
    }

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>
    /// Runs the shell <paramref name="commands"/> once this process is gone, however it ends (a watcher outside it, polling
    /// every second): the test host does not always raise ProcessExit, and servers were left running after a run.
    /// </summary>
    public static void AfterThisProcess(string commands)
    {
        var start = new ProcessStartInfo("sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"exec >/dev/null 2>&1 </dev/null; while kill -0 {Environment.ProcessId}; do sleep 1; done; {commands}");
        Process.Start(start)!.Dispose();
    }

    /// <summary>Debian keeps PostgreSQL's server binaries off PATH, under /usr/lib/postgresql/VERSION/bin.</summary>
    public static IEnumerable<string> PostgresDirectories() => Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).Select(d => Path.Combine(d, "bin"))
        : [];

    public static string Find(string name, IEnumerable<string> directories, string install)
    {
        var path = Environment.GetEnvironmentVariable("PATH")?.Split(':') ?? [];
        foreach (var directory in directories.Concat(path))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException($"{name} is not installed; these tests run against a real server. Install it with: {install}");
    }

    public static async Task RunAsync(string file, IEnumerable<string> arguments, bool asPostgres = false, bool mayFail = false)
    {
        var start = new ProcessStartInfo(asPostgres && IsRoot ? "runuser" : file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asPostgres && IsRoot)
            foreach (var a in new[] { "-u", "postgres", "--", file }) start.ArgumentList.Add(a);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 && !mayFail)
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({process.ExitCode}): {await output}{await error}");
    }

    public static Task WaitForPortAsync(int port, Process process, string name) => Wait.UntilAsync(async () =>
    {
        if (process.HasExited)
            throw new InvalidOperationException($"{name} exited at start (code {process.ExitCode}).");
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }, TimeSpan.FromSeconds(30));
}

public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
