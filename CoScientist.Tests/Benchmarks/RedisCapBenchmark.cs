using System.Collections.Concurrent;
using System.Diagnostics;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Benchmarks;

/// <summary>
/// The caps on Redis against the in-memory ones: the cost of one reservation and settlement, how many one Redis takes
/// per second from 200 sessions, and whether 200 sessions on two instances ever overshoot a cap. Starts its own redis-server.
/// </summary>
public static class RedisCapBenchmark
{
    public static async Task RunAsync()
    {
        // Settlements are synchronous (the ledger, then Redis); on a small host hundreds of sessions settling at once
        // block pool threads that Redis replies then wait for. docs/scaling.md advises this minimum for such loads.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 256), io);
        await using var openRouter = await FakeOpenRouterServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        ServiceProvider Instance(string dataDir, decimal cap, bool shared) => CoreHarness.Create(openRouter, new Dictionary<string, string?>
        {
            ["DATA_DIR"] = dataDir,
            ["ConnectionStrings:Redis"] = shared ? redis.ConnectionString : null,
            ["cost_control:daily_spending_limit_usd"] = cap.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["cost_control:monthly_spending_limit_usd"] = (cap * 10).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        Console.WriteLine("Reservation + settlement of one operator-key call (SQLite ledger writes included in both), 3000 of each, interleaved, after 300 warm-up:");
        await using (var local = Instance(CoreHarness.NewDataDir(), 100_000m, shared: false))
        await using (var onRedis = Instance(CoreHarness.NewDataDir(), 100_000m, shared: true))
        {
            var guards = new[] { local.GetRequiredService<SpendGuard>(), onRedis.GetRequiredService<SpendGuard>() };
            var times = new[] { new List<double>(), new List<double>() };
            for (var i = 0; i < 3300; i++)
                for (var g = 0; g < 2; g++)
                {
                    var watch = Stopwatch.StartNew();
                    await guards[g].SettleAsync(await guards[g].ReserveAsync(Call(0.001m), CancellationToken.None), Cost(0.0004m), error: null);
                    if (i >= 300) times[g].Add(watch.Elapsed.TotalMilliseconds);
                }
            for (var g = 0; g < 2; g++)
            {
                times[g].Sort();
                Console.WriteLine($"  {(g == 1 ? "Redis    " : "in-memory")}: median {times[g][times[g].Count / 2]:F3} ms, p99 {times[g][(int)(times[g].Count * 0.99)]:F3} ms");
            }
        }

        Console.WriteLine("Throughput: 200 sessions, each reserving, making a 20 ms call and settling, for 5 s on one instance:");
        foreach (var shared in new[] { false, true })
        {
            await using var services = Instance(CoreHarness.NewDataDir(), 100_000m, shared);
            var guard = services.GetRequiredService<SpendGuard>();
            int done = 0, refused = 0;
            var until = DateTime.UtcNow.AddSeconds(5);
            await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(async () =>
            {
                while (DateTime.UtcNow < until)
                {
                    try
                    {
                        var reservation = await guard.ReserveAsync(Call(0.001m), CancellationToken.None);
                        await Task.Delay(20);
                        await guard.SettleAsync(reservation, Cost(0.0004m), error: null);
                        Interlocked.Increment(ref done);
                    }
                    catch (LlmException)
                    {
                        Interlocked.Increment(ref refused);
                    }
                }
            })));
            Console.WriteLine($"  {(shared ? "Redis    " : "in-memory")}: {done / 5.0:F0} calls reserved and settled per second ({refused} refused)");
        }
        await using (var services = Instance(CoreHarness.NewDataDir(), 100_000m, shared: true))
        {
            // Redis alone, without the ledger: what the shared counters take before the ledger is the limit.
            var counters = services.GetRequiredService<CoScientist.Core.Distributed.RedisSpendCounters>();
            var day = DateOnly.FromDateTime(DateTime.UtcNow);
            var month = DateTime.UtcNow.Year * 12 + DateTime.UtcNow.Month;
            var done = 0;
            var until = DateTime.UtcNow.AddSeconds(5);
            await Task.WhenAll(Enumerable.Range(0, 200).Select(w => Task.Run(async () =>
            {
                for (var n = 0; DateTime.UtcNow < until; n++)
                {
                    var field = $"bench:{w}:{n}";
                    await counters.TryHoldAsync(day, month, field, 0.001m, 100_000m, 1_000_000m, 0, 0);
                    counters.Release(day, month, field, 0.0004m, 0.001m);
                    Interlocked.Increment(ref done);
                }
            })));
            Console.WriteLine($"  Redis counters alone (hold + release, no ledger), 200 workers: {done / 5.0:F0} per second");
        }

        Console.WriteLine("Overshoot: 200 sessions on two instances (one Redis, one ledger) call until refused, worst case $0.002, actual 30-100 % of it:");
        foreach (var cap in new[] { 0.05m, 0.25m, 1.00m })
        {
            await redis.StopAsync();
            await redis.RestartAsync(); // a fresh day's counters for each cap
            var dataDir = CoreHarness.NewDataDir();
            await using var a = Instance(dataDir, cap, shared: true);
            await using var b = Instance(dataDir, cap, shared: true);
            var guards = new[] { a.GetRequiredService<SpendGuard>(), b.GetRequiredService<SpendGuard>() };
            await Task.WhenAll(guards.Select(g => WaitConnectedAsync(g)));
            var charged = new ConcurrentBag<decimal>();
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
            {
                var random = new Random(i);
                while (true)
                {
                    SpendReservation reservation;
                    try
                    {
                        reservation = await guards[i % 2].ReserveAsync(Call(0.002m), CancellationToken.None);
                    }
                    catch (LlmException)
                    {
                        return;
                    }
                    await Task.Delay(random.Next(1, 20));
                    var actual = Math.Round(0.002m * (decimal)(0.3 + 0.7 * random.NextDouble()), 6);
                    charged.Add(actual);
                    await guards[i % 2].SettleAsync(reservation, Cost(actual), error: null);
                }
            })));
            var total = charged.Sum();
            Console.WriteLine($"  cap ${cap:0.00}: charged ${total:0.000000} ({total / cap:P0} of the cap) in {charged.Count} calls, " +
                              $"overshoot ${Math.Max(0, total - cap):0.000000}, {watch.Elapsed.TotalSeconds:F1} s");
        }
    }

    private static Task WaitConnectedAsync(SpendGuard guard) => Wait.UntilAsync(() => guard.SharedStoreBlock() is null, TimeSpan.FromSeconds(30));

    private static CallReservation Call(decimal worst) =>
        new(DateTimeOffset.UtcNow, "bench", "client", "google/gemini-2.5-flash", null, KeyKind.Operator, worst);

    private static LlmUsage Cost(decimal usd) => new("google/gemini-2.5-flash", null, 100, 100, usd, null, Succeeded: true);
}
