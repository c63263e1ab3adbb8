using Bunit;
using CoScientist.Core.Configuration;
using CoScientist.Core.Research;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Components.Pages.Research;
using CoScientist.Web.Extensions;
using CoScientist.Web.Session;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Web;

/// <summary>The owner's controls (add, vote, pin, reject, directive) and what a reader of a shared link sees instead.</summary>
public class ScientistInTheLoopComponentTests : MudTestContext
{
    private readonly List<string> _calls = [];

    private ScientistActions Actions => new(
        d => Done($"add {d.Title}"),
        (a, b, winner) => Done($"vote {a} {b} {winner}"),
        (id, on) => Done($"pin {id} {on}"),
        (id, on) => Done($"reject {id} {on}"),
        d => Done($"directive {d}"));

    private Task<string?> Done(string call)
    {
        _calls.Add(call);
        return Task.FromResult<string?>(null);
    }

    private static Hypothesis Card(bool pinned = false, bool rejected = false) =>
        SampleResearch.Build().Hypotheses[0] with { Pinned = pinned, Rejected = rejected };

    [Fact]
    public void PinAndReject_OnACard_AskTheServerForTheChange()
    {
        var cut = Render<HypothesisCard>(p => p.Add(c => c.Hypothesis, Card()).AddCascadingValue(Actions));

        cut.Find("[data-testid=pin-hypothesis]").Click();
        cut.Find("[data-testid=reject-hypothesis]").Click();

        Assert.Equal(["pin H001 True", "reject H001 True"], _calls);
    }

    [Fact]
    public void ARejectedCard_IsGreyedAndOffersRestore_APinnedOneIsMarkedAndOffersUnpin()
    {
        var rejected = Render<HypothesisCard>(p => p.Add(c => c.Hypothesis, Card(rejected: true)).AddCascadingValue(Actions));
        var pinned = Render<HypothesisCard>(p => p.Add(c => c.Hypothesis, Card(pinned: true)).AddCascadingValue(Actions));

        Assert.Equal("true", rejected.Find("[data-testid=hypothesis-card]").GetAttribute("data-rejected"));
        Assert.Contains("hypothesis-rejected", rejected.Find("[data-testid=hypothesis-card]").ClassName);
        Assert.Contains("Restore", rejected.Find("[data-testid=reject-hypothesis]").TextContent);
        Assert.NotEmpty(pinned.FindAll("[data-testid=pinned-badge]"));
        Assert.Contains("Unpin", pinned.Find("[data-testid=pin-hypothesis]").TextContent);
        pinned.Find("[data-testid=pin-hypothesis]").Click();
        Assert.Equal(["pin H001 False"], _calls);
    }

    [Fact]
    public void AReaderOfASharedLink_SeesPinsRejectionsVotesAndTheDirective_ButNoControl()
    {
        var state = ResearchState.Restore(SampleResearch.Build());
        state.Update("H001", h => h with { Pinned = true });
        state.Update("H002", h => h with { Rejected = true });
        state.AddVote("H001", "H002", "H001", DateTimeOffset.UtcNow);
        state.SetDirective("Prefer cheap experiments");
        var snapshot = state.Snapshot();

        var list = Render<HypothesisList>(p => p.Add(c => c.Snapshot, snapshot));
        var panel = Render<ScientistPanel>(p => p.Add(c => c.Snapshot, snapshot));

        Assert.NotEmpty(list.FindAll("[data-testid=pinned-badge]"));
        Assert.Single(list.FindAll("[data-rejected=true]"));
        Assert.Empty(list.FindAll("[data-testid=pin-hypothesis], [data-testid=reject-hypothesis]"));
        Assert.Contains("Prefer cheap experiments", panel.Find("[data-testid=pending-directive]").TextContent);
        Assert.Contains("1 vote", panel.Find("[data-testid=vote-agreement]").TextContent);
        Assert.Empty(panel.FindAll("[data-testid=add-hypothesis], [data-testid=directive-input], [data-testid=vote-a], [data-testid=vote-b]"));
        Assert.NotEmpty(panel.FindAll("[data-testid=scientist-read-only]"));
    }

