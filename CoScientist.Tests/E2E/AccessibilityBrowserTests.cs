using Microsoft.Playwright;
using CoScientist.Tests.Fakes;

namespace CoScientist.Tests.E2E;

/// <summary>
/// Everyone can use the app: axe-core finds no serious or critical WCAG 2.1 A/AA problem on any view,
/// in the light theme or the dark one.
/// </summary>
public sealed class AccessibilityBrowserTests(AccessibilityFixture app) : IClassFixture<AccessibilityFixture>
{
    // Everything found is reported at once, so one run shows a developer all there is to fix.
    private static void AssertNone(string violations)
    {
        if (violations.Length > 0)
            Assert.Fail("axe-core found serious or critical WCAG 2.1 A/AA violations:" + violations);
    }

    [Fact]
    public async Task TheEmptyPage_IsAccessible_InBothThemes()
    {
        var (page, errors) = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl);
        await Assertions.Expect(page.GetByTestId("run-cycle")).ToBeEnabledAsync(new() { Timeout = 20_000 });

        AssertNone(await Axe.SeriousViolationsInBothThemesAsync(page, "the empty page"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task AFinishedCycle_IsAccessible_OnEveryTab_InBothThemes()
    {
        var (page, errors) = await app.NewOwnerPageAsync();
        await page.GotoAsync(app.ResearchUrl);
        await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 20_000 });

        var tabs = page.GetByRole(AriaRole.Tab);
        var names = (await tabs.AllTextContentsAsync()).Select(n => n.Trim()).ToList();
        Assert.Equal(["Hypotheses", "Ranking", "Tournament", "Proximity", "Literature", "In the loop", "Meta-review"], names);
        // Theme by theme, then tab by tab: a theme switch waits for the page's colour transitions, so two switches
        // rather than fourteen. The whole page is scanned on the first tab; on the others only the tab panel, the one
        // part that changed (the tab bar's selected style is the same on every tab).
        var found = "";
        foreach (var dark in new[] { false, true })
        {
            await Axe.UseThemeAsync(page, dark);
            foreach (var name in names)
            {
                var tab = page.GetByRole(AriaRole.Tab, new() { Name = name, Exact = true });
                await tab.ClickAsync();
                await Assertions.Expect(tab).ToHaveAttributeAsync("aria-selected", "true");
                var view = $"the {name} tab of a finished cycle, {(dark ? "dark" : "light")} theme";
                if (name == names[0])
                {
                    await Wait.UntilAsync(() => page.EvaluateAsync<bool>(Axe.SettledScript), TimeSpan.FromSeconds(10));
                    found += await Axe.SeriousViolationsAsync(page, view);
                }
                else
                {
                    var panel = page.GetByRole(AriaRole.Tabpanel).Filter(new() { Visible = true });
                    await Axe.SettledAsync(panel);
                    found += await Axe.SeriousViolationsAsync(panel, view);
                }
            }
        }
        AssertNone(found);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task AHypothesisOpenedInADialog_IsAccessible_InBothThemes()
    {
        var (page, errors) = await app.NewOwnerPageAsync();
        await page.GotoAsync(app.ResearchUrl);
        await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 20_000 });

        // The dialog's backdrop covers the theme toggle, so the theme is chosen first and the dialog opened in it.
        var found = "";
        var dialog = page.GetByTestId("hypothesis-dialog");
        foreach (var dark in new[] { false, true })
        {
            await Axe.UseThemeAsync(page, dark);
            await page.GetByTestId("hypothesis-lineage").First.Locator(".lineage-parent").First.ClickAsync();
            await Assertions.Expect(dialog).ToBeVisibleAsync();
            found += await Axe.SeriousViolationsAsync(page, $"a hypothesis dialog, {(dark ? "dark" : "light")} theme");
            await page.Keyboard.PressAsync("Escape");
            await Assertions.Expect(dialog).ToBeHiddenAsync();
        }
        AssertNone(found);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task TheSharedReadOnlyView_IsAccessible_InBothThemes()
    {
        var (page, errors) = await app.NewPageAsync();
        await page.GotoAsync(app.ShareUrl);
        await Assertions.Expect(page.GetByTestId("research-readonly")).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Assertions.Expect(page.GetByTestId("hypothesis-card").First).ToBeVisibleAsync();

        AssertNone(await Axe.SeriousViolationsInBothThemesAsync(page, "the shared read-only view"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task TheAdminPage_IsAccessible_BeforeAndAfterSigningIn_InBothThemes()
    {
        var (page, errors) = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/admin");
        await Assertions.Expect(page.GetByTestId("admin-login")).ToBeEnabledAsync(new() { Timeout = 20_000 });
        var found = await Axe.SeriousViolationsInBothThemesAsync(page, "the admin sign-in form");

        await page.GetByTestId("admin-token").FillAsync(AccessibilityFixture.AdminToken);
        await page.GetByTestId("admin-login").ClickAsync();
        await Assertions.Expect(page.GetByTestId("spend-today")).ToBeVisibleAsync(new() { Timeout = 20_000 });
        found += await Axe.SeriousViolationsInBothThemesAsync(page, "the admin dashboard");
        AssertNone(found);
        Assert.Empty(errors);
    }
}
