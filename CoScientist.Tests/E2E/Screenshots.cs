using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>
/// Pictures of the main states, for people: written next to the test output and, when the tests run
/// from a checkout, into docs/screenshots for the README.
/// </summary>
public static class Screenshots
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static async Task TakeAsync(IPage page, string name, bool fullPage = false)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = Path.Combine(Directory, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = fullPage });
        if (DocsDirectory() is { } docs)
            File.Copy(path, Path.Combine(docs, name + ".png"), overwrite: true);
    }

    private static string? DocsDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CoScientist.sln")))
                return System.IO.Directory.CreateDirectory(Path.Combine(dir.FullName, "docs", "screenshots")).FullName;
        return null;
    }
}
