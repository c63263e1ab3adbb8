using CoScientist.Core.Distributed;

namespace CoScientist.Web.Hosting;

/// <summary>
/// The spend ledger and the shared counters answer synchronously where their callers are synchronous. On a local SQLite
/// file that is quick; with PostgreSQL and Redis across a network, hundreds of sessions settling at once hold that many
/// pool threads for a round trip each, and a pool that grows by about one thread a second lets Redis replies wait past
/// their timeout, which fails calls closed (docs/benchmarks.md, "The caps on Redis"). So when either server is
/// configured, the pool starts with <c>thread_pool_min_threads</c> worker threads (default 256).
/// </summary>
public static class ThreadPoolSizing
{
    public const int DefaultMinimum = 256;

    /// <returns>The minimum of worker threads now in force.</returns>
    public static int Apply(IConfiguration configuration)
    {
        ThreadPool.GetMinThreads(out var worker, out var io);
        var scaleOut = new ScaleOut(configuration);
        if (!scaleOut.UsesRedis && !scaleOut.UsesPostgres)
            return worker;
        var wanted = configuration.GetValue("thread_pool_min_threads", DefaultMinimum);
        if (wanted > worker && ThreadPool.SetMinThreads(wanted, io))
            return wanted;
        return worker;
    }
}
