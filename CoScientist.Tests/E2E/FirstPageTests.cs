using CoScientist.Core.Configuration;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Session;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>The first page as curl, a link preview or a slow connection sees it: prerendered on the server.</summary>
[Collection(BrowserCollection.Name)]
public sealed class FirstPageTests(AppFixture app)
{
    [Fact]
    public async Task APlainGetOfTheFirstPage_AlreadyShowsTheAppWithItsGoalFormAndExamples()
    {
        var config = YamlConfigurationProvider.Parse(new StringReader(File.ReadAllText(Path.Combine(PublishedAppFixture.RepositoryRoot(), "config.yaml"))));
        var sessions = app.AppServices.GetRequiredService<SessionRegistry>();
        var live = sessions.Active().Count;
        using var http = new HttpClient();

        var html = await http.GetStringAsync(app.BaseUrl + "/");

        Assert.Contains("hypotheses generated, reviewed, debated and evolved", html); // the app bar under the title
        Assert.Contains("data-testid=\"research-goal\"", html);
        Assert.Contains(config["example_goals:0"]!, html);
        Assert.Contains("data-testid=\"model-select\"", html);
        // Not live yet: what would be typed now would be lost when the circuit takes over, so the inputs wait.
        Assert.Matches("<textarea[^>]*disabled[^>]*data-testid=\"research-goal\"|<textarea[^>]*data-testid=\"research-goal\"[^>]*disabled", html);
        // The session the prerender needed ends with its request; only a live circuit keeps one.
        await Wait.UntilAsync(() => sessions.Active().Count == live, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ThePrerenderedPage_GoesLiveWithoutAskingOpenRouterForTheCatalogueAgain()
    {
        var (page, errors) = await app.NewPageAsync();

        await page.GotoAsync(app.BaseUrl);
        await Assertions.Expect(page.GetByTestId("run-cycle")).ToBeEnabledAsync(new() { Timeout = 20_000 });
        await page.GetByTestId("research-goal").FillAsync("Typed once the page is live");
        await Assertions.Expect(page.GetByTestId("cost-estimate")).ToContainTextAsync("Next cycle: about $");

        Assert.Equal(1, app.OpenRouter.ModelsRequests); // the warm-up's fetch, shared by prerender and circuit alike
        Assert.Empty(errors);
    }
}