    [Fact]
    public void AddingAHypothesis_WithBlankFields_SaysWhichAreMissing_AndAFullOneIsSent()
    {
        var cut = Render<AddHypothesisForm>(p => p.AddCascadingValue(Actions));

        cut.Find("[data-testid=new-title]").Input("Efflux first");
        cut.Find("[data-testid=add-hypothesis-submit]").Click();

        var problems = cut.FindAll("[data-testid=add-hypothesis-error]").Select(e => e.TextContent.Trim()).ToList();
        Assert.Equal(["The statement is required.", "The rationale is required.", "The prediction is required."], problems);
        Assert.Empty(_calls);

        cut.Find("[data-testid=new-statement]").Input("Efflux pumps act before target mutations.");
        cut.Find("[data-testid=new-rationale]").Input("They are quick to upregulate.");
        cut.Find("[data-testid=new-prediction]").Input("Blocking efflux slows resistance.");
        cut.Find("[data-testid=add-hypothesis-submit]").Click();

        Assert.Equal(["add Efflux first"], _calls);
        Assert.Contains("next cycle", cut.Find("[data-testid=add-hypothesis-done]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=add-hypothesis-error]"));
        Assert.Equal(ScientistInput.MaxTitle.ToString(), cut.Find("[data-testid=new-title]").GetAttribute("maxlength"));
    }

    [Fact]
    public void AHypothesisCannotBeAdded_WhileACycleRuns()
    {
        var cut = Render<AddHypothesisForm>(p => p.Add(c => c.Running, true).AddCascadingValue(Actions));

        Assert.True(cut.Find("[data-testid=add-hypothesis-submit]").HasAttribute("disabled"));
    }

    [Fact]
    public void Voting_ShowsTwoHypothesesSideBySide_RecordsThePick_AndOffersAnotherPair()
    {
        var snapshot = SampleResearch.Build();
        var cut = Render<VotePanel>(p => p.Add(c => c.Snapshot, snapshot).AddCascadingValue(Actions));

        var a = cut.Find("[data-testid=vote-option-a]").GetAttribute("data-hypothesis-id")!;
        var b = cut.Find("[data-testid=vote-option-b]").GetAttribute("data-hypothesis-id")!;
        Assert.NotEqual(a, b);
        cut.Find("[data-testid=vote-b]").Click();

        Assert.Equal([$"vote {a} {b} {b}"], _calls);
        var next = (cut.Find("[data-testid=vote-option-a]").GetAttribute("data-hypothesis-id"), cut.Find("[data-testid=vote-option-b]").GetAttribute("data-hypothesis-id"));
        Assert.NotEqual((a, b), next);
    }

    [Fact]
    public void TheNextPair_IsTheClosestInRatingThatIsNeitherVotedOnNorRejected()
    {
        var state = ResearchState.Restore(SampleResearch.Build());
        foreach (var (id, elo) in new[] { ("H001", 1300.0), ("H002", 1290.0), ("H003", 1200.0) })
            state.Update(id, h => h with { Elo = elo });
        Assert.Equal(("H001", "H002"), Ids(VoteTrack.NextPair(state.Snapshot())));

        state.AddVote("H002", "H001", "H001", DateTimeOffset.UtcNow);
        Assert.Equal(("H002", "H003"), Ids(VoteTrack.NextPair(state.Snapshot())));

        state.Update("H003", h => h with { Rejected = true });
        Assert.Null(VoteTrack.NextPair(state.Snapshot()));

        static (string, string)? Ids((Hypothesis A, Hypothesis B)? pair) => pair is { } p ? (p.A.Id, p.B.Id) : null;
    }

    [Fact]
    public void TheAgreementWithTheJudge_CountsOnlyPairsBothDecided()
    {
        // The sample's judge: H001 beat H002, H003 beat H001.
        var state = ResearchState.Restore(SampleResearch.Build());
        state.AddVote("H001", "H002", "H001", DateTimeOffset.UtcNow); // agrees
        state.AddVote("H003", "H001", "H001", DateTimeOffset.UtcNow); // disagrees
        state.AddVote("H002", "H003", "H002", DateTimeOffset.UtcNow); // the judge never compared these

        var cut = Render<VotePanel>(p => p.Add(c => c.Snapshot, state.Snapshot()).Add(c => c.Weight, 2.0).AddCascadingValue(Actions));

        var agreement = cut.Find("[data-testid=vote-agreement]").TextContent;
        Assert.Contains("3 votes", agreement);
        Assert.Contains("On the 2 pair(s)", agreement);
        Assert.Contains("you agree on 1 (50", agreement);
        Assert.Contains("counts as 2", cut.Find("[data-testid=vote-weight]").TextContent);
        Assert.NotEmpty(cut.FindAll("[data-testid=vote-none]")); // every pair of three is voted on
    }

