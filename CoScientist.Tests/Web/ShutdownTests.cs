using CoScientist.Core.Configuration;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Extensions;
using CoScientist.Web.Hosting;
using CoScientist.Web.Session;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Web;

public sealed class ShutdownTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Shutdown_StopsRunningCyclesSavesThemAsInterruptedAndLeavesNoCallHalfWrittenInTheLedger()
    {
        _server.Hold(); // the cycles cannot finish before the shutdown comes
        var dataDir = CoreHarness.NewDataDir();
        await using var services = CoreHarness.Create(_server, new Dictionary<string, string?> { ["DATA_DIR"] = dataDir },
            more: s => s.AddCoScientistSessions());
        var sessions = Enumerable.Range(0, 3).Select(_ => services.CreateAsyncScope().ServiceProvider.GetRequiredService<ResearchSession>()).ToList();
        foreach (var session in sessions)
        {
            var form = ResearchForm.From(services.GetRequiredService<IOptions<ResearchOptions>>().Value);
            form.Goal = "goal";
            await session.StartCycleAsync(form);
        }
        await Wait.UntilAsync(() => _server.HeldRequests >= 3);

        // A short shutdown timeout: the held cycles cannot finish in its grace period and are cut short.
        var hostOptions = Options.Create(new Microsoft.Extensions.Hosting.HostOptions { ShutdownTimeout = TimeSpan.FromSeconds(5.5) });
        await new ShutdownService(services.GetRequiredService<ResearchHost>(), hostOptions, NullLogger<ShutdownService>.Instance).StopAsync(CancellationToken.None);

        Assert.All(sessions, s => Assert.False(s.IsRunning));
        Assert.Equal(0, services.GetRequiredService<SpendLedger>().OpenReservations());
        var store = services.GetRequiredService<IResearchStore>();
        foreach (var session in sessions)
        {
            var saved = await store.LoadAsync(session.Research.Id);
            Assert.Equal(CycleOutcome.Interrupted, saved!.Reports[^1].Outcome);
        }
    }
}
