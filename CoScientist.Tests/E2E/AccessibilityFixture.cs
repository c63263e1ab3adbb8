using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>
/// The app with one finished research cycle (and a share link to it), run once for all the accessibility
/// tests: they look at pages, so they need not pay for a cycle each. An admin token is set so the sign-in
/// form is checked as well as the dashboard.
/// </summary>
public sealed class AccessibilityFixture : AppFixture
{
    public const string AdminToken = "a11y-admin-token-31c9";

    private IBrowserContext? _owner;

    public AccessibilityFixture() => Settings["ADMIN_TOKEN"] = AdminToken;

    /// <summary>The finished research, as its owner sees it at /r/{id}.</summary>
    public string ResearchUrl { get; private set; } = "";

    /// <summary>The read-only view a share link opens.</summary>
    public string ShareUrl { get; private set; } = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _owner = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        var page = await _owner.NewPageAsync();
        await page.GotoAsync(BaseUrl);
        await Assertions.Expect(page.GetByTestId("run-cycle")).ToBeEnabledAsync(new() { Timeout = 20_000 });
        await page.GetByTestId("research-goal").FillAsync("Find ways to make lithium-ion batteries safer without lowering their energy density");
        await page.GetByTestId("run-cycle").ClickAsync();
        await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
        ResearchUrl = page.Url;
        await page.GetByTestId("share-create").ClickAsync();
        var link = page.GetByTestId("share-link");
        await Assertions.Expect(link).ToBeVisibleAsync();
        ShareUrl = (await link.InputValueAsync()).Trim();
        await page.CloseAsync();
    }

    /// <summary>A page in the owner's browser context (their cookies), whose script errors are collected.</summary>
    public async Task<(IPage Page, List<string> Errors)> NewOwnerPageAsync()
    {
        var page = await _owner!.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        return (page, errors);
    }

    public override async Task DisposeAsync()
    {
        if (_owner is not null) await _owner.DisposeAsync();
        await base.DisposeAsync();
    }
}
