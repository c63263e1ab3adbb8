using Bunit;
using CoScientist.Core.Storage;
using CoScientist.Tests.Core;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Components.Pages.Admin;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.Web;

/// <summary>The admin page's research storage section: what is saved, what expires, and which shared research is an example.</summary>
public sealed class AdminResearchStorageTests : MudTestContext
{
    private FakeOpenRouterServer _server = null!;

    public override async Task InitializeAsync() => _server = await FakeOpenRouterServer.StartAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IResearchStore AddAdminServices(string? token = null, int retentionDays = 30, string? dataDir = null)
    {
        AddAppServices(new Dictionary<string, string?>
        {
            ["DATA_DIR"] = dataDir ?? CoreHarness.NewDataDir(),
            ["openrouter_base_url"] = _server.BaseUrl,
            ["OPENROUTER_API_KEY"] = FakeOpenRouterServer.ValidKey,
            ["DEPLOYMENT_ENV"] = token is null ? null : "production",
            ["ADMIN_TOKEN"] = token,
            ["storage:retention_days"] = retentionDays.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        return Services.GetRequiredService<IResearchStore>();
    }

    private static async Task<ResearchRecord> SharedAsync(IResearchStore store, int cycles = 1, string? title = null)
    {
        var (record, _) = await ResearchStoreTests.SavedResearchAsync(store, owner: ResearchIds.New(), cycles: cycles);
        await store.SetShareTokenAsync(record.Id, ResearchIds.New());
        if (title is not null) await store.RenameAsync(record.Id, title);
        return (await store.GetRecordAsync(record.Id))!;
    }

    private static string Row(ResearchRecord research) => $"[data-testid=shared-row][data-id='{research.Id}']";

    [Fact]
    public async Task TheStorageSection_ShowsWhatIsSaved_HowMuchDiskItUses_AndWhenUnsharedResearchExpires()
    {
        var store = AddAdminServices(retentionDays: 14);
        await SharedAsync(store, cycles: 2);
        await ResearchStoreTests.SavedResearchAsync(store, owner: "private", cycles: 1);

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.Equal("2", cut.Find("[data-testid=storage-research]").TextContent));
        var stats = await store.StatsAsync();
        Assert.Equal("1", cut.Find("[data-testid=storage-shared]").TextContent);
        Assert.Equal("0", cut.Find("[data-testid=storage-examples]").TextContent);
        Assert.Equal("0", cut.Find("[data-testid=storage-running]").TextContent);
        Assert.True(stats.Hypotheses > 0 && stats.Matches > 0);
        Assert.Equal(stats.Hypotheses.ToString(), cut.Find("[data-testid=storage-hypotheses]").TextContent);
        Assert.Equal(stats.Matches.ToString(), cut.Find("[data-testid=storage-matches]").TextContent);
        Assert.Equal(ResearchStorageView.HumanBytes(stats.StorageBytes), cut.Find("[data-testid=storage-used]").TextContent);
        Assert.Matches(@"^\d+\.\d (KB|MB)$", cut.Find("[data-testid=storage-used]").TextContent);
        Assert.Contains("Research never shared is deleted after 14 days without activity",
            cut.Find("[data-testid=retention-setting]").TextContent.ReplaceLineEndings(" "));
        Assert.Single(cut.FindAll("[data-testid=shared-row]"));
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KB")]
    [InlineData(5L * 1024 * 1024, "5.0 MB")]
    [InlineData(3L * 1024 * 1024 * 1024 + 512L * 1024 * 1024, "3.5 GB")]
    public void StorageUsed_ReadsAsAFileManagerShowsIt(long bytes, string shown) =>
        Assert.Equal(shown, ResearchStorageView.HumanBytes(bytes));

    [Fact]
    public async Task AfterSignIn_TheOperatorPinsSharedResearchAsAnExample_AndCanUnpinIt()
    {
        var store = AddAdminServices(token: "let-me-in");
        var shared = await SharedAsync(store);
        var cut = Render<AdminPage>();
        Assert.Empty(cut.FindAll("[data-testid=pin-example]"));
        Assert.Empty(cut.FindAll("[data-testid=shared-research]"));

        cut.Find("[data-testid=admin-token]").Input("let-me-in");
        cut.Find("[data-testid=admin-login]").Click();
        cut.WaitForAssertion(() => Assert.Equal("false", cut.Find($"{Row(shared)} [data-testid=pin-example]").GetAttribute("data-pinned")));
        Assert.Empty(cut.FindAll($"{Row(shared)} [data-testid=example-pinned]"));
        Assert.Equal($"/s/{shared.ShareToken}", cut.Find($"{Row(shared)} [data-testid=shared-link]").GetAttribute("href"));
        cut.Find($"{Row(shared)} [data-testid=pin-example]").Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll($"{Row(shared)} [data-testid=example-pinned]")));
        Assert.Equal([shared.Id], (await store.ListExamplesAsync()).Select(r => r.Id));
        Assert.Equal("1", cut.Find("[data-testid=storage-examples]").TextContent);

        cut.Find($"{Row(shared)} [data-testid=pin-example]").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll($"{Row(shared)} [data-testid=example-pinned]")));
        Assert.Empty(await store.ListExamplesAsync());
    }

    [Fact]
    public async Task AnExampleWhoseOwnerRevokedTheLink_StaysListed_SoItCanBeUnpinned()
    {
        var store = AddAdminServices();
        var example = await SharedAsync(store);
        await store.SetExampleAsync(example.Id, true);
        await store.SetShareTokenAsync(example.Id, null);

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll($"{Row(example)} [data-testid=example-pinned]")));
        Assert.Empty(cut.FindAll($"{Row(example)} [data-testid=shared-link]"));
        cut.Find($"{Row(example)} [data-testid=pin-example]").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=shared-row]")));
        Assert.Empty(await store.ListExamplesAsync());
    }

    [Fact]
    public async Task AHostileTitle_IsShownAsPlainText()
    {
        const string hostile = "<img src=x onerror=alert(1)><script>alert('admin')</script>";
        var store = AddAdminServices();
        var shared = await SharedAsync(store, title: hostile);

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.Equal(hostile, cut.Find($"{Row(shared)} td").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=shared-research] img"));
        Assert.Empty(cut.FindAll("[data-testid=shared-research] script"));
    }

    [Fact]
    public async Task WhenSavedResearchCannotBeRead_TheSpendFiguresAndKillSwitchStay_AndTheOperatorIsWarned()
    {
        var dataDir = CoreHarness.NewDataDir();
        Directory.CreateDirectory(dataDir);
        await File.WriteAllTextAsync(Path.Combine(dataDir, "research.db"), "not a database, as after a torn copy"); // the ledger is apart
        AddAdminServices(dataDir: dataDir);
        await Services.GetRequiredService<ResearchRetention>().SweepAsync();

        var cut = Render<AdminPage>();

        cut.WaitForAssertion(() => Assert.Equal("0.000000", cut.Find("[data-testid=spend-today]").TextContent));
        Assert.NotEmpty(cut.FindAll("[data-testid=kill-switch]"));
        Assert.Empty(cut.FindAll("[data-testid=research-storage]"));
        var warnings = cut.FindAll("[data-testid=admin-warning]").Select(w => w.TextContent).ToList();
        Assert.Contains(warnings, w => w.Contains("Saved research is unavailable right now") && w.Contains("kill switch are unaffected"));
        Assert.Contains(warnings, w => w.Contains("The retention sweep at") && w.Contains("failed"));
    }
}
