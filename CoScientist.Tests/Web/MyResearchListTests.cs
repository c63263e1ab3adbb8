using Bunit;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Components.Pages.Research;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Web;

public class MyResearchListTests : MudTestContext
{
    private static readonly DateTimeOffset Now = new(2025, 3, 14, 12, 0, 0, TimeSpan.Zero);


    private static ResearchRecord Record(string id, string title, int cycles = 3, decimal cost = 0.0123m, TimeSpan? idle = null, int? running = null) => new()
    {
        Id = id, OwnerId = "owner", Title = title, Goal = $"Goal of {id}", Model = "openai/gpt-4o-mini", SettingsJson = "{}",
        CreatedAt = Now.AddDays(-1), LastActivityAt = Now - (idle ?? TimeSpan.FromHours(2)), Cycles = cycles, CostUsd = cost, RunningCycle = running,
    };

    private IRenderedComponent<MyResearchList> List(IReadOnlyList<ResearchRecord> items, string? currentId = null,
        List<(string Id, string Title)>? renamed = null, List<string>? deleted = null) =>
        Render<MyResearchList>(p => p
            .Add(c => c.Items, items)
            .Add(c => c.CurrentId, currentId)
            .Add(c => c.Now, Now)
            .Add(c => c.OnRename, r => renamed?.Add(r))
            .Add(c => c.OnDelete, id => deleted?.Add(id)));

    [Fact]
    public void EachResearch_ShowsItsTitleCyclesLastActivityCostAndALinkToOpenIt()
    {
        var cut = List([
            Record("aaa", "Gut microbes and Parkinson's", cycles: 3, cost: 0.0123m, running: 4),
            Record("bbb", " ", cycles: 1, cost: 0m, idle: TimeSpan.FromDays(30)),
        ], currentId: "aaa");

        var items = cut.FindAll("[data-testid=my-research-item]");
        Assert.Equal(["aaa", "bbb"], items.Select(i => i.GetAttribute("data-research-id")));
        Assert.Contains("My research", cut.Find("[data-testid=my-research]").TextContent);

        var first = items[0];
        var open = first.QuerySelector("[data-testid=my-research-open]")!;
        Assert.Equal("/r/aaa", open.GetAttribute("href"));
        Assert.Equal("Gut microbes and Parkinson's", open.TextContent);
        Assert.Equal("3 cycles", first.QuerySelector("[data-testid=my-research-cycles]")!.TextContent);
        Assert.Equal("2 h ago", first.QuerySelector("[data-testid=my-research-activity]")!.TextContent);
        Assert.Equal("$0.0123", first.QuerySelector("[data-testid=my-research-cost]")!.TextContent);
        Assert.NotNull(first.QuerySelector("[data-testid=my-research-running]"));
        Assert.Equal("page", first.GetAttribute("aria-current"));
        Assert.Equal("BUTTON", first.QuerySelector("[data-testid=my-research-rename]")!.TagName);
        Assert.Equal("Rename Gut microbes and Parkinson's", first.QuerySelector("[data-testid=my-research-rename]")!.GetAttribute("aria-label"));
        Assert.Equal("Delete Gut microbes and Parkinson's", first.QuerySelector("[data-testid=my-research-delete]")!.GetAttribute("aria-label"));

        var second = items[1];
        Assert.Equal("Goal of bbb", second.QuerySelector("[data-testid=my-research-open]")!.TextContent);
        Assert.Equal("1 cycle", second.QuerySelector("[data-testid=my-research-cycles]")!.TextContent);
        Assert.Equal("12 Feb 2025", second.QuerySelector("[data-testid=my-research-activity]")!.TextContent);
        Assert.Equal("$0.0000", second.QuerySelector("[data-testid=my-research-cost]")!.TextContent);
        Assert.Null(second.QuerySelector("[data-testid=my-research-running]"));
        Assert.Null(second.GetAttribute("aria-current"));
    }