    [Fact]
    public void ADirective_IsSent_ShownWhilePending_AndInTheCyclesReportAndTheExport()
    {
        var box = Render<DirectiveBox>(p => p.AddCascadingValue(Actions));
        box.Find("[data-testid=directive-input]").Input("Focus on low-cost experiments");
        box.Find("[data-testid=directive-save]").Click();
        Assert.Equal(["directive Focus on low-cost experiments"], _calls);

        var pending = Render<DirectiveBox>(p => p.Add(c => c.Pending, "Focus on low-cost experiments").AddCascadingValue(Actions));
        Assert.Contains("Focus on low-cost experiments", pending.Find("[data-testid=pending-directive]").TextContent);

        var report = Render<CycleProgress>(p => p.Add(c => c.Cycle, 2).Add(c => c.Directive, "Focus on low-cost experiments"));
        Assert.Contains("Focus on low-cost experiments", report.Find("[data-testid=report-directive]").TextContent);

        var sample = SampleResearch.Build();
        var directed = sample with { Reports = [sample.Reports[0] with { Directive = "Focus on low-cost experiments" }] };
        Assert.Contains("- Cycle 1: Focus on low-cost experiments", ResearchExport.ToMarkdown(directed, null, DateTimeOffset.UnixEpoch));
    }
}

/// <summary>The server refuses the owner's actions from a read-only link, whatever the circuit sends.</summary>
public sealed class ScientistSessionTests : IAsyncLifetime
{
    private FakeOpenRouterServer _server = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeOpenRouterServer.StartAsync();
        _services = CoreHarness.Create(_server, new Dictionary<string, string?> { ["num_hypotheses"] = "2" }, more: s => s.AddCoScientistSessions());
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    private ResearchSession NewSession(string browser)
    {
        var scope = _services.CreateAsyncScope().ServiceProvider;
        scope.GetRequiredService<ClientContext>().Initialize(new CoScientist.Core.Cost.ClientKey("ip-hash", browser));
        return scope.GetRequiredService<ResearchSession>();
    }

    [Fact]
    public async Task ThroughASharedLink_EvenTheOwnersBrowser_CannotAddVotePinRejectOrSteer()
    {
        await using var owner = NewSession("owner-browser");
        var form = ResearchForm.From(_services.GetRequiredService<IOptions<ResearchOptions>>().Value);
        form.Goal = "Explain antibiotic resistance";
        Assert.Null(await owner.StartCycleAsync(form));
        await Wait.UntilAsync(() => !owner.IsRunning);
        var token = await owner.ShareAsync();
        var (a, b) = (owner.Snapshot()!.Hypotheses[0].Id, owner.Snapshot()!.Hypotheses[1].Id);

        await using var reader = NewSession("owner-browser");
        Assert.True(await reader.OpenSharedAsync(token!));

        Assert.False(reader.CanSteer);
        Assert.Null(ScientistActions.For(reader));
        Assert.NotNull(await reader.AddHypothesisAsync(new HypothesisDraft("t", "s", "r", "p")));
        Assert.NotNull(await reader.VoteAsync(a, b, a));
        Assert.NotNull(await reader.SetPinnedAsync(a, true));
        Assert.NotNull(await reader.SetRejectedAsync(b, true));
        Assert.NotNull(await reader.SetDirectiveAsync("mine"));
        var after = owner.Snapshot()!;
        Assert.DoesNotContain(after.Hypotheses, h => h.Pinned || h.Rejected || h.Origin == HypothesisOrigin.Scientist);
        Assert.Empty(after.Votes);
        Assert.Null(after.PendingDirective);

        Assert.True(owner.CanSteer);
        Assert.Null(await owner.SetPinnedAsync(a, true));
        Assert.True(owner.Snapshot()!.Hypotheses.Single(h => h.Id == a).Pinned);
    }
}
