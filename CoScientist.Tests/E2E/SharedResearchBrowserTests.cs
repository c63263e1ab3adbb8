using CoScientist.Core.Cost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

[Collection(SecondBrowserCollection.Name)]
public sealed class SharedResearchBrowserTests(AppFixture app)
{
    private async Task<IPage> StartResearchAsync(string goal)
    {
        var (page, _) = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl);
        var run = page.GetByTestId("run-cycle");
        await Assertions.Expect(run).ToBeEnabledAsync(new() { Timeout = 20_000 });
        await page.GetByTestId("research-goal").FillAsync(goal);
        await run.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/r/[A-Za-z0-9_-]{22}$"), new() { Timeout = 30_000 });
        return page;
    }

    private static async Task<string> ShareAsync(IPage owner)
    {
        await owner.GetByTestId("share-create").ClickAsync();
        var link = owner.GetByTestId("share-link");
        await Assertions.Expect(link).ToBeVisibleAsync();
        var url = (await link.InputValueAsync().ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null)) ?? await link.TextContentAsync();
        return url!.Trim();
    }

    [Fact]
    public async Task AReaderWithTheShareLink_WatchesTheCycleLive_AndHasNoWayToRunOne()
    {
        app.OpenRouter.Latency = TimeSpan.FromMilliseconds(250);
        try
        {
            var owner = await StartResearchAsync("Find ways to make lithium-ion batteries safer without losing energy density");
            var shareUrl = await ShareAsync(owner);
            Assert.StartsWith(app.BaseUrl + "/s/", shareUrl);

            var (reader, errors) = await app.NewPageAsync();
            await reader.GotoAsync(shareUrl);

            await Assertions.Expect(reader.GetByTestId("research-readonly")).ToBeVisibleAsync(new() { Timeout = 20_000 });
            await Assertions.Expect(reader.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "running");
            Assert.Equal(0, await reader.GetByTestId("run-cycle").CountAsync());
            Assert.Equal(0, await reader.GetByTestId("cancel-cycle").CountAsync());
            await Assertions.Expect(reader.GetByTestId("hypothesis-card").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
            await Assertions.Expect(reader.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
            Assert.Equal(await owner.GetByTestId("hypothesis-card").CountAsync(), await reader.GetByTestId("hypothesis-card").CountAsync());
            Assert.Empty(errors);

            // Revoked, the link stops working, for the reader already watching too.
            await owner.GetByTestId("share-revoke").ClickAsync();
            await Assertions.Expect(owner.GetByTestId("share-create")).ToBeVisibleAsync();
            await Assertions.Expect(reader.GetByTestId("research-not-found")).ToBeVisibleAsync(new() { Timeout = 20_000 });
            await Assertions.Expect(reader.GetByTestId("hypothesis-card")).ToHaveCountAsync(0);
            var (late, _) = await app.NewPageAsync();
            await late.GotoAsync(shareUrl);
            await Assertions.Expect(late.GetByTestId("research-not-found")).ToBeVisibleAsync(new() { Timeout = 20_000 });
        }
        finally
        {
            app.OpenRouter.Latency = TimeSpan.FromMilliseconds(20);
        }
    }

    [Fact]
    public async Task AVisitorStoppedByALimit_IsOfferedSharedResearchOnASimilarGoal()
    {
        var owner = await StartResearchAsync("Explain why some bacterial species develop antibiotic resistance faster than others");
        await Assertions.Expect(owner.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
        var shareUrl = await ShareAsync(owner);
        var guard = app.AppServices.GetRequiredService<SpendGuard>();
        guard.SetPaused(true);
        try
        {
            var (visitor, _) = await app.NewPageAsync();
            await visitor.GotoAsync(app.BaseUrl);
            var run = visitor.GetByTestId("run-cycle");
            await Assertions.Expect(run).ToBeEnabledAsync(new() { Timeout = 20_000 });
            await visitor.GetByTestId("research-goal").FillAsync("Why do some bacteria become resistant to antibiotics so quickly?");
            await run.ClickAsync();

            await Assertions.Expect(visitor.GetByTestId("limit-message")).ToBeVisibleAsync(new() { Timeout = 20_000 });
            var fallback = visitor.GetByTestId("cached-fallback-link");
            await Assertions.Expect(fallback.First).ToBeVisibleAsync();
            Assert.Equal(new Uri(shareUrl).AbsolutePath, await fallback.First.GetAttributeAsync("href"));
        }
        finally
        {
            guard.SetPaused(false);
        }
    }
}
