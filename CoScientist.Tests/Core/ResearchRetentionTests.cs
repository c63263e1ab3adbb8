using CoScientist.Core;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CoScientist.Tests.Core;

/// <summary>Research nobody shared is deleted after storage:retention_days without activity; the rest stays.</summary>
public class ResearchRetentionTests : IDisposable
{
    private const string Sweep = nameof(IResearchStore.DeleteInactiveAsync);
    private static readonly DateTimeOffset Now = ResearchStoreTests.Start;
    private readonly FakeTimeProvider _clock = new(Now);
    private readonly CapturingLoggerProvider _logs = new();
    private readonly LoggerFactory _loggers;

    public ResearchRetentionTests() => _loggers = new LoggerFactory([_logs]);

    public void Dispose() => _loggers.Dispose();

    protected virtual Task<IResearchStore> NewStoreAsync() => Task.FromResult<IResearchStore>(ResearchStoreTests.NewStore());

    private ResearchRetention Retention(IResearchStore store, int days = 30) =>
        new(store, Options.Create(new StorageOptions { RetentionDays = days }), _clock, _loggers.CreateLogger<ResearchRetention>());

    private static async Task<ResearchRecord> SaveAsync(IResearchStore store, string goal, DateTimeOffset lastActivity,
        Func<ResearchRecord, ResearchRecord>? change = null)
    {
        var record = ResearchRecord.New(ResearchIds.New(), goal, new ResearchSettings { Model = "google/gemini-2.5-flash" }, lastActivity);
        record = change?.Invoke(record) ?? record;
        await store.CreateAsync(record);
        return record;
    }

    private static async Task<bool> ExistsAsync(IResearchStore store, ResearchRecord record) => await store.GetRecordAsync(record.Id) is not null;

    [Fact]
    public async Task ResearchInactiveLongerThanTheRetention_IsDeletedShortlyAfterStart_AndAgainSixHoursLater_WhileTheRestIsKept()
    {
        var saved = await NewStoreAsync();
        var (store, observer) = ObservedResearchStore.Around(saved);
        var stale = await SaveAsync(saved, "A private goal about zinc-air batteries", Now.AddDays(-31));
        var recent = await SaveAsync(saved, "recent", Now.AddDays(-29));
        var shared = await SaveAsync(saved, "shared", Now.AddDays(-90), r => r with { ShareToken = ResearchIds.New() });
        var example = await SaveAsync(saved, "example", Now.AddDays(-90), r => r with { IsExample = true });
        var running = await SaveAsync(saved, "running", Now.AddDays(-90), r => r with { RunningCycle = 2 });
        var expiresBetweenSweeps = await SaveAsync(saved, "expires between sweeps", Now.AddDays(-30).AddHours(1));
        using var retention = Retention(store);

        await retention.StartAsync(CancellationToken.None);
        Assert.False(observer.HasPendingCall(Sweep));
        _clock.Advance(ResearchRetention.FirstDelay);
        var cutoff = (DateTimeOffset)(await observer.NextCallAsync(Sweep))[0]!;

        Assert.Equal(Now + ResearchRetention.FirstDelay - TimeSpan.FromDays(30), cutoff);
        Assert.False(await ExistsAsync(saved, stale));
        foreach (var kept in new[] { recent, shared, example, running, expiresBetweenSweeps })
            Assert.True(await ExistsAsync(saved, kept), kept.Goal + " was deleted");

        _clock.Advance(ResearchRetention.Interval - TimeSpan.FromSeconds(1));
        Assert.False(observer.HasPendingCall(Sweep));
        _clock.Advance(TimeSpan.FromSeconds(1));
        var laterCutoff = (DateTimeOffset)(await observer.NextCallAsync(Sweep))[0]!;

        Assert.Equal(cutoff + ResearchRetention.Interval, laterCutoff);

        Assert.False(await ExistsAsync(saved, expiresBetweenSweeps));
        Assert.True(await ExistsAsync(saved, recent));
        Assert.Contains(_logs.Lines, l => l.StartsWith("Information") && l.Contains("Retention sweep deleted 1 research"));
        Assert.DoesNotContain("zinc-air", _logs.All);
        Assert.DoesNotContain(stale.Id, _logs.All);
        await retention.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ASweepThatMeetsAStorageFailure_IsLogged_AndTheNextSweepStillDeletes()
    {
        var saved = await NewStoreAsync();
        var (store, observer) = ObservedResearchStore.Around(saved);
        var stale = await SaveAsync(saved, "stale", Now.AddDays(-8));
        observer.Fail(Sweep, times: 1);
        using var retention = Retention(store, days: 7);

        await retention.StartAsync(CancellationToken.None);
        _clock.Advance(ResearchRetention.FirstDelay);
        await observer.NextCallAsync(Sweep);
        Assert.True(await ExistsAsync(saved, stale));

        _clock.Advance(ResearchRetention.Interval);
        await observer.NextCallAsync(Sweep);

        Assert.False(await ExistsAsync(saved, stale));
        Assert.False(retention.ExecuteTask!.IsCompleted, "the sweep stopped running");
        Assert.Contains(_logs.Lines, l => l.StartsWith("Error") && l.Contains("Retention sweep failed; it runs again in 6 hours"));
        await retention.StopAsync(CancellationToken.None);
        Assert.Equal(1, retention.LastSweep?.Deleted);
        Assert.Null(retention.LastSweep?.Failure);
    }

    [Fact]
    public void TheApp_RunsTheRetentionSweep()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DATA_DIR"] = CoreHarness.NewDataDir(),
        }).Build());
        services.AddLogging();
        services.AddCoScientistCore();
        using var provider = services.BuildServiceProvider();

        Assert.Contains(provider.GetServices<IHostedService>(), s => s is ResearchRetention);
    }
}
