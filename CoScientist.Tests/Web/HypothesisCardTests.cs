using Bunit;
using Microsoft.Extensions.DependencyInjection;
using CoScientist.Core.Research;
using CoScientist.Web.Components.Pages.Research;

namespace CoScientist.Tests.Web;

public class HypothesisCardTests : MudTestContext
{
    private static Hypothesis Sample(string title = "Gut microbes modulate tau") => new()
    {
        Id = "H004", Title = title, Statement = "Statement text", Rationale = "Because", Prediction = "Fewer tangles",
        CycleCreated = 2, Elo = 1231.6, Wins = 3, Losses = 1, Origin = HypothesisOrigin.Evolved, ParentIds = ["H001", "H002"],
        Strategy = EvolutionStrategy.Combination,
        Review = new Review(new(RatingLevel.High, 8), new(RatingLevel.Medium, 5), new(RatingLevel.Low, 3), "Weak assumption X", []),
    };

    [Fact]
    public void ACard_ShowsTitleEloRecordReviewAndLineage()
    {
        var cut = Render<HypothesisCard>(p => p.Add(c => c.Hypothesis, Sample()).Add(c => c.Rank, 1));

        Assert.Contains("Gut microbes modulate tau", cut.Find("[data-testid=hypothesis-title]").TextContent);
        Assert.Equal("1232", cut.Find("[data-testid=hypothesis-elo]").TextContent);
        Assert.Contains("(3–1)", cut.Markup);
        Assert.Contains("Novelty High · 8/10", cut.Find("[data-testid=hypothesis-review]").TextContent);
        var lineage = cut.Find("[data-testid=hypothesis-lineage]").TextContent;
        Assert.Contains("evolved by combination from", lineage);
        Assert.Contains("H001", lineage);
        Assert.Contains("H002", lineage);
        Assert.Contains("Weak assumption X", cut.Markup);
    }

    [Fact]
    public void AHostileTitle_IsShownAsTextNotMarkup()
    {
        var cut = Render<HypothesisCard>(p => p.Add(c => c.Hypothesis, Sample("<img src=x onerror=alert(1)><script>alert(2)</script>")));

        Assert.Empty(cut.FindAll("img"));
        Assert.Empty(cut.FindAll("script"));
        Assert.Contains("<img src=x onerror=alert(1)>", cut.Find("[data-testid=hypothesis-title]").TextContent);
    }

    [Fact]
    public void AHypothesisStillUnderReview_ShowsAPlaceholderAndAFailedReviewSaysWhy()
    {
        var pending = Render<HypothesisCard>(p => p.Add(c => c.Hypothesis, Sample() with { Review = null }));
        var failed = Render<HypothesisCard>(p => p.Add(c => c.Hypothesis, Sample() with { Review = null, ReviewError = "The model provider failed (HTTP 502)" }));

        Assert.NotEmpty(pending.FindAll("[data-testid=review-pending]"));
        Assert.Contains("HTTP 502", failed.Find("[data-testid=review-error]").TextContent);
    }
}

public class CycleProgressTests : MudTestContext
{
    [Theory]
    [InlineData(ResearchStatusName.Idle, "idle")]
    [InlineData(ResearchStatusName.Running, "running")]
    [InlineData(ResearchStatusName.Completed, "completed")]
    [InlineData(ResearchStatusName.Failed, "failed")]
    [InlineData(ResearchStatusName.Blocked, "blocked")]
    public void TheStatus_CarriesItsStateForTestsAndScreenReaders(ResearchStatusName status, string expected)
    {
        var cut = Render<CycleProgress>(p => p
            .Add(c => c.Status, (CoScientist.Core.Research.ResearchStatus)status)
            .Add(c => c.Message, "A message")
            .Add(c => c.Steps, CoScientist.Core.Research.StepView.Initial()));

        var node = cut.Find("[data-testid=cycle-status]");
        Assert.Equal(expected, node.GetAttribute("data-state"));
        Assert.Contains("A message", node.TextContent);
        Assert.Equal(6, cut.FindAll("[data-testid=cycle-step]").Count);
    }

