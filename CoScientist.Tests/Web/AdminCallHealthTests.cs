using Bunit;
using CoScientist.Core.Research;
using CoScientist.Core.Telemetry;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Components.Pages.Admin;
using CoScientist.Web.Extensions;
using CoScientist.Web.Session;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CoScientist.Tests.Web;

/// <summary>The admin page's call health: response times and error rates per model and step, session durations, refused models.</summary>
public sealed class AdminCallHealthTests : MudTestContext
{
    private FakeOpenRouterServer _server = null!;

    public override async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }

    private void AddAdminServices() => AddAppServices(new Dictionary<string, string?>
    {
        ["openrouter_base_url"] = _server.BaseUrl,
        ["OPENROUTER_API_KEY"] = FakeOpenRouterServer.ValidKey,
    });

    private static List<string> Cells(IRenderedComponent<AdminPage> cut, string model, string step) =>
        cut.Find($"[data-testid=call-health] tr[data-model='{model}'][data-step='{step}']").QuerySelectorAll("td").Select(c => c.TextContent).ToList();

    [Fact]
    public void TheOperatorSeesResponseTimesAndErrorRates_ForEachModelAndStep()
    {
        AddAdminServices();
        var health = Services.GetRequiredService<CallHealth>();
        foreach (var seconds in new[] { 1.0, 2.0, 3.0, 4.0 })
            health.Call("google/gemini-2.5-flash", CycleStep.Reflection, TimeSpan.FromSeconds(seconds), Outcomes.Ok, rateLimitedAttempts: 0, serverErrorAttempts: 0);
        health.Call("google/gemini-2.5-flash", CycleStep.Reflection, TimeSpan.FromSeconds(1.5), Outcomes.Ok, rateLimitedAttempts: 2, serverErrorAttempts: 0);
        health.Call("google/gemini-2.5-flash", CycleStep.Reflection, TimeSpan.FromSeconds(60), "ProviderError", rateLimitedAttempts: 0, serverErrorAttempts: 4);
        health.ParseFailure("google/gemini-2.5-flash", CycleStep.Reflection);
        health.Call("openai/gpt-4o-mini", CycleStep.Ranking, TimeSpan.FromSeconds(0.25), Outcomes.Ok, 0, 0);

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=call-health] tr[data-step]")));
        Assert.Equal(["google/gemini-2.5-flash", "Reflection", "6", "2.00 s", "4.00 s", "16.7% (1)", "16.7% (1)", "16.7% (1)"],
            Cells(cut, "google/gemini-2.5-flash", "Reflection"));
        Assert.Equal(["openai/gpt-4o-mini", "Ranking", "1", "0.25 s", "0.25 s", "0%", "0%", "0%"], Cells(cut, "openai/gpt-4o-mini", "Ranking"));
        Assert.Empty(cut.FindAll("[data-testid=call-health-empty]"));
    }

    [Fact]
    public void BeforeAnyCall_TheTableSaysSo()
    {
        AddAdminServices();

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=call-health-empty]")));
        Assert.Empty(cut.FindAll("[data-testid=call-health] tr[data-step]"));
        Assert.Contains("No session has closed yet", cut.Find("[data-testid=session-durations]").TextContent);
    }

    [Fact]
    public void TheOperatorSeesHowLongSessionsLasted()
    {
        AddAdminServices();
        var registry = Services.GetRequiredService<SessionRegistry>();
        foreach (var (id, lasted) in new[] { ("a", 30.0), ("b", 90.0), ("c", 1200.0) })
        {
            var opened = DateTimeOffset.UtcNow.AddSeconds(-lasted);
            registry.Add(id, () => new SessionSummary(id, "client", opened, 0, 0, false, false));
            registry.Remove(id);
        }

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.Equal("3", cut.Find("[data-testid=session-durations]").GetAttribute("data-sessions")));
        Assert.Contains("p50 1 min 30 s, p95 20 min 0 s over 3 sessions", cut.Find("[data-testid=session-durations]").TextContent);
    }

    [Fact]
    public void TheOperatorSeesTheModelsVisitorsAskedForInVain_MostRequestedFirst_AsInertText()
    {
        AddAdminServices();
        var refused = Services.GetRequiredService<RefusedModels>();
        const string hostile = "<img src=x onerror=alert(1)>";
        foreach (var id in new[] { "openai/gpt-4o", hostile, "openai/gpt-4o", "anthropic/claude-3.5-sonnet", "openai/gpt-4o", hostile })
            refused.Record(id, inCatalogue: id != hostile);
        for (var i = 0; i < 12; i++)
            refused.Record("rare/model-" + i, inCatalogue: false);

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=refused-models] tbody tr")));
        var rows = cut.FindAll("[data-testid=refused-models] tbody tr").Select(r => r.QuerySelectorAll("td").Select(c => c.TextContent).ToList()).ToList();
        Assert.Equal(10, rows.Count);
        Assert.Equal(["openai/gpt-4o", "3"], rows[0]);
        Assert.Equal([hostile, "2"], rows[1]);
        Assert.Equal(["anthropic/claude-3.5-sonnet", "1"], rows[2]);
        Assert.Empty(cut.FindAll("[data-testid=refused-models] img"));
    }
}

/// <summary>A session's duration is its circuit's life: from the scope that creates it to the scope's disposal.</summary>
public sealed class SessionDurationTests
{
    [Fact]
    public async Task ASessionsDuration_RunsFromItsCircuitOpeningToItsClosing()
    {
        await using var server = await FakeOpenRouterServer.StartAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var services = CoreHarness.Create(server, more: s =>
        {
            s.AddCoScientistSessions();
            s.AddSingleton<TimeProvider>(clock);
        });
        var registry = services.GetRequiredService<SessionRegistry>();
        foreach (var minutes in new[] { 0.5, 1.5, 20 })
        {
            var circuit = services.CreateAsyncScope();
            circuit.ServiceProvider.GetRequiredService<ResearchSession>();
            Assert.Single(registry.Active());
            clock.Advance(TimeSpan.FromMinutes(minutes));
            await circuit.DisposeAsync();
        }

        var durations = registry.Durations();
        Assert.Empty(registry.Active());
        Assert.Equal((3, TimeSpan.FromSeconds(90), TimeSpan.FromMinutes(20)), (durations.Sessions, durations.P50, durations.P95));
    }
}
