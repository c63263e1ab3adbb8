using System.Globalization;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Research;
using CoScientist.Tests.E2E;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Session;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;

namespace CoScientist.Tests.Distributed;

/// <summary>
/// Two instances of the app (two real hosts on two ports, each with its own data directory) sharing one real Redis
/// and one real PostgreSQL, as an operator runs them behind a load balancer: every guarantee of one instance holds
/// across both.
/// </summary>
public sealed class TwoInstancesTests : IAsyncLifetime
{
    private const string AdminToken = "two-instances-admin-token";
    private const decimal DailyCap = 0.05m;
    private RedisServer _redis = null!;
    private FakeOpenRouterServer _openRouter = null!;
    private string _postgres = "";
    private ScaleOutHost _a = null!, _b = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _postgres = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
        _openRouter = await FakeOpenRouterServer.StartAsync(seed: 12);
        _openRouter.RealisticLengths = true;
        _openRouter.Latency = TimeSpan.FromMilliseconds(20);
        // Started one after the other, as a rolling deploy does; the second waits for nothing the first holds.
        _a = ScaleOutHost.Start(Settings());
        _b = ScaleOutHost.Start(Settings());
    }

    private Dictionary<string, string?> Settings() => new()
    {
        ["DATA_DIR"] = CoreHarness.NewDataDir(),
        ["ConnectionStrings:Redis"] = _redis.ConnectionString,
        ["ConnectionStrings:Postgres"] = _postgres,
        ["openrouter_base_url"] = _openRouter.BaseUrl,
        ["OPENROUTER_API_KEY"] = FakeOpenRouterServer.ValidKey,
        ["ADMIN_TOKEN"] = AdminToken,
        ["num_hypotheses"] = "3",
        ["openrouter_initial_backoff_ms"] = "5",
        ["literature:enabled"] = "false",
        ["cost_control:daily_spending_limit_usd"] = DailyCap.ToString(CultureInfo.InvariantCulture),
        ["cost_control:default_model"] = "openai/gpt-3.5-turbo",
        ["cost_control:max_cycles_per_client_per_hour"] = "1000",
        ["cost_control:max_concurrent_cycles"] = "500",
    };

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _openRouter.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task HundredSessionsSplitAcrossBothInstances_NeverChargeMoreThanTheDailyCap_AndEitherAdminSeesTheWhole()
    {
        var sessions = Enumerable.Range(0, 100).Select(i => (i % 2 == 0 ? _a : _b).NewSession()).ToList();
        await Task.WhenAll(sessions.Select(s => s.StartCycleAsync(s.Form("Find ways to make lithium-ion batteries safer"))));
        await Wait.UntilAsync(() => sessions.All(s => !s.Session.IsRunning), TimeSpan.FromMinutes(3));

        var charged = _openRouter.TotalCharged;
        Assert.True(charged <= DailyCap, $"OpenRouter charged ${charged} against a daily cap of ${DailyCap}");
        Assert.True(charged >= DailyCap / 2, $"only ${charged} of the ${DailyCap} cap was used: the instances refused too early");
        var outcomes = string.Join("\n", sessions.Select(s => $"{s.Session.Status}: {s.Session.LimitMessage ?? s.Session.StatusMessage}").Distinct());
        Assert.True(sessions.Any(s => s.Session.LimitMessage?.Contains("daily spending limit") == true), outcomes);
        // Each instance counts what both spent.
        var (todayA, _) = _a.Services.GetRequiredService<SpendGuard>().Totals();
        var (todayB, _) = _b.Services.GetRequiredService<SpendGuard>().Totals();
        Assert.Equal(todayA, todayB);
        Assert.True(todayA >= charged, $"the caps count ${todayA} but OpenRouter charged ${charged}");
    }

    [Fact]
    public async Task AVisitorsHourlyLimit_CountsCyclesStartedOnEitherInstance()
    {
        foreach (var host in new[] { _a, _b }) host.Configure(o => o.MaxCyclesPerClientPerHour = 1);
        var visitor = new ClientKey("ip-hash-of-one-visitor", "browser-hash-of-one-visitor");

        var first = _a.NewSession(visitor);
        Assert.Null(await first.StartCycleAsync(first.Form("Explain why some bacteria develop antibiotic resistance faster")));
        var second = _b.NewSession(visitor);
        await second.StartCycleAsync(second.Form("Find ways to make lithium-ion batteries safer"));

        Assert.Equal(ResearchStatus.Blocked, second.Session.Status);
        Assert.Contains("1/1 cycles in the last hour", second.Session.LimitMessage);
    }

    [Fact]
    public async Task ResearchMadeOnOneInstance_OpensForItsOwnerOnTheOther_AndAShareLinkThereShowsItsCycleLive()
    {
        await using var browser = await Browsers.LaunchAsync();
        var owner = await (await browser.Browser.NewContextAsync()).NewPageAsync();
        _openRouter.Latency = TimeSpan.FromMilliseconds(300);

        // The owner starts a cycle on A and shares it while it runs.
        await owner.GotoAsync(_a.BaseUrl);
        var run = owner.GetByTestId("run-cycle");
        await Assertions.Expect(run).ToBeEnabledAsync(new() { Timeout = 30_000 });
        await owner.GetByTestId("research-goal").FillAsync("Explain why some bacteria develop antibiotic resistance faster");
        await run.ClickAsync();
        await Assertions.Expect(owner).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/r/[A-Za-z0-9_-]{22}$"), new() { Timeout = 30_000 });
        var path = new Uri(owner.Url).AbsolutePath;
        await owner.GetByTestId("share-create").ClickAsync();
        var link = owner.GetByTestId("share-link");
        await Assertions.Expect(link).ToBeVisibleAsync();
        var shareUrl = (await link.InputValueAsync().ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null)) ?? await link.TextContentAsync();
        var sharePath = new Uri(shareUrl!.Trim()).AbsolutePath;

        // A reader on B watches the cycle that runs on A, step by step.
        var reader = await (await browser.Browser.NewContextAsync()).NewPageAsync();
        var errors = new List<string>();
        reader.PageError += (_, error) => errors.Add(error);
        await reader.GotoAsync(_b.BaseUrl + sharePath);
        await Assertions.Expect(reader.GetByTestId("research-readonly")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(reader.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "running", new() { Timeout = 30_000 });
        await Assertions.Expect(reader.GetByTestId("cycle-status")).ToContainTextAsync("another server");
        await Assertions.Expect(reader.Locator("[data-testid=cycle-step][data-step=Generation][data-step-state=Done]"))
            .ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(reader.GetByTestId("hypothesis-card").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(reader.GetByTestId("cycle-status")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
        Assert.Equal(0, await reader.GetByTestId("run-cycle").CountAsync());
        Assert.Equal(await owner.GetByTestId("hypothesis-card").CountAsync(), await reader.GetByTestId("hypothesis-card").CountAsync());
        Assert.Empty(errors);

        // The owner's link works on B too: same hypotheses, and the owner's controls.
        var titles = (await owner.GetByTestId("hypothesis-title").AllTextContentsAsync()).Order().ToList();
        await owner.GotoAsync(_b.BaseUrl + path);
        await Assertions.Expect(owner.GetByTestId("hypothesis-title")).ToHaveCountAsync(titles.Count, new() { Timeout = 30_000 });
        Assert.Equal(titles, (await owner.GetByTestId("hypothesis-title").AllTextContentsAsync()).Order());
        await Assertions.Expect(owner.GetByTestId("run-cycle")).ToBeEnabledAsync(new() { Timeout = 30_000 });

        // The operator signed in on B sees what A spent.
        var admin = await (await browser.Browser.NewContextAsync()).NewPageAsync();
        await admin.GotoAsync(_b.BaseUrl + "/admin");
        await admin.GetByTestId("admin-token").FillAsync(AdminToken);
        await admin.GetByTestId("admin-login").ClickAsync();
        var spent = decimal.Parse(await admin.GetByTestId("spend-today").TextContentAsync() ?? "", CultureInfo.InvariantCulture);
        Assert.True(spent >= _openRouter.TotalCharged && spent > 0, $"B's admin page shows ${spent}; OpenRouter charged ${_openRouter.TotalCharged} on A");
    }
}

/// <summary>One instance of the app: a real host on a free port with its own services.</summary>
internal sealed class ScaleOutHost : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;

    private ScaleOutHost(WebApplicationFactory<Program> factory, string baseUrl)
    {
        _factory = factory;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }
    public IServiceProvider Services => _factory.Services;

    public static ScaleOutHost Start(IDictionary<string, string?> settings)
    {
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Development");
            foreach (var (key, value) in settings)
                builder.UseSetting(key, value);
        });
        factory.UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0));
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ScaleOutHost(factory, address.Replace("[::]", "127.0.0.1").TrimEnd('/'));
    }

    public void Configure(Action<CostControlOptions> change) => change(Services.GetRequiredService<IOptionsMonitor<CostControlOptions>>().CurrentValue);

    /// <summary>A visitor's session, as a circuit on this instance has it.</summary>
    public SessionDriver NewSession(ClientKey? client = null)
    {
        var scope = Services.CreateAsyncScope().ServiceProvider;
        if (client is not null) scope.GetRequiredService<ClientContext>().Initialize(client);
        return new SessionDriver(scope.GetRequiredService<ResearchSession>(), Services.GetRequiredService<IOptions<ResearchOptions>>().Value);
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();
}

internal sealed record SessionDriver(ResearchSession Session, ResearchOptions Options)
{
    public ResearchForm Form(string goal)
    {
        var form = ResearchForm.From(Options);
        form.Goal = goal;
        return form;
    }

    public Task<string?> StartCycleAsync(ResearchForm form) => Session.StartCycleAsync(form);
}

/// <summary>Chromium for a test of its own.</summary>
internal sealed class Browsers : IAsyncDisposable
{
    private IPlaywright _playwright = null!;
    public IBrowser Browser { get; private set; } = null!;

    public static async Task<Browsers> LaunchAsync()
    {
        var browsers = new Browsers { _playwright = await Playwright.CreateAsync() };
        browsers.Browser = await AppFixture.LaunchChromiumAsync(browsers._playwright);
        return browsers;
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
