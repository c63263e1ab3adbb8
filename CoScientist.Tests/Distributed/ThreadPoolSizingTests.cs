using CoScientist.Web.Hosting;
using Microsoft.Extensions.Configuration;

namespace CoScientist.Tests.Distributed;

public sealed class ThreadPoolSizingTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) => new ConfigurationBuilder()
        .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void OneInstance_StartsWithThreadsForABurstOfCycles_AndRedisOrPostgres_WithEnoughForSynchronousRoundTrips()
    {
        Assert.Equal(64, ThreadPoolSizing.Wanted(Config()));
        Assert.Equal(256, ThreadPoolSizing.Wanted(Config(("ConnectionStrings:Redis", "127.0.0.1:1"))));
        Assert.Equal(256, ThreadPoolSizing.Wanted(Config(("ConnectionStrings:Postgres", "Host=127.0.0.1"))));
        Assert.Equal(16, ThreadPoolSizing.Wanted(Config(("thread_pool_min_threads", "16"))));
    }

    [Fact]
    public void TheSetting_RaisesThePool_AndNeverLowersIt()
    {
        ThreadPool.GetMinThreads(out var before, out _);
        var wanted = Math.Max(before, ThreadPoolSizing.DefaultMinimum) + 1;

        Assert.Equal(before, ThreadPoolSizing.Apply(Config(("thread_pool_min_threads", "1"))));
        ThreadPool.GetMinThreads(out var unchanged, out _);
        Assert.Equal(before, unchanged);

        Assert.Equal(wanted, ThreadPoolSizing.Apply(Config(("thread_pool_min_threads", wanted.ToString()))));
        ThreadPool.GetMinThreads(out var after, out _);
        Assert.Equal(wanted, after);
    }
}
