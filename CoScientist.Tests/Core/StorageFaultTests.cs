using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Extensions;
using CoScientist.Web.Session;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Core;

/// <summary>A data directory that turns read-only or full: the app refuses to spend what it cannot record, and says why.</summary>
public sealed class StorageFaultTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync(seed: 13);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private ServiceProvider Services(string dataDir) => CoreHarness.Create(_server, new Dictionary<string, string?>
    {
        ["DATA_DIR"] = dataDir, ["num_hypotheses"] = "2", ["evolutions_per_cycle"] = "1",
    }, more: s => s.AddCoScientistSessions());

    private static ResearchForm Form(IServiceProvider services)
    {
        var form = ResearchForm.From(services.GetRequiredService<IOptions<ResearchOptions>>().Value);
        form.Goal = "Explain antibiotic resistance";
        return form;
    }

    [Fact]
    public async Task ADataDirectoryReadOnlyAtStart_RefusesCyclesWithAReason_AndMakesNoCall()
    {
        using var disk = BrokenDisk.At(CoreHarness.NewDataDir());
        disk.MakeReadOnly();
        await using var services = Services(disk.Path);
        var session = services.CreateAsyncScope().ServiceProvider.GetRequiredService<ResearchSession>();

        Assert.Null(await session.StartCycleAsync(Form(services)));

        Assert.False(session.IsRunning);
        Assert.Equal(ResearchStatus.Blocked, session.Status);
        Assert.Contains("cannot write its spend ledger", session.LimitMessage);
        Assert.Empty(_server.Requests);
        Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() => services.GetRequiredService<SpendLedger>().CheckWritable(DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public async Task ADiskThatFillsUpMidCycle_StopsTheCycle_KeepsWhatFinished_AndTheCapsCountEveryCharge()
    {
        using var disk = BrokenDisk.SmallVolume(kilobytes: 2048);
        await using var services = Services(disk.Path);
        var state = new ResearchState("Explain antibiotic resistance");
        var settings = services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings() with { MaxParallelCalls = 1 };
        var filled = false;

        var events = new List<CycleEvent>();
        await foreach (var e in services.GetRequiredService<CycleSupervisor>().RunCycleAsync(state, settings, new LlmCallContext()))
        {
            events.Add(e);
            if (!filled && e is HypothesisAdded)
            {
                disk.Fill();
                filled = true;
            }
        }

        var report = Assert.IsType<CycleCompleted>(events[^1]).Report;
        Assert.Equal(CycleOutcome.Failed, report.Outcome);
        Assert.Contains("cannot write its spend ledger", report.Message);
        Assert.NotEmpty(state.Snapshot().Hypotheses);
        Assert.True(services.GetRequiredService<SpendGuard>().Totals().Today >= _server.TotalCharged,
            "a call the disk could not record was counted at less than it cost");
    }

    [Fact]
    public async Task ADataDirectoryThatTurnsReadOnlyMidCycle_StopsTheNextCall()
    {
        using var disk = BrokenDisk.At(CoreHarness.NewDataDir());
        await using var services = Services(disk.Path);
        var state = new ResearchState("Explain antibiotic resistance");
        var settings = services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings() with { MaxParallelCalls = 1 };
        var callsAtBreak = -1;

        var events = new List<CycleEvent>();
        await foreach (var e in services.GetRequiredService<CycleSupervisor>().RunCycleAsync(state, settings, new LlmCallContext()))
        {
            events.Add(e);
            if (callsAtBreak < 0 && e is ReviewCompleted)
            {
                disk.MakeReadOnly();
                callsAtBreak = _server.Requests.Count;
            }
        }

        var report = Assert.IsType<CycleCompleted>(events[^1]).Report;
        Assert.Equal(CycleOutcome.Failed, report.Outcome);
        Assert.Contains("cannot write its spend ledger", report.Message);
        Assert.True(_server.Requests.Count <= callsAtBreak + 1, "calls went on after the ledger stopped taking writes");
        Assert.Contains(state.Snapshot().Hypotheses, h => h.Review is not null);
    }
}
