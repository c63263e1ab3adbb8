using Bunit;
using CoScientist.Core.Research;
using CoScientist.Web.Components.Pages.Research;

namespace CoScientist.Tests.Web;

/// <summary>
/// A page re-renders on every step of a running cycle; with a research of many hypotheses, what it draws again must be
/// what changed, not every card (benchmark render measures it).
/// </summary>
public sealed class RenderCostTests : MudTestContext
{
    [Fact]
    public void AStepsProgress_LeavesTheHypothesisCardsUndrawn()
    {
        var state = Research(size: 20);
        var cut = Render<HypothesisList>(p => p.Add(c => c.Snapshot, state.Snapshot()).Add(c => c.Running, true));
        var renders = cut.FindComponents<HypothesisCard>().Select(c => c.RenderCount).Sum();

        // What the page does at each step event: the same research, read again.
        cut.Render(p => p.Add(c => c.Snapshot, state.Snapshot()).Add(c => c.Running, true));

        Assert.Equal(renders, cut.FindComponents<HypothesisCard>().Select(c => c.RenderCount).Sum());
    }

    [Fact]
    public void AReview_RedrawsOnlyItsOwnCard_AndTheCardShowsIt()
    {
        var state = Research(size: 20);
        var cut = Render<HypothesisList>(p => p.Add(c => c.Snapshot, state.Snapshot()).Add(c => c.Running, true));
        var before = cut.FindComponents<HypothesisCard>().ToDictionary(c => c.Instance.Hypothesis.Id, c => c.RenderCount);

        state.Update("H007", h => h with { Review = Review("A late but thorough critique.") });
        cut.Render(p => p.Add(c => c.Snapshot, state.Snapshot()).Add(c => c.Running, true));

        var redrawn = cut.FindComponents<HypothesisCard>().Where(c => c.RenderCount != before[c.Instance.Hypothesis.Id]).ToList();
        Assert.Equal("H007", Assert.Single(redrawn).Instance.Hypothesis.Id);
        Assert.Contains("A late but thorough critique.", cut.Find("[data-hypothesis-id=H007]").TextContent);
    }

    [Fact]
    public void AMatch_ReordersTheCardsByTheirNewRatings()
    {
        var state = Research(size: 5);
        var cut = Render<HypothesisList>(p => p.Add(c => c.Snapshot, state.Snapshot()));
        Assert.Equal("H001", Order(cut)[0]);

        state.RecordMatch("H005", "H001", "H005", "H005 explains more.", false, []);
        cut.Render(p => p.Add(c => c.Snapshot, state.Snapshot()));

        Assert.Equal("H005", Order(cut)[0]);
        Assert.Equal("H001", Order(cut)[^1]);
    }

    [Fact]
    public void TheResearch_IsReadOnceBetweenChanges_AndEveryChangeShows()
    {
        var state = Research(size: 3);
        var first = state.Snapshot();
        Assert.Same(first, state.Snapshot());

        state.SetDirective("Focus on cheap assays");
        var directed = state.Snapshot();
        Assert.Equal("Focus on cheap assays", directed.PendingDirective);
        // Lists that did not change are the same lists, so a card can tell by reference that it need not be drawn again.
        Assert.Same(first.Hypotheses, directed.Hypotheses);

        state.AddMetaReview(new MetaReview(1, ["x"], "Summary", ["H001"], ["y"], ["z"]));
        Assert.Single(state.Snapshot().MetaReviews);
        state.AddVote("H001", "H002", "H002", DateTimeOffset.UtcNow);
        Assert.Single(state.Snapshot().Votes);
        state.Update("H003", h => h with { Pinned = true });
        Assert.True(state.Snapshot().Hypotheses.Single(h => h.Id == "H003").Pinned);
        Assert.NotSame(directed.Hypotheses, state.Snapshot().Hypotheses);
        state.StartCycle();
        Assert.Equal(2, state.Snapshot().Cycle);
    }

    private static List<string> Order(IRenderedComponent<HypothesisList> cut) =>
        cut.FindAll("[data-testid=hypothesis-card]").Select(c => c.GetAttribute("data-hypothesis-id")!).ToList();

    private static ResearchState Research(int size)
    {
        var state = new ResearchState("Find ways to make lithium-ion batteries safer");
        state.StartCycle();
        for (var i = 0; i < size; i++)
        {
            var h = state.Add(new HypothesisDraft($"Hypothesis {i + 1}", "A statement.", "A rationale.", "A prediction."));
            state.Update(h.Id, x => x with { Review = Review($"Critique {i + 1}.") });
        }
        return state;
    }

    private static Review Review(string critique) =>
        new(new(RatingLevel.High, 8), new(RatingLevel.Medium, 6), new(RatingLevel.High, 7), critique, []);
}
