using System.Text;
using CoScientist.Tests.Fakes;
using Deque.AxeCore.Commons;
using Microsoft.Playwright;
using Newtonsoft.Json.Linq;

namespace CoScientist.Tests.E2E;

/// <summary>
/// axe-core (Deque's accessibility rules) run in the page, limited to WCAG 2.1 levels A and AA, and the
/// theme switch the app offers, so each view can be checked in light and dark.
/// </summary>
public static class Axe
{
    // WCAG 2.1 A and AA, every rule of those tags. Only violations are listed in full: the passes and the "needs review"
    // results, which no test reads, are cut to one element each instead of every element on the page.
    private const string Options =
        "{ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] }";

    // axe-core as Deque bundles it. Deque's own Playwright wrapper injects this half-megabyte script again on every scan
    // and runs it in parts across frames, which took 1.5-3 s a scan where axe itself needs a fraction of a second; the
    // app has no frames, so the script goes in once per page and axe.run does the whole scan.
    private static readonly Lazy<string> Script = new(() => new BundledAxeScriptProvider().GetScript());

    /// <summary>
    /// Every serious or critical violation on the page as it is now, described for the developer who fixes it
    /// (rule, impact, help, and each distinct problem with an element that has it); empty when there is none.
    /// </summary>
    public static async Task<string> SeriousViolationsAsync(IPage page, string view)
    {
        await InjectAsync(page);
        return Describe(await page.EvaluateAsync<string>($"async () => JSON.stringify(await axe.run(document, {Options}))"), view);
    }

    /// <summary>As <see cref="SeriousViolationsAsync(IPage, string)"/>, for one part of the page (what changed since a whole-page scan).</summary>
    public static async Task<string> SeriousViolationsAsync(ILocator part, string view)
    {
        await InjectAsync(part.Page);
        return Describe(await part.EvaluateAsync<string>($"async element => JSON.stringify(await axe.run(element, {Options}))"), view);
    }

    private static async Task InjectAsync(IPage page)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe?.run === 'function'"))
            await page.EvaluateAsync(Script.Value);
    }

    private static string Describe(string json, string view)
    {
        var result = new AxeResult(JObject.Parse(json));
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

    /// <summary>
    /// Waits until nothing in <paramref name="part"/> is easing any more. A tab's click sets off half a second of ripple in
    /// the tab bar, which a scan of the tab's panel does not look at and so need not wait for.
    /// </summary>
    public static Task SettledAsync(ILocator part) => Wait.UntilAsync(() => part.EvaluateAsync<bool>(
        "part => part.getAnimations({ subtree: true }).every(a => a.playState !== 'running' || a.effect?.getComputedTiming().iterations === Infinity)"),
        TimeSpan.FromSeconds(10));

    // The page background's luminance says which palette MudBlazor applied.
    private static Task<bool> IsDarkAsync(IPage page) => page.EvaluateAsync<bool>(
        "() => { const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number); return r + g + b < 384; }");
}
