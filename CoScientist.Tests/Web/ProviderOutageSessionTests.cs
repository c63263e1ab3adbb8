using CoScientist.Core.Research;
using System.Net;
using System.Net.Sockets;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Extensions;
using CoScientist.Web.Session;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Web;

/// <summary>What a visitor sees, and what it costs their allowance, when OpenRouter is down or stalls.</summary>
public sealed class ProviderOutageSessionTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private ServiceProvider _services = null!;
    private readonly ClientKey _visitor = new("ip-hash-9", "browser-hash-9");

    public async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync(seed: 3);

    public async Task DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    private void Build(params (string Key, string Value)[] settings)
    {
        var values = settings.ToDictionary(s => s.Key, s => (string?)s.Value);
        values.TryAdd("num_hypotheses", "1");
        values.TryAdd("evolutions_per_cycle", "1");
        _services = CoreHarness.Create(_server, values, more: s => s.AddCoScientistSessions());
    }

    private ResearchSession NewTab()
    {
        var scope = _services.CreateAsyncScope().ServiceProvider;
        scope.GetRequiredService<ClientContext>().Initialize(_visitor);
        return scope.GetRequiredService<ResearchSession>();
    }

    private ResearchForm Form()
    {
        var form = ResearchForm.From(_services.GetRequiredService<IOptions<ResearchOptions>>().Value);
        form.Goal = "Explain antibiotic resistance";
        form.Hypotheses = 1;
        return form;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task WithOpenRouterDown_TheCycleFailsAndSaysSo_AndUsesUpNoneOfTheVisitorsAllowance()
    {
        Build(("openrouter_base_url", $"http://127.0.0.1:{FreePort()}/api/v1"),
            ("cost_control:max_cycles_per_client_per_hour", "1"), ("cost_control:per_session_limit_requests", "1"));
        var session = NewTab();

        for (var attempt = 0; attempt < 3; attempt++)
        {
            Assert.Null(await session.StartCycleAsync(Form()));
            Assert.True(session.IsRunning, $"attempt {attempt + 1} was refused: {session.LimitMessage}");
            await Wait.UntilAsync(() => !session.IsRunning);

            Assert.Equal(ResearchStatus.Failed, session.Status);
            Assert.Contains("OpenRouter could not be reached", session.StatusMessage);
            Assert.Contains("does not count against your cycle limits", session.StatusMessage);
        }
        Assert.Equal(0, session.Quota.RequestsUsed);
        Assert.Equal(0, session.Quota.CyclesUsed);
        Assert.Equal(0, _services.GetRequiredService<ClientQuotas>().RunningCycles);
    }

    [Fact]
    public async Task ACycleAtItsDeadline_StopsSaysWhy_AndFreesItsServerSlot()
    {
        Build(("cycle_deadline_minutes", "0.05"), ("cost_control:max_concurrent_cycles", "1"));
        _server.Enqueue(FaultKind.None);
        for (var i = 0; i < 30; i++) _server.Enqueue(FaultKind.Stall);
        var session = NewTab();

        Assert.Null(await session.StartCycleAsync(Form()));
        await Wait.UntilAsync(() => !session.IsRunning);

        Assert.Equal(ResearchStatus.Failed, session.Status);
        Assert.Contains("time limit", session.StatusMessage);
        Assert.NotEmpty(session.Snapshot()!.Hypotheses);
        Assert.Equal(0, _services.GetRequiredService<ClientQuotas>().RunningCycles);
        // The slot is free: another visitor's cycle starts at once.
        _server.ResetCounters();
        var other = NewTab();
        Assert.Null(await other.StartCycleAsync(Form()));
        Assert.True(other.IsRunning, other.LimitMessage);
        await other.StopAsync();
    }
}
