using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>
/// Pictures of the main states, for people: always written next to the test output, and copied into
/// the checkout's docs/screenshots for the README only when asked for with
/// <c>COSCIENTIST_SCREENSHOTS=1</c>, so an ordinary test run leaves the working tree clean.
/// </summary>
public static class Screenshots
{
    public const string RefreshVariable = "COSCIENTIST_SCREENSHOTS";

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static async Task TakeAsync(IPage page, string name, bool fullPage = false)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = fullPage });
        if (DocsDirectory(Environment.GetEnvironmentVariable(RefreshVariable)) is { } docs)
            File.Copy(path, Path.Combine(docs, name + ".png"), overwrite: true);
    }

    /// <summary>Where the README's pictures are refreshed: nowhere unless the variable is "1".</summary>
    internal static string? DocsDirectory(string? refresh) =>
        refresh == "1" ? Path.Combine(PublishedAppFixture.RepositoryRoot(), "docs", "screenshots") : null;
}
