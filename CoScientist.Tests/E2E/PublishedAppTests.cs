using System.Net;
using System.Text.Json;
using CoScientist.Tests.Fakes;
using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

[Collection(PublishedCollection.Name)]
public sealed class PublishedAppTests(PublishedAppFixture app)
{
    [Fact]
    public async Task ThePublishedApp_IsAliveReadyAndSendsSecurityHeaders()
    {
        using var http = new HttpClient();

        var health = await http.GetAsync(app.BaseUrl + "/healthz");
        var ready = await http.GetAsync(app.BaseUrl + "/readyz");
        var page = await http.GetAsync(app.BaseUrl + "/");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var readiness = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.StartsWith("loaded", readiness.RootElement.GetProperty("catalogue").GetString());
        Assert.Equal("writable", readiness.RootElement.GetProperty("ledger").GetString());
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("frame-ancestors 'self' https://huggingface.co", csp);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.True(app.RanAsNonRoot || Environment.UserName != "root", "as root, the app must be started as the Dockerfile's user");
    }

    [Fact]
    public async Task ThePublishedApp_RunsAFullCycleInTheBrowser()
    {
        var context = await app.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        page.Console += (_, m) => { if (m.Type == "error" && !m.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)) errors.Add(m.Text); };
        page.Response += (_, r) => { if (r.Status >= 400) errors.Add($"HTTP {r.Status} for {r.Url}"); };

        await page.GotoAsync(app.BaseUrl);
        await Assertions.Expect(page.GetByTestId("deployment-notice")).ToContainTextAsync("Production", new() { Timeout = 20_000 });
        await Assertions.Expect(page.GetByTestId("run-cycle")).ToBeEnabledAsync(new() { Timeout = 20_000 });
        await page.GetByTestId("research-goal").FillAsync("Develop new methods for increasing the efficiency of solar panels");
        await page.GetByTestId("run-cycle").ClickAsync();

        await Assertions.Expect(page.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
        Assert.Equal(6, await page.GetByTestId("hypothesis-card").CountAsync()); // 3 (the production clamp) + 3 evolved
        Assert.Empty(errors);
    }

    [Fact]
    public async Task MetricsNeedTheAdminToken()
    {
        using var http = new HttpClient();

        var anonymous = await http.GetAsync(app.BaseUrl + "/metrics");
        using var request = new HttpRequestMessage(HttpMethod.Get, app.BaseUrl + "/metrics");
        request.Headers.Authorization = new("Bearer", "published-admin-token");
        var authorised = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authorised.StatusCode);
        Assert.Contains("coscientist_sessions_active", await authorised.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheLogsAreJsonWithNoKeyAndNoRawIp()
    {
        using var http = new HttpClient();
        await http.GetAsync(app.BaseUrl + "/");
        // A wrong token is logged with the client it came from: the line to look for a raw address in.
        using var wrong = new HttpRequestMessage(HttpMethod.Get, app.BaseUrl + "/metrics");
        wrong.Headers.Authorization = new("Bearer", "not-the-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        await Wait.UntilAsync(() => { lock (app.Output) return app.Output.Any(l => l.Contains("sign-in from client", StringComparison.Ordinal)); },
            TimeSpan.FromSeconds(30));

        string[] lines;
        lock (app.Output) lines = app.Output.ToArray();
        Assert.NotEmpty(lines);
        Assert.All(lines.Where(l => l.StartsWith('{')), l => JsonDocument.Parse(l).Dispose());
        Assert.True(lines.Count(l => l.StartsWith('{')) >= lines.Length / 2, "production logs are JSON");
        Assert.DoesNotContain(lines, l => l.Contains(CoScientist.Tests.Fakes.FakeOpenRouterServer.ValidKey));
        Assert.DoesNotContain(lines, l => l.Contains("127.0.0.1") && !l.Contains("Now listening"));
    }
}

public class DockerfileTests
{
    private static readonly string Root = PublishedAppFixture.RepositoryRoot();
    private static readonly DockerfileFacts Facts = DockerfileFacts.Read(Root);

    [Fact]
    public void TheImage_ListensOn7860AsUid1000WithNoSecretsBakedIn()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));

        Assert.Equal(7860, Facts.Port);
        Assert.Equal([7860], Facts.Exposed);
        Assert.Equal("1000", Facts.User);
        Assert.Equal(["dotnet", "CoScientist.Web.dll"], Facts.Command);
        Assert.Equal("production", Facts.Environment["DEPLOYMENT_ENV"]);
        Assert.Equal("/data", Facts.Environment["DATA_DIR"]);
        Assert.Contains("--healthcheck", Facts.HealthCheck);
        Assert.Contains(Facts.HealthCheck, a => a.EndsWith($":{Facts.Port}/healthz", StringComparison.Ordinal));
        var instructions = dockerfile.Split('\n').Where(l => !l.TrimStart().StartsWith('#')).ToList();
        Assert.DoesNotContain(instructions, l => l.Contains("OPENROUTER_API_KEY") || l.Contains("ADMIN_TOKEN"));
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk", dockerfile);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet", dockerfile);
        Assert.True(File.Exists(Path.Combine(Root, ".dockerignore")));
        var publish = instructions.Single(l => l.Contains("dotnet publish"));
        Assert.All(PublishedAppFixture.PublishArguments, a => Assert.Contains(a, publish));
    }

    [Fact]
    public void TheSpaceHeader_MatchesTheImage()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var header = readme.Split("---")[1];

        Assert.StartsWith("---", readme);
        Assert.Contains("sdk: docker", header);
        Assert.Contains($"app_port: {Facts.Port}", header);
        foreach (var key in new[] { "title:", "emoji:", "colorFrom:", "colorTo:", "license:", "short_description:" })
            Assert.Contains(key, header);
        var description = header.Split('\n').Single(l => l.StartsWith("short_description:"))["short_description:".Length..].Trim().Trim('"');
        Assert.InRange(description.Length, 1, 60);
    }
}
