using CoScientist.Web.Hosting;
using Microsoft.Extensions.Configuration;

namespace CoScientist.Tests.Distributed;

public sealed class ThreadPoolSizingTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) => new ConfigurationBuilder()
        .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void WithRedisOrPostgresConfigured_ThePoolStartsWithEnoughThreadsForSynchronousRoundTrips()
    {
        ThreadPool.GetMinThreads(out var before, out _);
        var wanted = Math.Max(before, ThreadPoolSizing.DefaultMinimum) + 1;

        Assert.Equal(before, ThreadPoolSizing.Apply(Config(("thread_pool_min_threads", wanted.ToString()))));
        ThreadPool.GetMinThreads(out var embedded, out _);
        Assert.Equal(before, embedded);

        Assert.Equal(wanted, ThreadPoolSizing.Apply(Config(("ConnectionStrings:Redis", "127.0.0.1:1"), ("thread_pool_min_threads", wanted.ToString()))));
        ThreadPool.GetMinThreads(out var after, out _);
        Assert.Equal(wanted, after);
    }
}
