using Bunit;
using CoScientist.Core.Storage;
using CoScientist.Web.Components.Pages.Research;
using CoScientist.Web.Session;

namespace CoScientist.Tests.Web;

/// <summary>Sharing, the read-only view, and the links that spare a visitor from spending again.</summary>
public class ResearchLinkComponentTests : MudTestContext
{
    private const string Url = "https://coscientist.example.org/s/Zm9vYmFyYmF6cXV4cXV1eA";
    private const string Hostile = "<script>alert(1)</script><img src=x onerror=alert(1)>";

    private IRenderedComponent<SharePanel> Share(string? url, bool canShare = true, Action? onShare = null, Action? onRevoke = null) =>
        Render<SharePanel>(p => p
            .Add(c => c.ShareUrl, url)
            .Add(c => c.CanShare, canShare)
            .Add(c => c.OnShare, () => onShare?.Invoke())
            .Add(c => c.OnRevoke, () => onRevoke?.Invoke()));

    [Fact]
    public void ANotYetSharedResearch_OffersALinkAndRaisesOnShare()
    {
        var shared = 0;
        var cut = Share(null, onShare: () => shared++);

        Assert.Empty(cut.FindAll("[data-testid=share-link]"));
        Assert.Empty(cut.FindAll("[data-testid=share-revoke]"));
        var create = cut.Find("[data-testid=share-create]");
        Assert.Contains("Share a read-only link", create.TextContent);
        create.Click();
        Assert.Equal(1, shared);
    }

    [Fact]
    public void BeforeTheFirstCycleIsSaved_SharingIsDisabledAndSaysWhy()
    {
        var cut = Share(null, canShare: false);

        Assert.True(cut.Find("[data-testid=share-create]").HasAttribute("disabled"));
        Assert.Contains("once its first cycle has been saved", cut.Find("[data-testid=share-unavailable]").TextContent);
    }

    [Fact]
    public void ASharedResearch_ShowsTheExactLinkWhatReadersMayDoAndRaisesOnRevoke()
    {
        var revoked = 0;
        var cut = Share(Url, onRevoke: () => revoked++);

        Assert.Equal(Url, cut.Find("[data-testid=share-link]").GetAttribute("value"));
        Assert.Contains("Anyone with this link can watch and export this research, but cannot run, change or spend anything.", cut.Markup);
        Assert.Empty(cut.FindAll("[data-testid=share-create]"));
        cut.Find("[data-testid=share-revoke]").Click();
        Assert.Equal(1, revoked);
    }

    [Fact]
    public void CopyingTheLink_PutsTheExactUrlOnTheClipboardOrSaysToCopyByHand()
    {
        var clipboard = Context.JSInterop.Setup<bool>("coscientist.copyText", Url);
        clipboard.SetResult(true);
        var cut = Share(Url);

        cut.Find("[data-testid=share-copy]").Click();
        Assert.Equal(Url, clipboard.Invocations.Single().Arguments[0]);
        Assert.Equal("Link copied.", cut.Find("[data-testid=share-copy-status]").TextContent);

        Context.JSInterop.Setup<bool>("coscientist.copyText", Url).SetResult(false);
        cut.Find("[data-testid=share-copy]").Click();
        Assert.Contains("copy it yourself", cut.Find("[data-testid=share-copy-status]").TextContent);
    }

    [Fact]
    public void TheReadOnlyBanner_TellsReadersWhatTheyMayDoAndLinksToANewResearch()
    {
        var cut = Render<ReadOnlyBanner>();

        var banner = cut.Find("[data-testid=research-readonly]");
        Assert.Contains("You are viewing a shared research, read-only. You can watch it live and export it; only its owner can run cycles.", banner.TextContent);
        var start = banner.QuerySelector("a")!;
        Assert.Equal("/", start.GetAttribute("href"));
        Assert.Equal("Start your own research", start.TextContent);
    }

    [Fact]
    public void TheCachedFallback_LinksSimilarFinishedResearchWithTheirSimilarity()
    {
        var cut = Render<CachedFallback>(p => p.Add(c => c.Links, [
            new FallbackLink("Tau and the gut", "/s/token1", 0.873, IsExample: true),
            new FallbackLink("Vagus nerve routes", "/s/token2", 0.61, IsExample: false),
        ]));

        Assert.Contains("While you wait, these finished research on a similar goal are free to read:", cut.Find("[data-testid=cached-fallback]").TextContent);
        var links = cut.FindAll("[data-testid=cached-fallback-link]");
        Assert.Equal(["/s/token1", "/s/token2"], links.Select(l => l.GetAttribute("href")));
        Assert.Contains("Tau and the gut", links[0].TextContent);
        Assert.Contains("87%", links[0].TextContent);
        Assert.Contains("61%", links[1].TextContent);
        Assert.Single(cut.FindAll("[data-testid=cached-fallback-example]"));
        Assert.NotNull(links[0].ParentElement!.QuerySelector("[data-testid=cached-fallback-example]"));
    }