    [Fact]
    public void WithNoResearchYet_ItSaysWhereResearchWillAppear()
    {
        var cut = List([]);

        Assert.Empty(cut.FindAll("[data-testid=my-research-item]"));
        Assert.Contains("Research you run in this browser appears here", cut.Find("[data-testid=my-research]").TextContent);
    }

    [Fact]
    public void Renaming_EditsTheTitleInPlaceAndRaisesOnRenameWithTheNewTitle()
    {
        var renamed = new List<(string Id, string Title)>();
        var cut = List([Record("aaa", "Old title"), Record("bbb", "Other")], renamed: renamed);

        cut.FindAll("[data-testid=my-research-rename]")[0].Click();
        Assert.Equal("Old title", cut.Find("[data-testid=my-research-rename-input]").GetAttribute("value"));
        cut.Find("[data-testid=my-research-rename-input]").Input("   ");
        Assert.True(cut.Find("[data-testid=my-research-rename-save]").HasAttribute("disabled"));

        cut.Find("[data-testid=my-research-rename-input]").Input("  Tau and the gut  ");
        cut.Find("[data-testid=my-research-rename-save]").Click();

        Assert.Equal([("aaa", "Tau and the gut")], renamed);
        Assert.Empty(cut.FindAll("[data-testid=my-research-rename-input]"));
    }

    [Fact]
    public void Renaming_ByKeyboard_EnterSavesAndEscapeCancels()
    {
        var renamed = new List<(string Id, string Title)>();
        var cut = List([Record("aaa", "Old title")], renamed: renamed);

        cut.Find("[data-testid=my-research-rename]").Click();
        cut.Find("[data-testid=my-research-rename-input]").Input("Dropped");
        cut.Find("[data-testid=my-research-rename-input]").KeyDown(new KeyboardEventArgs { Key = "Escape" });
        Assert.Empty(cut.FindAll("[data-testid=my-research-rename-input]"));
        Assert.Empty(renamed);

        cut.Find("[data-testid=my-research-rename]").Click();
        cut.Find("[data-testid=my-research-rename-input]").Input("Kept");
        cut.Find("[data-testid=my-research-rename-input]").KeyDown(new KeyboardEventArgs { Key = "Enter" });
        Assert.Equal([("aaa", "Kept")], renamed);
    }

    [Fact]
    public void Deleting_AsksForConfirmationFirstAndOnlyThenRaisesOnDelete()
    {
        var deleted = new List<string>();
        var cut = List([Record("aaa", "First"), Record("bbb", "Second")], deleted: deleted);

        cut.FindAll("[data-testid=my-research-delete]")[1].Click();
        Assert.Empty(deleted);
        var confirm = cut.Find("[data-testid=my-research-delete-confirm]");
        Assert.Equal("bbb", confirm.Closest("[data-testid=my-research-item]")!.GetAttribute("data-research-id"));

        cut.Find("[data-testid=my-research-delete-cancel]").Click();
        Assert.Empty(cut.FindAll("[data-testid=my-research-delete-confirm]"));
        Assert.Empty(deleted);

        cut.FindAll("[data-testid=my-research-delete]")[1].Click();
        cut.Find("[data-testid=my-research-delete-confirm]").Click();
        Assert.Equal(["bbb"], deleted);
    }

    [Fact]
    public void HostileTitles_AreShownAsTextNotMarkup()
    {
        var cut = List([Record("aaa", "<script>alert(1)</script>"), Record("bbb", "<img src=x onerror=alert(1)>")]);

        Assert.Empty(cut.FindAll("script"));
        Assert.Empty(cut.FindAll("img"));
        var titles = cut.FindAll("[data-testid=my-research-open]").Select(a => a.TextContent).ToList();
        Assert.Equal(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"], titles);

        cut.FindAll("[data-testid=my-research-rename]")[1].Click();
        Assert.Equal("<img src=x onerror=alert(1)>", cut.Find("[data-testid=my-research-rename-input]").GetAttribute("value"));
        Assert.Empty(cut.FindAll("img"));
    }
}
