using System.Text.Json;
using CoScientist.Tests.Fakes;
using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

[Collection(BrowserCollection.Name)]
public sealed class WorkspaceBrowserTests(AppFixture app)
{
    private async Task<(IPage Page, List<string> Errors)> OpenAsync(int width = 1400)
    {
        var (page, errors) = await app.NewPageAsync();
        await page.SetViewportSizeAsync(width, 1000);
        await page.GotoAsync(app.BaseUrl);
        await Assertions.Expect(page.GetByTestId("run-cycle")).ToBeEnabledAsync(new() { Timeout = 20_000 });
        return (page, errors);
    }

    [Fact]
    public async Task ACycleIsFollowedLive_AndEveryViewOfItsResultsWorks()
    {
        app.OpenRouter.Latency = TimeSpan.FromMilliseconds(150);
        try
        {
            var (page, errors) = await OpenAsync();
            await Screenshots.TakeAsync(page, "empty");
            await page.GetByTestId("research-goal").FillAsync("Find ways to make lithium-ion batteries safer without lowering their energy density");
            await page.GetByTestId("run-cycle").ClickAsync();

            // Cards arrive while the cycle is still running.
            await Assertions.Expect(page.GetByTestId("hypothesis-card").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            Assert.Equal("running", await page.GetByTestId("cycle-status").GetAttributeAsync("data-state"));
            await Assertions.Expect(page.Locator("[data-testid=cycle-step][data-step-state=Running]")).ToHaveCountAsync(1);
            await Screenshots.TakeAsync(page, "running");
            await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
            await Screenshots.TakeAsync(page, "finished");

            await page.GetByRole(AriaRole.Tab, new() { Name = "Ranking" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("ranking-table")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("elo-history")).ToBeVisibleAsync();

            await page.GetByRole(AriaRole.Tab, new() { Name = "Tournament" }).ClickAsync();
            var match = page.GetByTestId("match").First;
            await match.ClickAsync();
            await Assertions.Expect(page.GetByTestId("match-transcript").First).ToContainTextAsync("Judge");

            await page.GetByRole(AriaRole.Tab, new() { Name = "Proximity" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("proximity-graph")).ToBeVisibleAsync();
            Assert.Equal(9, await page.Locator("[data-testid=proximity-node]").CountAsync());
            await Screenshots.TakeAsync(page, "proximity");
            var evolved = page.Locator("[data-testid=proximity-node]").Last;
            await evolved.ClickAsync();
            var dialog = page.GetByTestId("hypothesis-dialog");
            await Assertions.Expect(dialog).ToBeVisibleAsync();
            await Assertions.Expect(dialog.GetByTestId("hypothesis-card")).ToBeVisibleAsync();
            Assert.Empty(errors);
        }
        finally
        {
            app.OpenRouter.Latency = TimeSpan.FromMilliseconds(20);
        }
    }

    [Fact]
    public async Task AfterTheConnectionDrops_TheSameSessionAndItsRunningCycleAreBack()
    {
        app.OpenRouter.Latency = TimeSpan.FromMilliseconds(150);
        try
        {
            var (page, _) = await app.NewPageAsync();
            IWebSocketRoute? socket = null;
            var offline = false;
            await page.RouteWebSocketAsync(new System.Text.RegularExpressions.Regex("_blazor"), ws =>
            {
                if (Volatile.Read(ref offline))
                {
                    _ = ws.CloseAsync(); // still "offline": the reconnect attempt fails, so the notice stays up
                    return;
                }
                socket = ws;
                ws.ConnectToServer();
            });
            await page.GotoAsync(app.BaseUrl);
            await Assertions.Expect(page.GetByTestId("run-cycle")).ToBeEnabledAsync(new() { Timeout = 20_000 });
            await page.GetByTestId("research-goal").FillAsync("Explain why some bacterial species develop antibiotic resistance faster than others");
            await page.GetByTestId("run-cycle").ClickAsync();
            await Assertions.Expect(page.GetByTestId("hypothesis-card").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            static string WithoutRank(string? title) => title![(title!.IndexOf(' ') + 1)..]; // "#2 Title" -> "Title"
            var first = WithoutRank(await page.GetByTestId("hypothesis-title").First.TextContentAsync());
            var dropped = socket!;

            Volatile.Write(ref offline, true);
            await dropped.CloseAsync(); // the network drops mid-cycle

            await Assertions.Expect(page.Locator("#components-reconnect-modal")).ToHaveClassAsync(
                new System.Text.RegularExpressions.Regex("components-reconnect-(show|failed)"), new() { Timeout = 10_000 });
            Volatile.Write(ref offline, false);
            if (await page.Locator("#components-reconnect-modal.components-reconnect-failed").CountAsync() > 0)
                await page.Locator("#reconnect-retry").ClickAsync();
            await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
            // Reconnected (over a new WebSocket, or another transport SignalR fell back to) to the same session:
            await Assertions.Expect(page.Locator("#components-reconnect-modal.components-reconnect-show")).ToHaveCountAsync(0);
            Assert.Contains(first, (await page.GetByTestId("hypothesis-title").AllTextContentsAsync()).Select(WithoutRank));
        }
        finally
        {
            app.OpenRouter.Latency = TimeSpan.FromMilliseconds(20);
        }
    }

    [Fact]
    public async Task TwoCyclesBuildOnEachOther_AndALineageParentOpensWithItsMatches()
    {
        var (page, errors) = await OpenAsync();
        await page.GetByTestId("research-goal").FillAsync("Identify drug repurposing candidates for acute myeloid leukemia");
        for (var cycle = 1; cycle <= 2; cycle++)
        {
            await page.GetByTestId("run-cycle").ClickAsync();
            await Assertions.Expect(page.GetByTestId("cycle-status")).ToContainTextAsync($"Cycle {cycle} completed", new() { Timeout = 120_000 });
        }

        Assert.Equal(18, await page.GetByTestId("hypothesis-card").CountAsync()); // 2 × (6 generated + 3 evolved)
        var parentButton = page.GetByTestId("hypothesis-lineage").First.Locator(".lineage-parent").First;
        var parentId = (await parentButton.TextContentAsync())!.Trim();
        await parentButton.FocusAsync();
        await page.Keyboard.PressAsync("Enter"); // reachable from the keyboard
        var dialog = page.GetByTestId("hypothesis-dialog");
        await Assertions.Expect(dialog.GetByTestId("hypothesis-card")).ToHaveAttributeAsync("data-hypothesis-id", parentId);
        // The parent's own matches, whichever cycle it played them in (evolution builds on the best of both cycles).
        await Assertions.Expect(dialog.GetByTestId("dialog-matches")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"(Won against|Lost to) H\d+\s+\(cycle [12]\)"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task BothExports_DownloadAndParse()
    {
        var (page, errors) = await OpenAsync();
        await page.GetByTestId("research-goal").FillAsync("Explain why some bacterial species develop antibiotic resistance faster than others");
        await page.GetByTestId("run-cycle").ClickAsync();
        await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });

        var markdown = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-markdown").ClickAsync());
        var json = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-json").ClickAsync());

        var report = await File.ReadAllTextAsync((await markdown.PathAsync())!);
        Assert.StartsWith("# CoScientist research report", report);
        Assert.Contains("antibiotic resistance", report);
        Assert.Contains("## Hypotheses ranked by Elo", report);
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync((await json.PathAsync())!));
        Assert.Equal(9, doc.RootElement.GetProperty("hypotheses").GetArrayLength());
        Assert.True(doc.RootElement.GetProperty("matches").GetArrayLength() > 0);
        Assert.True(doc.RootElement.GetProperty("matches")[0].GetProperty("transcript").GetArrayLength() > 0);
        Assert.EndsWith(".json", json.SuggestedFilename);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task HostileModelOutput_StaysInert()
    {
        app.OpenRouter.Hostile = true;
        try
        {
            var (page, errors) = await OpenAsync();
            await page.GetByTestId("research-goal").FillAsync("A goal answered by a hostile model");
            await page.GetByTestId("run-cycle").ClickAsync();
            await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
            await Assertions.Expect(page.GetByTestId("hypothesis-title").First).ToContainTextAsync("<img src=x");
            foreach (var tab in new[] { "Tournament", "Meta-review", "Hypotheses" })
                await page.GetByRole(AriaRole.Tab, new() { Name = tab }).ClickAsync();
            await page.Locator("[data-testid=hypothesis-card] b").First.HoverAsync(new() { Force = true });

            Assert.Equal("none", await page.EvaluateAsync<string>("() => String(window.__pwned ?? 'none')"));
            Assert.Equal(0, await page.Locator("img[src=x], [onerror], [onmouseover]").CountAsync());
            Assert.Equal(0, await page.Locator("a[href^='javascript']").CountAsync());
            Assert.True(await page.Locator("a[href='https://example.org/ok']").CountAsync() > 0, "safe links still work");
            Assert.Empty(errors);
        }
        finally
        {
            app.OpenRouter.Hostile = false;
        }
    }

    [Fact]
    public async Task AGoalLongerThanTheLimit_IsRefusedByTheServerEvenWhenTheBrowserIsTamperedWith()
    {
        var (page, errors) = await OpenAsync();
        var before = app.OpenRouter.Requests.Count;

        await page.GetByTestId("research-goal").EvaluateAsync("e => e.removeAttribute('maxlength')");
        await page.GetByTestId("research-goal").FillAsync(new string('x', 3000));
        await page.GetByTestId("run-cycle").ClickAsync();

        await Assertions.Expect(page.GetByTestId("form-error")).ToContainTextAsync("3,000 characters; the limit is 2,000");
        Assert.Equal(before, app.OpenRouter.Requests.Count);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task AMegabytePastedIntoTheGoal_IsCutToTheLimitWithAMessage_AndTheConnectionHolds()
    {
        var (page, errors) = await OpenAsync();
        var sockets = new List<string>();
        page.WebSocket += (_, socket) => sockets.Add(socket.Url);
        var goal = page.GetByTestId("research-goal");

        // Set by script, as a paste that ignores maxlength would: 1 MB, far over the 32 KB message limit.
        await goal.EvaluateAsync("e => { e.value = 'x'.repeat(1024 * 1024); e.dispatchEvent(new Event('input', { bubbles: true })); e.dispatchEvent(new Event('change', { bubbles: true })); }");

        await Assertions.Expect(page.GetByTestId("too-long-notice")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("too-long-notice")).ToContainTextAsync("That text is too long to send: the limit is 2,000 characters");
        Assert.Equal(2000, await goal.EvaluateAsync<int>("e => e.value.length"));
        await Assertions.Expect(page.GetByText("2000 / 2000")).ToBeVisibleAsync(); // the server's counter: it received the value as cut
        await goal.FillAsync("Develop new methods for increasing the efficiency of solar panels");
        await Assertions.Expect(page.GetByText("65 / 2000")).ToBeVisibleAsync(); // and still answers over the same connection
        await Assertions.Expect(page.GetByTestId("too-long-notice")).ToBeHiddenAsync();
        Assert.Empty(sockets); // no reconnection
        Assert.Equal(0, await page.Locator("#components-reconnect-modal.components-reconnect-show").CountAsync());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task OnAPhone_TheWorkspaceIsASingleColumn()
    {
        var (page, errors) = await OpenAsync(width: 390);

        var form = await page.GetByTestId("research-goal").BoundingBoxAsync();
        var list = await page.GetByTestId("no-hypotheses").BoundingBoxAsync();

        Assert.True(list!.Y > form!.Y + form.Height, "the hypotheses come below the form, not beside it");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "no sideways scrolling");
        await Screenshots.TakeAsync(page, "phone", fullPage: true);
        Assert.Empty(errors);
    }
}