    [Fact]
    public void FailedItems_AreListedWithTheirErrors()
    {
        var cut = Render<CycleProgress>(p => p
            .Add(c => c.Status, CoScientist.Core.Research.ResearchStatus.Completed)
            .Add(c => c.Failures, [new ItemFailure(CycleStep.Reflection, "H002", "OpenRouter is rate-limiting requests (429)"),
                                   new ItemFailure(CycleStep.Ranking, "M003", "The model provider failed (HTTP 502)")])
            .Add(c => c.Steps, CoScientist.Core.Research.StepView.Initial()));

        Assert.Contains("What failed (2)", cut.Find(".mud-expand-panel-header").TextContent);
        cut.Find(".mud-expand-panel-header").Click();
        Assert.Equal(["Reflection · H002: OpenRouter is rate-limiting requests (429)", "Ranking · M003: The model provider failed (HTTP 502)"],
            cut.FindAll("[data-testid=cycle-failures] li").Select(li => li.TextContent.Trim()));
    }

    [Fact]
    public void TheLiteratureStep_ShowsWhatEachSourceAnswered_AndMarksTheOneThatFailed()
    {
        var report = LiteratureResearch.Search();
        var steps = StepView.Initial(literature: true)
            .Select(s => s.Step == CycleStep.Literature ? s with { State = StepState.Done, Detail = report.Summary(), Literature = report } : s).ToList();
        var cut = Render<CycleProgress>(p => p.Add(c => c.Status, ResearchStatus.Running).Add(c => c.Steps, steps));

        Assert.Equal(7, cut.FindAll("[data-testid=cycle-step]").Count);
        var detail = cut.Find("[data-testid=literature-step-detail]");
        Assert.Contains("3 new papers kept.", detail.TextContent);
        Assert.Equal("false", detail.QuerySelector("[data-source=ArXiv]")!.GetAttribute("data-failed"));
        var failed = detail.QuerySelector("[data-source=EuropePmc]")!;
        Assert.Equal("true", failed.GetAttribute("data-failed"));
        Assert.Contains("Europe PMC: unavailable", failed.TextContent);
    }

    [Fact]
    public void NoLiteratureDetail_IsShownBeforeTheStepHasSearched()
    {
        var cut = Render<CycleProgress>(p => p.Add(c => c.Status, ResearchStatus.Running).Add(c => c.Steps, StepView.Initial(literature: true)));

        Assert.Empty(cut.FindAll("[data-testid=literature-step-detail]"));
    }

    [Fact]
    public void ARunningStepsTime_CountsUpEverySecond_WithoutRedrawingTheStepList()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));
        Services.AddSingleton<TimeProvider>(clock);
        var steps = StepView.Initial().Select(s => s.Step switch
        {
            CycleStep.Generation => s with { State = StepState.Done, Done = 3, Total = 3, Elapsed = TimeSpan.FromSeconds(4.2) },
            CycleStep.Reflection => s with { State = StepState.Running, Done = 1, Total = 3, StartedAt = clock.GetUtcNow() },
            _ => s,
        }).ToList();
        var cut = Render<CycleProgress>(p => p.Add(c => c.Status, ResearchStatus.Running).Add(c => c.Steps, steps));
        string Shown(CycleStep step) => cut.Find($"[data-step={step}] [data-testid=cycle-step-progress]").TextContent.Trim();
        Assert.Equal("3/3 · 4.2 s", Shown(CycleStep.Generation));
        Assert.Equal("1/3 · 0.0 s", Shown(CycleStep.Reflection));
        // The texts around the clock are drawn again whenever the list is (their content is a new fragment each time);
        // the one holding the clock counts the clock's own renders too, so it is left out.
        int ListDrawn() => cut.FindComponents<MudBlazor.MudText>().Where(t => !t.Markup.Contains("step-clock")).Sum(t => t.RenderCount);
        var drawn = ListDrawn();

        clock.Advance(TimeSpan.FromSeconds(3));

        cut.WaitForAssertion(() => Assert.Equal("1/3 · 3.0 s", Shown(CycleStep.Reflection)));
        Assert.Equal("3/3 · 4.2 s", Shown(CycleStep.Generation));
        Assert.Equal(drawn, ListDrawn());
    }

    public enum ResearchStatusName { Idle, Running, Completed, Failed, Blocked }
}
