using CoScientist.Core.Research;
using CoScientist.Core.Configuration;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Extensions;
using CoScientist.Web.Session;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Web;

public sealed class ResearchSessionTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync();
        _services = CoreHarness.Create(_server, more: s => s.AddCoScientistSessions());
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    /// <summary>A new circuit: its own scope, as a new browser tab gets; another browser when <paramref name="browser"/> differs.</summary>
    private ResearchSession NewSession(string browser = "owner-browser")
    {
        var scope = _services.CreateAsyncScope().ServiceProvider;
        scope.GetRequiredService<ClientContext>().Initialize(new CoScientist.Core.Cost.ClientKey("ip-hash", browser));
        return scope.GetRequiredService<ResearchSession>();
    }

    private ResearchForm Form(string goal) =>
        ResearchForm.From(_services.GetRequiredService<IOptions<ResearchOptions>>().Value) is var form ? SetGoal(form, goal) : null!;

    private static ResearchForm SetGoal(ResearchForm form, string goal)
    {
        form.Goal = goal;
        return form;
    }

    [Fact]
    public async Task ClosingTheTab_LeavesItsCycleRunningToTheEnd_AndItsLinkShowsTheResult()
    {
        _server.Hold();
        var session = NewSession();
        await session.StartCycleAsync(Form("goal"));
        await Wait.UntilAsync(() => _server.HeldRequests > 0);
        var id = session.Research.Id;
        var research = session.Research;

        await session.DisposeAsync();
        Assert.True(research.IsRunning, "closing the tab stopped its cycle");
        _server.Release();
        await Wait.UntilAsync(() => !research.IsRunning);

        Assert.Equal(ResearchStatus.Completed, research.Status);
        await using var later = NewSession();
        Assert.True(await later.OpenAsync(id));
        Assert.Equal(ResearchStatus.Completed, later.Status);
        Assert.Equal(research.Snapshot().Hypotheses.Count, later.Snapshot()!.Hypotheses.Count);
        Assert.NotEmpty(later.Snapshot()!.Hypotheses);
    }

    [Fact]
    public async Task TwoTabs_AreIndependentResearchSessions()
    {
        await using var first = NewSession();
        await using var second = NewSession();

        await first.StartCycleAsync(Form("goal one"));
        await Wait.UntilAsync(() => first.Status == ResearchStatus.Completed);

        Assert.NotEqual(first.Id, second.Id);
        Assert.Null(second.State);
        Assert.Equal(ResearchStatus.Idle, second.Status);
        Assert.True(first.State!.Snapshot().Hypotheses.Count > 0);
    }

    [Fact]
    public async Task AnotherCycleOnTheSameGoal_BuildsOnTheFirstAndANewGoalStartsAfresh()
    {
        await using var session = NewSession();
        await session.StartCycleAsync(Form("goal"));
        await Wait.UntilAsync(() => session.Status == ResearchStatus.Completed);
        var first = session.State!;

        await session.StartCycleAsync(Form("goal"));
        await Wait.UntilAsync(() => session.Status == ResearchStatus.Completed && session.State!.Cycle == 2);
        Assert.Same(first, session.State);

        await session.StartCycleAsync(Form("a different goal"));
        Assert.NotSame(first, session.State);
        await Wait.UntilAsync(() => session.Status == ResearchStatus.Completed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task ABlankGoal_IsRefused(string goal)
    {
        await using var session = NewSession();
        Assert.Contains("Enter a research goal", await session.StartCycleAsync(Form(goal)));
    }

    [Fact]
    public async Task AHugeGoal_IsRefusedWithItsLengthAndTheLimit()
    {
        await using var session = NewSession();
        var error = await session.StartCycleAsync(Form(new string('x', 5000)));
        Assert.Contains("5,000", error);
        Assert.Contains("2,000", error);
        Assert.Empty(_server.Requests);
    }


    [Fact]
    public async Task AReaderOfASharedLink_CannotRunCancelRenameShareOrDelete_WhateverTheCircuitSends()
    {
        await using var owner = NewSession();
        await owner.StartCycleAsync(Form("goal"));
        await Wait.UntilAsync(() => !owner.IsRunning);
        var token = await owner.ShareAsync();
        Assert.NotNull(token);
        var id = owner.Research.Id;
        var requests = _server.Requests.Count;

        await using var reader = NewSession("reader-browser");
        Assert.True(await reader.OpenSharedAsync(token!));

        Assert.True(reader.IsReadOnly);
        Assert.Equal("This research is read-only here: only its owner can run cycles.", await reader.StartCycleAsync(Form("goal")));
        reader.Cancel();
        Assert.False(await reader.RenameAsync(id, "mine now"));
        Assert.Null(await reader.ShareAsync());
        Assert.False(await reader.DeleteAsync(id));
        Assert.Equal(requests, _server.Requests.Count);
        Assert.Equal("goal", (await _services.GetRequiredService<CoScientist.Core.Storage.IResearchStore>().GetRecordAsync(id))!.Title);
        // Nor does the owner's address open it for them.
        await using var stranger = NewSession("stranger-browser");
        Assert.False(await stranger.OpenAsync(id));
    }

    [Fact]
    public async Task StartingTheSameGoalWithTheSameModelAgain_FindsTheResearchAlreadyInMyResearch()
    {
        await using var session = NewSession();
        var form = Form("Explain antibiotic resistance");
        await session.StartCycleAsync(form);
        await Wait.UntilAsync(() => !session.IsRunning);
        var first = session.Research.Id;

        session.StartNew();

        var same = await session.SameResearchAsync("  explain antibiotic resistance ", form.Model);
        Assert.Equal(first, same?.Id);
        Assert.Null(await session.SameResearchAsync("Explain antibiotic resistance", "another/model"));
        Assert.Single(await session.MyResearchAsync());
    }
}
