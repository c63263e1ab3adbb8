using System.Diagnostics;
using CoScientist.Tests.E2E;
using CoScientist.Tests.Fakes;
using Microsoft.Playwright;

namespace CoScientist.Tests.Benchmarks;

/// <summary>
/// kill -9 during 20 running cycles, ten times in a row on one DATA_DIR: the app runs as its own process, visitors
/// start their cycles in real Chromium (one browser, a context each), the fake OpenRouter answers after 1.5 s and
/// counts what it charges, replies lost with the process included. The fake holds its answers until all twenty cycles
/// have started (each from its own tab, closed once the cycle runs), then answers, and the kill comes once every cycle
/// has had an answer and more calls are in flight. After each restart: does the ledger hold at least
/// what was charged, is any reservation left open past its window, do the running cycles show as interrupted?
/// </summary>
public static class CrashBenchmark
{
    public static async Task<bool> RunAsync(int rounds = 10, int cycles = 20)
    {
        // Long enough for the held first calls to outlast the start of all the cycles on a busy machine.
        const int timeoutSeconds = 90;
        Console.WriteLine($"Crashes: {rounds} rounds of kill -9 during {cycles} cycles started from Chromium, one DATA_DIR, fake latency 1.5 s, " +
                          $"openrouter_timeout_seconds {timeoutSeconds}");
        await using var openRouter = await FakeOpenRouterServer.StartAsync(seed: 29);
        openRouter.Latency = TimeSpan.FromMilliseconds(1500);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await AppFixture.LaunchChromiumAsync(playwright);
        var dataDir = CoreHarness.NewDataDir();
        await using var rig = new CrashRig(openRouter, browser, dataDir, timeoutSeconds);
        var results = new List<CrashRound>();
        var failures = 0;
        var watch = Stopwatch.StartNew();
        Console.WriteLine($"  settlement window {rig.Window.TotalSeconds:0} s; DATA_DIR {dataDir}");
        Console.WriteLine("  round  running@kill  shown-interrupted  calls-charged  replies-lost  charged-USD(cum)  ledger-USD(cum)  open@restart  open-past-window  all-closed-after-kill  restart  starting-cycles");
        for (var i = 0; i < rounds; i++)
        {
            CrashRound r;
            try
            {
                r = await rig.RunRoundAsync(cycles);
            }
            catch (Exception ex) when (ex is TimeoutException or Microsoft.Playwright.PlaywrightException or InvalidOperationException)
            {
                Console.WriteLine($"  {i + 1,5}  FAILED: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
                failures++;
                continue;
            }
            results.Add(r);
            Console.WriteLine($"  {r.Round,5}  {r.RunningAtKill,5}/{r.Started,-6}  {r.ShownInterrupted,17}  {r.CallsCharged,13}  {r.LostReplies,12}  " +
                              $"{r.ChargedUsd,16:0.000000}  {r.LedgerUsd,15:0.000000}  {r.OpenAfterRestart,12}  {r.OpenPastWindow,16}  " +
                              $"{r.AllClosedAfterKill.TotalSeconds,19:0.0} s  {r.Restart.TotalSeconds,5:0.0} s  {r.Starting.TotalSeconds,13:0.0} s");
        }
        if (results.Count == 0)
            return false;
        var last = results[^1];
        var ok = failures == 0 && results.All(r => r.LedgerCoversCharges && r.OpenPastWindow == 0 && r.ShownInterrupted == r.RunningAtKill);
        Console.WriteLine($"  totals: {results.Sum(r => r.RunningAtKill)} cycles running at {rounds} kills, {results.Sum(r => r.ShownInterrupted)} shown interrupted; " +
                          $"{results.Sum(r => r.CallsCharged)} calls charged, {results.Sum(r => r.LostReplies)} replies lost with the process; " +
                          $"OpenRouter charged ${last.ChargedUsd:0.000000}, the ledger holds ${last.LedgerUsd:0.000000} " +
                          $"(+{(last.ChargedUsd > 0 ? (last.LedgerUsd - last.ChargedUsd) / last.ChargedUsd : 0):P1}, the lost calls at their worst case); " +
                          $"reservations open past their window after a restart: {results.Sum(r => r.OpenPastWindow)}; " +
                          $"longest until all closed: {results.Max(r => r.AllClosedAfterKill).TotalSeconds:0.0} s after the kill; {watch.Elapsed.TotalMinutes:0.0} min");
        Console.WriteLine(ok ? "  all three facts held in every round" : "  A FACT FAILED in at least one round (see above)");
        return ok;
    }
}
