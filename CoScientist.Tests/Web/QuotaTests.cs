using Microsoft.Extensions.Time.Testing;
using CoScientist.Core.Research;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Extensions;
using CoScientist.Web.Session;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Web;

public sealed class QuotaTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private ServiceProvider _services = null!;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero));
    private readonly ClientKey _visitor = new("ip-hash-1", "browser-hash-1");

    public async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync();

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
        _services = CoreHarness.Create(_server, values, more: s =>
        {
            s.AddCoScientistSessions();
            s.AddSingleton<TimeProvider>(_clock);
        });
    }

    /// <summary>A new tab of the same visitor.</summary>
    private ResearchSession NewTab(ClientKey? client = null)
    {
        var scope = _services.CreateAsyncScope().ServiceProvider;
        scope.GetRequiredService<ClientContext>().Initialize(client ?? _visitor);
        return scope.GetRequiredService<ResearchSession>();
    }

    private ResearchForm Form(int hypotheses = 1)
    {
        var form = ResearchForm.From(_services.GetRequiredService<IOptions<ResearchOptions>>().Value);
        form.Goal = "Explain antibiotic resistance";
        form.Hypotheses = hypotheses;
        return form;
    }

    private async Task RunAsync(ResearchSession session, int hypotheses = 1)
    {
        Assert.Null(await session.StartCycleAsync(Form(hypotheses)));
        Assert.True(session.IsRunning, $"the cycle was refused: {session.LimitMessage}");
        await Wait.UntilAsync(() => !session.IsRunning);
        Assert.Equal(ResearchStatus.Completed, session.Status);
    }

    [Fact]
    public async Task ASession_IsBlockedAfterItsCyclesAndSaysSo()
    {
        Build(("deployment:max_cycles_per_session", "2"));
        var tab = NewTab();

        await RunAsync(tab);
        await RunAsync(tab);
        var calls = _server.Requests.Count;
        await tab.StartCycleAsync(Form());

        Assert.Equal(ResearchStatus.Blocked, tab.Status);
        Assert.Contains("2/2 cycles", tab.LimitMessage);
        Assert.Contains("your own OpenRouter key", tab.LimitMessage);
        Assert.Equal(calls, _server.Requests.Count);
        Assert.Equal(2, tab.State!.Cycle); // nothing produced is lost
    }

    [Fact]
    public async Task CancelledRuns_CountAsRequestsButNotAsCycles()
    {
        Build(("cost_control:per_session_limit_requests", "2"));
        _server.Hold(); // every run is cancelled before it could finish
        var tab = NewTab();

        for (var i = 0; i < 2; i++)
        {
            await tab.StartCycleAsync(Form());
            Assert.True(tab.IsRunning, tab.LimitMessage);
            tab.Cancel();
            await Wait.UntilAsync(() => !tab.IsRunning);
        }
        await tab.StartCycleAsync(Form());

        Assert.Equal(0, tab.Quota.CyclesUsed);
        Assert.Equal(ResearchStatus.Blocked, tab.Status);
        Assert.Contains("2/2 requests", tab.LimitMessage);
    }

    [Fact]
    public async Task ANewTab_DoesNotResetTheHourlyLimitAndItResetsAfterAnHour()
    {
        Build(("cost_control:max_cycles_per_client_per_hour", "2"));
        await RunAsync(NewTab());
        await RunAsync(NewTab());

        var third = NewTab();
        await third.StartCycleAsync(Form());
        Assert.Equal(ResearchStatus.Blocked, third.Status);
        Assert.Contains("2/2 cycles in the last hour", third.LimitMessage);
        Assert.Contains("10:00 UTC", third.LimitMessage);

        var sameBrowserNewNetwork = NewTab(new ClientKey("another-ip", _visitor.BrowserHash));
        await sameBrowserNewNetwork.StartCycleAsync(Form());
        Assert.Equal(ResearchStatus.Blocked, sameBrowserNewNetwork.Status);

        _clock.Advance(TimeSpan.FromMinutes(61));
        await RunAsync(NewTab());
    }

    [Fact]
    public async Task TheServerWideLimit_OnConcurrentCyclesAppliesToEveryone()
    {
        Build(("cost_control:max_concurrent_cycles", "1"));
        _server.Hold(); // the first cycle is still running when the second asks
        var first = NewTab(new ClientKey("a", "a"));
        await first.StartCycleAsync(Form());
        Assert.True(first.IsRunning, first.LimitMessage);

        var second = NewTab(new ClientKey("b", "b"));
        await second.StartCycleAsync(Form());

        Assert.Equal(ResearchStatus.Blocked, second.Status);
        Assert.Contains("maximum of 1 cycles at once", second.LimitMessage);
        first.Cancel();
        await Wait.UntilAsync(() => !first.IsRunning);
        _server.Release();
        await RunAsync(second);
    }

    [Fact]
    public async Task AnIdleSession_Ends()
    {
        Build(("deployment:session_timeout_minutes", "30"));
        var tab = NewTab();
        await RunAsync(tab);

        _clock.Advance(TimeSpan.FromMinutes(31));
        await tab.StartCycleAsync(Form());

        Assert.Equal(ResearchStatus.Blocked, tab.Status);
        Assert.Contains("30 minutes without activity", tab.LimitMessage);
    }

    [Fact]
    public async Task InProduction_HypothesesPerCycleAreClampedWhateverTheBrowserSends()
    {
        Build(("DEPLOYMENT_ENV", "production"), ("cost_control:allowed_models_production:0", "google/gemini-2.5-flash"),
            ("deployment:max_hypotheses_per_cycle", "3"), ("evolutions_per_cycle", "0"));
        var tab = NewTab();

        Assert.Contains("Hypotheses per cycle 50 is outside what this deployment allows; 3 is used.", tab.ClampNotices(Form(50)));
        await RunAsync(tab, hypotheses: 50);

        Assert.Equal(3, tab.State!.Snapshot().Hypotheses.Count);
    }

    [Fact]
    public async Task InProduction_AModelOutsideTheAllowListIsRefused()
    {
        Build(("DEPLOYMENT_ENV", "production"), ("cost_control:allowed_models_production:0", "meta-llama/llama-3.1-8b-instruct"));
        var tab = NewTab();
        var form = Form();
        form.Model = "anthropic/claude-opus-5";

        var error = await tab.StartCycleAsync(form);

        Assert.Contains("anthropic/claude-opus-5 is not available on the shared key", error);
        Assert.Empty(_server.Requests);
    }

}
