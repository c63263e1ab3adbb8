using CoScientist.Core.Distributed;
using CoScientist.Core.Literature;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Distributed;

/// <summary>
/// Two instances of the app sharing one Redis, on one clock the test drives (instances' clocks are assumed in sync):
/// the literature sources see one polite visitor, not one per instance.
/// </summary>
public sealed class SharedLiteraturePaceTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly WaitingClock _clock = new();
    private readonly HttpClient _http = new();
    private readonly List<IDisposable> _owned = [];
    private RedisServer _redis = null!;
    private FakeLiteratureServer _library = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _library = await FakeLiteratureServer.StartAsync(_clock);
    }

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned) owned.Dispose();
        _http.Dispose();
        await _library.DisposeAsync();
        await _redis.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    /// <summary>One instance's shared schedule: its own connection to the common Redis.</summary>
    private RedisPaceSchedule Instance()
    {
        var connection = new RedisConnection(new ScaleOut(new ConfigurationBuilder()
            .AddInMemoryCollection([new("ConnectionStrings:Redis", _redis.ConnectionString)]).Build()), NullLogger<RedisConnection>.Instance);
        _owned.Add(connection);
        return new RedisPaceSchedule(connection);
    }

    /// <summary>One instance's arXiv client: its own cache (data directory) and connection, the common Redis and clock.</summary>
    private ArxivClient Arxiv(IPaceSchedule pace)
    {
        var options = Options.Create(new LiteratureOptions { ArxivBaseUrl = _library.BaseUrl + "/arxiv", TimeoutSeconds = (int)Timeout.TotalSeconds });
        var cache = new LiteratureCache(Options.Create(new StorageOptions { DataDir = CoreHarness.NewDataDir() }), _clock, NullLogger<LiteratureCache>.Instance);
        var client = new ArxivClient(_http, options, cache, _clock, NullLogger<ArxivClient>.Instance, pace: pace);
        _owned.Add(client);
        return client;
    }

    [Fact]
    public async Task ArxivAskedFromTwoInstances_SeesRequestsThreeSecondsApart()
    {
        var first = Arxiv(Instance());
        var second = Arxiv(Instance());

        foreach (var (client, topic) in new[] { (first, "perovskite"), (second, "facade"), (first, "glazing"), (second, "inverter") })
            Assert.Null((await _clock.RunAsync(client.SearchAsync(topic + " photovoltaics", 5), below: Timeout)).Error);

        var times = _library.Requests.Select(r => r.At).Order().ToList();
        Assert.Equal(4, times.Count);
        // The 3 s arXiv asks for, as a number rather than ArxivClient.Spacing: lowering that constant must fail here.
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.True(pair.Second - pair.First >= TimeSpan.FromSeconds(3), $"{pair.First:T} then {pair.Second:T}"));
    }

    [Fact]
    public async Task ARetryAfterSeenByOneInstance_HoldsTheOtherInstanceToo()
    {
        using var first = new RequestPacer(TimeSpan.FromSeconds(1), 1, _clock, "arxiv", Instance());
        using var second = new RequestPacer(TimeSpan.FromSeconds(1), 1, _clock, "arxiv", Instance());
        var asked = _clock.GetUtcNow();

        await first.BackOffUntilAsync(asked + TimeSpan.FromSeconds(20));
        using var turn = await _clock.RunAsync(second.WaitTurnAsync(CancellationToken.None).AsTask(), below: Timeout);

        Assert.True(_clock.GetUtcNow() >= asked + TimeSpan.FromSeconds(20), $"the other instance went ahead after {_clock.GetUtcNow() - asked}");
    }

    [Fact]
    public async Task SlotsTakenAtOnceByTwoInstances_AreEachHandedOutOnce()
    {
        var instances = new[] { Instance(), Instance() };
        var now = _clock.GetUtcNow();
        var interval = TimeSpan.FromMilliseconds(200);

        var slots = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => instances[i % 2].TakeSlotAsync("crossref", now, interval)));

        Assert.Equal(Enumerable.Range(0, 40).Select(i => now + i * interval), slots.Order());
    }

    [Fact]
    public async Task WithRedisUnreachable_ASourceIsReportedUnavailable_AndNotAsked()
    {
        var arxiv = Arxiv(Instance());
        await _redis.StopAsync();

        var result = await _clock.RunAsync(arxiv.SearchAsync("perovskite photovoltaics", 5), below: Timeout);

        Assert.Contains("rate limit", result.Error);
        Assert.Empty(result.Papers);
        Assert.Empty(_library.Requests);
    }
}
