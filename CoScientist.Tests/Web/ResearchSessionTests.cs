using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Configuration;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Session;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Web;

public sealed class ResearchSessionTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync();
        _services = CoreHarness.Create(_server);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    private ResearchSession NewSession() =>
        new(_services.GetRequiredService<CycleSupervisor>(), NullLogger<ResearchSession>.Instance);

    private ResearchSettings Settings => _services.GetRequiredService<IOptions<ResearchOptions>>().Value.ToSettings();

    [Fact]
    public async Task ClosingTheTab_CancelsItsRunningCycle()
    {
        _server.Latency = TimeSpan.FromMilliseconds(200);
        var session = NewSession();
        session.StartCycle("goal", Settings, new LlmCallContext());
        await WaitUntil(() => _server.Requests.Count > 0);

        await session.DisposeAsync();
        var requestsAtClose = _server.Requests.Count;
        await Task.Delay(600);

        Assert.Equal(requestsAtClose, _server.Requests.Count);
        Assert.NotEqual(SessionStatus.Completed, session.Status);
    }

    [Fact]
    public async Task TwoTabs_AreIndependentResearchSessions()
    {
        await using var first = NewSession();
        await using var second = NewSession();

        first.StartCycle("goal one", Settings, new LlmCallContext());
        await WaitUntil(() => first.Status == SessionStatus.Completed);

        Assert.NotEqual(first.Id, second.Id);
        Assert.Null(second.State);
        Assert.Equal(SessionStatus.Idle, second.Status);
        Assert.True(first.State!.Snapshot().Hypotheses.Count > 0);
    }

    [Fact]
    public async Task AnotherCycleOnTheSameGoal_BuildsOnTheFirstAndANewGoalStartsAfresh()
    {
        await using var session = NewSession();
        session.StartCycle("goal", Settings, new LlmCallContext());
        await WaitUntil(() => session.Status == SessionStatus.Completed);
        var first = session.State!;

        session.StartCycle("goal", Settings, new LlmCallContext());
        await WaitUntil(() => session.Status == SessionStatus.Completed && session.State!.Cycle == 2);
        Assert.Same(first, session.State);

        session.StartCycle("a different goal", Settings, new LlmCallContext());
        Assert.NotSame(first, session.State);
        await WaitUntil(() => session.Status == SessionStatus.Completed);
    }

    [Theory]
    [InlineData("", "Enter a research goal")]
    [InlineData("   ", "Enter a research goal")]
    public async Task ABlankGoal_IsRefused(string goal, string message)
    {
        await using var session = NewSession();
        Assert.Contains(message, session.StartCycle(goal, Settings, new LlmCallContext()));
    }

    [Fact]
    public async Task AHugeGoal_IsRefusedWithItsLengthAndTheLimit()
    {
        await using var session = NewSession();
        var error = session.StartCycle(new string('x', 5000), Settings, new LlmCallContext());
        Assert.Contains("5,000", error);
        Assert.Contains("2,000", error);
        Assert.Empty(_server.Requests);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in 30 s");
            await Task.Delay(20);
        }
    }
}
