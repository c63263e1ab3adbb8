using System.Diagnostics;
using System.Text.RegularExpressions;
using CoScientist.Tests.Fakes;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>What one kill -9 round saw. Money is cumulative over the rounds on the same DATA_DIR.</summary>
public sealed record CrashRound(int Round, int Started, int RunningAtKill, int ShownInterrupted, int CallsCharged, int LostReplies,
    decimal ChargedUsd, decimal LedgerUsd, int OpenAfterRestart, int OpenPastWindow, TimeSpan AllClosedAfterKill, TimeSpan Restart, TimeSpan Starting)
{
    public bool LedgerCoversCharges => LedgerUsd >= ChargedUsd - 0.000000001m; // the ledger stores REAL: allow its rounding
}

/// <summary>
/// The app as its own process on one DATA_DIR, the fake OpenRouter with some latency, and visitors in real Chromium
/// (one browser, a context each): visitors start cycles through the page, the process is killed with SIGKILL while
/// they run, and it is started again on the same data. Then the ledger file is read as an auditor would, and each
/// cycle's page is asked what it shows. Used by the crash benchmark (a one-round test was left out of the suite: on this
/// shared machine one round takes minutes, far over the suite's budget).
/// </summary>
public sealed partial class CrashRig(FakeOpenRouterServer openRouter, IBrowser browser, string dataDir, int timeoutSeconds) : IAsyncDisposable
{
    private AppProcess? _app;
    private int _round;

    /// <summary>How long a reservation may stay open (AbandonedReservationSweep.Window for these settings).</summary>
    public TimeSpan Window => CoScientist.Core.Cost.AbandonedReservationSweep.WindowFor(timeoutSeconds);

    private Task<AppProcess> StartAppAsync() => AppProcess.StartAsync(new Dictionary<string, string>
    {
        ["DATA_DIR"] = dataDir,
        ["OPENROUTER_BASE_URL"] = openRouter.BaseUrl,
        ["OPENROUTER_API_KEY"] = FakeOpenRouterServer.ValidKey,
        ["num_hypotheses"] = "3",
        ["openrouter_initial_backoff_ms"] = "5",
        ["openrouter_timeout_seconds"] = timeoutSeconds.ToString(),
        // Every visitor here comes from 127.0.0.1, and a round's cycles all run at once.
        ["cost_control__max_cycles_per_client_per_hour"] = "10000",
        ["cost_control__max_concurrent_cycles"] = "100",
        ["cost_control__daily_spending_limit_usd"] = "1000",
        ["cost_control__monthly_spending_limit_usd"] = "10000",
    });

    public async Task<CrashRound> RunRoundAsync(int cycles)
    {
        var round = ++_round;
        _app ??= await StartAppAsync();
        var requestsBefore = openRouter.Requests.Count;
        var settledBefore = Ledger(Settled);
        var starting = Stopwatch.StartNew();
        // The fake holds every answer until all the cycles have started: opening twenty pages on two cores takes longer
        // than a whole cycle, and a cycle that finished before the kill proves nothing.
        openRouter.Hold();
        var visitors = new Dictionary<string, IBrowserContext>();
        try
        {
            // A few visitors at a time open the page, start a cycle and close the tab (the cycle runs on without it), as a
            // busy minute would bring them; tabs left open would take the cores the app needs. Each visitor keeps its
            // browser context (its cookies: the research is its own) to look at the research again after the restart.
            using var opening = new SemaphoreSlim(4);
            await Task.WhenAll(Enumerable.Range(0, cycles).Select(async i =>
            {
                await opening.WaitAsync();
                try
                {
                    var context = await browser.NewContextAsync();
                    lock (visitors) visitors[$"visitor {i}"] = context;
                    context.SetDefaultTimeout(120_000);
                    context.SetDefaultNavigationTimeout(120_000);
                    var page = await context.NewPageAsync();
                    await StartCycleAsync(page, _app.BaseUrl, $"Round {round}, visitor {i}: why do some bacteria resist antibiotics faster?");
                    var id = new Uri(page.Url).Segments[^1];
                    lock (visitors)
                    {
                        visitors.Remove($"visitor {i}");
                        visitors[id] = context;
                    }
                    await page.CloseAsync();
                }
                finally
                {
                    opening.Release();
                }
            }));
        }
        catch
        {
            openRouter.Release();
            await CloseAsync(visitors.Values);
            throw;
        }
        openRouter.Release();
        starting.Stop();
        try
        {
            return await KillAndRestartAsync(round, cycles, visitors, requestsBefore, settledBefore, starting.Elapsed);
        }
        finally
        {
            await CloseAsync(visitors.Values);
        }
    }

    private static async Task CloseAsync(IEnumerable<IBrowserContext> contexts)
    {
        foreach (var context in contexts.ToList())
            await context.CloseAsync();
    }

