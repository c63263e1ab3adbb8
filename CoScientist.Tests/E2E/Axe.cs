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

    /// <summary>Fails with every serious or critical violation: rule, impact, the elements and how to fix it.</summary>
    public static async Task AssertNoSeriousViolationsAsync(IPage page, string view)
    {
        var result = await page.RunAxe(Wcag21AA());
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        if (serious.Count > 0)
            Assert.Fail(Describe(view, serious));
    }

    private static string Describe(string view, IEnumerable<AxeResultItem> violations)
    {
        var text = new StringBuilder($"Accessibility violations in {view}:");
        foreach (var v in violations)
        {
            text.Append($"\n- {v.Id} ({v.Impact}): {v.Help} <{v.HelpUrl}>");
            foreach (var node in v.Nodes.Take(8))
            {
                // The checks' messages say what is wrong with this element, e.g. the contrast ratio it has and needs.
                var why = string.Join("; ", node.Any.Concat(node.All).Concat(node.None).Select(c => c.Message).Distinct());
                text.Append($"\n    {node.Target}: {why}");
            }
            if (v.Nodes.Length > 8)
                text.Append($"\n    … and {v.Nodes.Length - 8} more");
        }
        return text.ToString();
    }

    /// <summary>Switches the theme with the app bar's toggle, and waits until the page has repainted in it.</summary>
    public static async Task UseThemeAsync(IPage page, bool dark)
    {
        if (await IsDarkAsync(page) != dark)
            await page.GetByRole(AriaRole.Button, new() { Name = "Toggle dark theme" }).ClickAsync();
        await Wait.UntilAsync(async () => await IsDarkAsync(page) == dark, TimeSpan.FromSeconds(10));
    }

    // The page background's luminance says which palette MudBlazor applied.
    private static Task<bool> IsDarkAsync(IPage page) => page.EvaluateAsync<bool>(
        "() => { const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number); return r + g + b < 384; }");
}