    [Fact]
    public void TheCachedFallback_WithNothingSimilar_RendersNothing()
    {
        var cut = Render<CachedFallback>(p => p.Add(c => c.Links, []));

        Assert.Empty(cut.FindAll("[data-testid=cached-fallback]"));
    }

    [Fact]
    public void TheExistingResearchOffer_LinksTheMatchAndRaisesRunAnyway()
    {
        var ran = 0;
        var match = new ResearchRecord
        {
            Id = "abcDEF123_-", OwnerId = "owner", Title = "Gut microbes and Parkinson's", Goal = "Explain Parkinson's", Model = "m",
            SettingsJson = "{}", CreatedAt = DateTimeOffset.UtcNow, LastActivityAt = DateTimeOffset.UtcNow, Cycles = 4,
        };
        var cut = Render<ExistingResearchOffer>(p => p.Add(c => c.Match, match).Add(c => c.OnRunAnyway, () => ran++));

        var offer = cut.Find("[data-testid=existing-research-offer]").TextContent;
        Assert.Contains("You already have research on this goal with this model: Gut microbes and Parkinson's (4 cycles). Open it instead of spending again?",
            System.Text.RegularExpressions.Regex.Replace(offer, @"\s+", " "));
        Assert.Equal("/r/abcDEF123_-", cut.Find("[data-testid=existing-research-open]").GetAttribute("href"));
        Assert.Equal(0, ran);
        cut.Find("[data-testid=existing-research-run-anyway]").Click();
        Assert.Equal(1, ran);

        var none = Render<ExistingResearchOffer>(p => p.Add(c => c.Match, null));
        Assert.Empty(none.FindAll("[data-testid=existing-research-offer]"));
    }

    [Fact]
    public void TheExamples_LinkEachFinishedResearchAndRenderNothingWhenThereAreNone()
    {
        var cut = Render<ExampleResearchList>(p => p.Add(c => c.Items, [
            new ExampleLink("Safer lithium-ion batteries", "/s/ex1", 3, 24),
            new ExampleLink("Perovskite stability", "/s/ex2", 1, 1),
        ]));

        Assert.Contains("Examples: finished research you can read for free", cut.Find("[data-testid=examples]").TextContent);
        var examples = cut.FindAll("[data-testid=example-research]");
        Assert.Equal(["/s/ex1", "/s/ex2"], examples.Select(e => e.QuerySelector("a")!.GetAttribute("href")));
        Assert.Contains("3 cycles · 24 hypotheses", examples[0].TextContent);
        Assert.Contains("1 cycle · 1 hypothesis", examples[1].TextContent);

        var none = Render<ExampleResearchList>(p => p.Add(c => c.Items, []));
        Assert.Empty(none.FindAll("[data-testid=examples]"));
    }

    [Fact]
    public void HostileTitles_InOffersAndLinks_AreShownAsTextNotMarkup()
    {
        var fallback = Render<CachedFallback>(p => p.Add(c => c.Links, [new FallbackLink(Hostile, "/s/t", 0.9, false)]));
        var examples = Render<ExampleResearchList>(p => p.Add(c => c.Items, [new ExampleLink(Hostile, "/s/t", 1, 2)]));
        var offer = Render<ExistingResearchOffer>(p => p.Add(c => c.Match, new ResearchRecord
        {
            Id = "x", OwnerId = "o", Title = Hostile, Goal = "g", Model = "m", SettingsJson = "{}",
            CreatedAt = DateTimeOffset.UtcNow, LastActivityAt = DateTimeOffset.UtcNow,
        }));

        ShownAsText(fallback);
        ShownAsText(examples);
        ShownAsText(offer);
    }

    private static void ShownAsText<T>(IRenderedComponent<T> cut) where T : Microsoft.AspNetCore.Components.IComponent
    {
        Assert.Empty(cut.FindAll("script"));
        Assert.Empty(cut.FindAll("img"));
        Assert.Contains(Hostile, string.Concat(cut.Nodes.Select(n => n.TextContent)));
    }
}