    private async Task<CrashRound> KillAndRestartAsync(int round, int cycles, Dictionary<string, IBrowserContext> visitors, int requestsBefore,
        long settledBefore, TimeSpan starting)
    {
        var app = _app ?? throw new InvalidOperationException("The app is not running.");
        // Pull the plug once every cycle has had an answer and calls are in flight again, so some replies are lost with
        // the process and the cycles stand at different steps.
        await Wait.UntilAsync(() => Ledger(Settled) - settledBefore >= cycles && openRouter.InFlightRequests > 0, TimeSpan.FromSeconds(120));
        await app.KillAsync();
        var killed = Stopwatch.StartNew();
        await app.DisposeAsync();
        _app = null;
        // Requests the dead process sent are still being answered (and charged) here; their replies go nowhere.
        await Wait.UntilAsync(() => openRouter.InFlightRequests == 0, TimeSpan.FromSeconds(timeoutSeconds + 30));
        var charged = openRouter.TotalCharged;
        var callsCharged = openRouter.Requests.Skip(requestsBefore).Count(r => r.Fault == FaultKind.None);
        var lostReplies = Ledger("SELECT COUNT(*) FROM calls WHERE status = 'Reserved'");
        // What the dead process was running, as its research file says.
        var running = RunningResearch();

        var restart = Stopwatch.StartNew();
        _app = await StartAppAsync();
        restart.Stop();
        var openAfterRestart = Ledger("SELECT COUNT(*) FROM calls WHERE status = 'Reserved'");
        var openPastWindow = OpenOlderThan(Window);
        // Every reservation the dead process left is closed by the sweep within 1.5 windows of its reservation; no
        // cycle runs now, so none may stay open (a timeout here fails the round).
        var closing = Task.Run(async () =>
        {
            await Wait.UntilAsync(() => Ledger("SELECT COUNT(*) FROM calls WHERE status = 'Reserved'") == 0, Window * 2 + TimeSpan.FromSeconds(30));
            return killed.Elapsed;
        });
        // Each owner looks at its research again, one tab at a time (a research is shown in full to its owner only).
        var shown = 0;
        foreach (var id in running)
            if (visitors.TryGetValue(id, out var owner) && await ShowsInterruptedAsync(owner, $"{_app.BaseUrl}/r/{Uri.EscapeDataString(id)}"))
                shown++;
        var closedAfter = await closing;
        return new CrashRound(round, cycles, running.Count, shown, callsCharged, (int)lostReplies, charged,
            LedgerUsd(), (int)openAfterRestart, (int)openPastWindow, closedAfter, restart.Elapsed, starting);
    }

    private const string Settled = "SELECT COUNT(*) FROM calls WHERE status <> 'Reserved'";

    private List<string> RunningResearch()
    {
        using var connection = ReadOnly("research.db");
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM research WHERE running_cycle IS NOT NULL";
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
            ids.Add(reader.GetString(0));
        return ids;
    }

    private static async Task StartCycleAsync(IPage page, string baseUrl, string goal)
    {
        await page.GotoAsync(baseUrl);
        var run = page.GetByTestId("run-cycle");
        await Assertions.Expect(run).ToBeEnabledAsync(new() { Timeout = 60_000 });
        await page.GetByTestId("research-goal").FillAsync(goal);
        await run.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(ResearchPath(), new() { Timeout = 60_000 });
    }

    private static async Task<bool> ShowsInterruptedAsync(IBrowserContext owner, string url)
    {
        var page = await owner.NewPageAsync();
        await page.GotoAsync(url);
        try
        {
            await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "interrupted", new() { Timeout = 30_000 });
            return true;
        }
        catch (PlaywrightException)
        {
            return false;
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    /// <summary>The operator key's spend as the ledger file counts it: settled costs, open reservations at their worst case.</summary>
    public decimal LedgerUsd() => Convert.ToDecimal(Query(
        "SELECT COALESCE(SUM(CASE status WHEN 'Reserved' THEN reserved_usd ELSE cost_usd END), 0) FROM calls WHERE key_kind = 'Operator'"));

    private long OpenOlderThan(TimeSpan age) => Convert.ToInt64(Query(
        "SELECT COUNT(*) FROM calls WHERE status = 'Reserved' AND at < @cutoff",
        ("@cutoff", CoScientist.Core.Storage.Sql.Time(DateTimeOffset.UtcNow - age))));

    private long Ledger(string sql) => Convert.ToInt64(Query(sql));

    // Read-only and unpooled: the auditor never holds the file the app writes.
    private object? Query(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = ReadOnly("ledger.db");
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        return command.ExecuteScalar();
    }

    private SqliteConnection ReadOnly(string file)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDir, file), Mode = SqliteOpenMode.ReadOnly, Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
    }

    [GeneratedRegex("/r/[A-Za-z0-9_-]{22}$")]
    private static partial Regex ResearchPath();
}
