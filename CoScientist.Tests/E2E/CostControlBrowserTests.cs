using System.Globalization;
using CoScientist.Core.Cost;
using Microsoft.Extensions.DependencyInjection;
using CoScientist.Tests.Fakes;
using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

[Collection(ProductionBrowserCollection.Name)]
public sealed class CostControlBrowserTests(ProductionAppFixture app)
{
    [Fact]
    public async Task AtTheDailyCap_TheVisitorSeesWhyAndTheOperatorSeesTheSpend()
    {
        var (page, errors) = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl);
        await Assertions.Expect(page.GetByTestId("deployment-notice")).ToContainTextAsync("filtered for cost control");
        await Assertions.Expect(page.GetByTestId("usage-info")).ToContainTextAsync("0/5 cycles used");
        await Assertions.Expect(page.GetByTestId("cost-estimate")).ToContainTextAsync("Next cycle: about $");
        var run = page.GetByTestId("run-cycle");
        await Assertions.Expect(run).ToBeEnabledAsync(new() { Timeout = 20_000 });

        await page.GetByTestId("research-goal").FillAsync("Develop new methods for increasing the efficiency of solar panels");
        await run.ClickAsync();
        var status = page.GetByTestId("cycle-status");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
        await Assertions.Expect(page.GetByTestId("usage-info")).ToContainTextAsync("1/5 cycles used");
        await Assertions.Expect(page.GetByTestId("cost-actual")).ToContainTextAsync("actual vs $");

        await run.ClickAsync();

        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "blocked", new() { Timeout = 120_000 });
        var limit = page.GetByTestId("limit-message");
        await Assertions.Expect(limit).ToContainTextAsync("daily spending limit of $0.03");
        await Assertions.Expect(limit).ToContainTextAsync("resets at");
        await Assertions.Expect(limit).ToContainTextAsync("your own OpenRouter key");
        Assert.True(await page.GetByTestId("hypothesis-card").CountAsync() > 0, "what was produced before the cap is kept");
        Assert.Empty(errors);
        await Screenshots.TakeAsync(page, "blocked");

        var (admin, adminErrors) = await app.NewPageAsync();
        await admin.GotoAsync(app.BaseUrl + "/admin");
        await admin.GetByTestId("admin-token").FillAsync(ProductionAppFixture.AdminToken);
        await admin.GetByTestId("admin-login").ClickAsync();
        var spendToday = admin.GetByTestId("spend-today");
        await Assertions.Expect(spendToday).ToBeVisibleAsync(new() { Timeout = 10_000 });
        var shown = decimal.Parse(await spendToday.TextContentAsync() ?? "", CultureInfo.InvariantCulture);
        var (today, _) = app.AppServices.GetRequiredService<SpendGuard>().Totals();
        Assert.True(Math.Abs(today - shown) <= 0.000001m, $"admin shows {shown}, the guard holds {today}");
        Assert.True(shown > 0 && shown <= 0.03m);
        Assert.True(app.OpenRouter.ChargedTo(FakeOpenRouterServer.ValidKey) <= 0.03m);
        await Assertions.Expect(admin.GetByTestId("spend-by-model")).ToContainTextAsync("openai/gpt-3.5-turbo");
        await Assertions.Expect(admin.GetByTestId("admin-warning").First).ToContainTextAsync("google/gemini-2.0-flash-001");
        Assert.Empty(adminErrors);
        await Screenshots.TakeAsync(admin, "admin");
    }

    [Fact]
    public async Task AWrongAdminToken_IsRefused()
    {
        var (page, _) = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/admin");

        await page.GetByTestId("admin-token").FillAsync("not-the-token");
        await page.GetByTestId("admin-login").ClickAsync();

        await Assertions.Expect(page.GetByTestId("admin-message")).ToContainTextAsync("not right");
        Assert.Equal(0, await page.GetByTestId("spend-today").CountAsync());
    }

    [Fact]
    public async Task AVisitorsOwnKey_RunsACycleAndNeverReachesTheBrowserOrTheLogs()
    {
        var (page, errors) = await app.NewPageAsync();
        await page.GotoAsync(app.BaseUrl);
        await Assertions.Expect(page.GetByTestId("run-cycle")).ToBeEnabledAsync(new() { Timeout = 20_000 });

        await page.GetByTestId("byok-key").FillAsync(ProductionAppFixture.VisitorKey);
        await page.GetByTestId("byok-apply").ClickAsync();
        await Assertions.Expect(page.GetByTestId("byok-message")).ToContainTextAsync("Key accepted");
        await page.GetByTestId("research-goal").FillAsync("Explain why some bacterial species develop antibiotic resistance faster than others");
        await page.GetByTestId("run-cycle").ClickAsync();
        await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });

        Assert.DoesNotContain(ProductionAppFixture.VisitorKey, await page.ContentAsync());
        // What a field holds is not in the page's HTML: ask every field for its value.
        Assert.False(await page.EvaluateAsync<bool>(
            "key => Array.from(document.querySelectorAll('input, textarea')).some(e => (e.value || '').includes(key))", ProductionAppFixture.VisitorKey),
            "the visitor's key is still in a field of the page after it was accepted");
        Assert.DoesNotContain(ProductionAppFixture.VisitorKey, app.Logs.All);
        Assert.Contains(app.OpenRouter.Requests, r => r.Headers["Authorization"] == "Bearer " + ProductionAppFixture.VisitorKey);
        Assert.Empty(errors);
    }
}
