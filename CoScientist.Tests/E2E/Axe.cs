using System.Text;
using CoScientist.Tests.Fakes;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>
/// axe-core (Deque's accessibility rules) run in the page, limited to WCAG 2.1 levels A and AA, and the
/// theme switch the app offers, so each view can be checked in light and dark.
/// </summary>
public static class Axe
{
    private static AxeRunOptions Wcag21AA() => new()
    {
        RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    };

    /// <summary>
    /// Every serious or critical violation on the page as it is now, described for the developer who fixes it
    /// (rule, impact, help, and each distinct problem with an element that has it); empty when there is none.
    /// </summary>
    public static Task<string> SeriousViolationsAsync(IPage page, string view) => DescribeAsync(page.RunAxe(Wcag21AA()), view);

    /// <summary>As <see cref="SeriousViolationsAsync(IPage, string)"/>, for one part of the page (what changed since a whole-page scan).</summary>
    public static Task<string> SeriousViolationsAsync(ILocator part, string view) => DescribeAsync(part.RunAxe(Wcag21AA()), view);

    private static async Task<string> DescribeAsync(Task<AxeResult> scan, string view)
    {
        var result = await scan;
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        if (serious.Count == 0) return "";
        var text = new StringBuilder($"\nIn {view}:");
        foreach (var v in serious)
        {
            text.Append($"\n- {v.Id} ({v.Impact}): {v.Help} <{v.HelpUrl}>");
            // Many elements share one problem (every chip of a colour); one line per problem keeps the list readable.
            foreach (var problem in v.Nodes.GroupBy(Why))
                text.Append($"\n    {problem.Count()} × e.g. {problem.First().Target}: {problem.Key}");
        }
        return text.ToString();
    }

    // The checks' messages say what is wrong with the element, e.g. the contrast ratio it has and needs.
    private static string Why(AxeResultNode node) =>
        string.Join("; ", node.Any.Concat(node.All).Concat(node.None).Select(c => c.Message).Distinct());

    /// <summary>Checks the page as it is now in the light theme and then the dark one; returns what is wrong in either.</summary>
    public static async Task<string> SeriousViolationsInBothThemesAsync(IPage page, string view)
    {
        var found = new StringBuilder();
        foreach (var dark in new[] { false, true })
        {
            await UseThemeAsync(page, dark);
            found.Append(await SeriousViolationsAsync(page, $"{view}, {(dark ? "dark" : "light")} theme"));
        }
        return found.ToString();
    }

    /// <summary>Switches the theme with the app bar's toggle, and waits until the page has repainted in it.</summary>
    public static async Task UseThemeAsync(IPage page, bool dark)
    {
        if (await IsDarkAsync(page) != dark)
            await page.GetByRole(AriaRole.Button, new() { Name = "Toggle dark theme" }).ClickAsync();
        await Wait.UntilAsync(async () => await IsDarkAsync(page) == dark, TimeSpan.FromSeconds(10));
        await Wait.UntilAsync(() => page.EvaluateAsync<bool>(SettledScript), TimeSpan.FromSeconds(10));
    }

    // MudBlazor eases colours over a few hundred milliseconds (after a theme switch, and as a tab's panel comes in); a
    // scan in between would measure a blend. Endless animations (a spinner) never settle and do not matter here.
    public const string SettledScript =
        "() => document.getAnimations().every(a => a.playState !== 'running' || a.effect?.getComputedTiming().iterations === Infinity)";

    // The page background's luminance says which palette MudBlazor applied.
    private static Task<bool> IsDarkAsync(IPage page) => page.EvaluateAsync<bool>(
        "() => { const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number); return r + g + b < 384; }");
}
