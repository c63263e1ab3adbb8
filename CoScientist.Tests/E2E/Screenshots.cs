using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>Pictures of the main states, for people: kept next to the test output (and copied into docs/screenshots).</summary>
public static class Screenshots
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static async Task TakeAsync(IPage page, string name)
    {
        System.IO.Directory.CreateDirectory(Directory);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Directory, name + ".png"), FullPage = true });
    }
}
