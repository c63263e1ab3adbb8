using CoScientist.Core.Distributed;

namespace CoScientist.Web.Hosting;

/// <summary>
/// The pool's worker threads at start (<c>thread_pool_min_threads</c>). The runtime starts with one per core and adds
/// more slowly (about one a second) while work waits; but some work does wait on a thread. Hundreds of cycles starting at
/// once on a 2-core Space left circuits' renders queued behind it for seconds (docs/benchmarks.md, "Many visitors at
/// once"), so one instance starts with 64. With PostgreSQL and Redis across a network, the spend ledger and the shared
/// counters answer synchronously where their callers are synchronous: hundreds of sessions settling at once hold that
/// many threads for a round trip each, and Redis replies would wait past their timeout, which fails calls closed
/// (docs/benchmarks.md, "The caps on Redis"); so with either server the default is 256.
/// </summary>
public static class ThreadPoolSizing
{
    public const int DefaultMinimum = 256;
    public const int EmbeddedMinimum = 64;

    /// <summary>The minimum of worker threads the configuration asks for.</summary>
    public static int Wanted(IConfiguration configuration)
    {
        var scaleOut = new ScaleOut(configuration);
        return configuration.GetValue("thread_pool_min_threads", scaleOut.UsesRedis || scaleOut.UsesPostgres ? DefaultMinimum : EmbeddedMinimum);
    }

    /// <returns>The minimum of worker threads now in force (never lowered below the runtime's own).</returns>
    public static int Apply(IConfiguration configuration)
    {
        ThreadPool.GetMinThreads(out var worker, out var io);
        var wanted = Wanted(configuration);
        if (wanted > worker && ThreadPool.SetMinThreads(wanted, io))
            return wanted;
        return worker;
    }
}
