using CoScientist.Tests.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace CoScientist.Tests.E2E;

/// <summary>
/// The real app on a real port (WebApplicationFactory with Kestrel), wired to the fake OpenRouter,
/// and a real headless Chromium driven by Playwright.
/// </summary>
public class AppFixture : IAsyncLifetime
{
    private WebApplicationFactory<Program>? _factory;
    private IPlaywright? _playwright;

    public FakeOpenRouterServer OpenRouter { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";
    public Dictionary<string, string?> Settings { get; } = new()
    {
        ["num_hypotheses"] = "6",
        ["openrouter_initial_backoff_ms"] = "5",
        // Every browser test comes from 127.0.0.1: one "visitor" as far as the hourly limit can tell.
        ["cost_control:max_cycles_per_client_per_hour"] = "1000",
        // The real literature sources are out of reach here; the literature browser test points them at a fake.
        ["literature:enabled"] = "false",
    };

    /// <summary>Everything the app logged, at every level, to search for secrets.</summary>
    public CapturingLoggerProvider Logs { get; } = new();

    public IServiceProvider AppServices => _factory!.Services;

    protected virtual string EnvironmentName => "Development";

    /// <summary>Replaces some of the app's services after it has registered its own.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public virtual async Task InitializeAsync()
    {
        OpenRouter = await FakeOpenRouterServer.StartAsync(seed: 11);
        OpenRouter.Latency = TimeSpan.FromMilliseconds(20);
        Settings.TryAdd("DATA_DIR", CoreHarness.NewDataDir());
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment(EnvironmentName);
            builder.ConfigureLogging(logging => logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace).AddProvider(Logs));
            builder.UseSetting("openrouter_base_url", OpenRouter.BaseUrl);
            builder.UseSetting("OPENROUTER_API_KEY", FakeOpenRouterServer.ValidKey);
            foreach (var (key, value) in Settings)
                builder.UseSetting(key, value);
            builder.ConfigureTestServices(ConfigureServices);
        });
        _factory.UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0)); // a free port, so fixtures never collide
        _factory.StartServer();
        var server = _factory.Services.GetRequiredService<IServer>();
        BaseUrl = server.Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("[::]", "127.0.0.1").TrimEnd('/');

        _playwright = await Playwright.CreateAsync();
        Browser = await LaunchChromiumAsync(_playwright);
    }

    /// <summary>Debian's Chromium, headless, with nothing that would reach out to the network.</summary>
    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = ChromiumPath(),
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    });

    /// <summary>A page whose uncaught script errors are collected, so a test can fail on them.</summary>
    public async Task<(IPage Page, List<string> Errors)> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        page.Console += (_, message) =>
        {
            // Failed resources are reported below with their address.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
                errors.Add(message.Text);
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
                errors.Add($"HTTP {response.Status} for {response.Url}");
        };
        return (page, errors);
    }

    private static string ChromiumPath() =>
        Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path
        : new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists)
          ?? throw new InvalidOperationException("Chromium is not installed: run `apt-get install -y chromium` (as .ci/run does) or set CHROMIUM_PATH.");

    public virtual async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_factory is not null) await _factory.DisposeAsync();
        if (OpenRouter is not null) await OpenRouter.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "browser";
}

/// <summary>
/// A second app of the same kind, for the browser tests that share nothing with the first collection's: xunit runs one
/// collection's tests one after another, and all of them in one made it the suite's longest serial run (90 s alone).
/// </summary>
[CollectionDefinition(Name)]
public sealed class SecondBrowserCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "browser, second app";
}

/// <summary>The app as deployed publicly: production mode, a tiny daily cap, an admin token.</summary>
public sealed class ProductionAppFixture : AppFixture
{
    public const string AdminToken = "e2e-admin-token-7f3a";
    public const string VisitorKey = "sk-or-v1-e2e-visitor-secret-55aa";

    public ProductionAppFixture()
    {
        Settings["DEPLOYMENT_ENV"] = "production";
        Settings["ADMIN_TOKEN"] = AdminToken;
        Settings["cost_control:daily_spending_limit_usd"] = "0.03"; // room for one cycle of about $0.02, not two,
        Settings["cost_control:default_model"] = "openai/gpt-3.5-turbo"; // on this model
        Settings["num_hypotheses"] = "3";
    }

    protected override string EnvironmentName => "Production";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        OpenRouter.AcceptedKeys.Add(VisitorKey);
        OpenRouter.RealisticLengths = true; // so the charges match the estimate, as real answers do
    }
}

[CollectionDefinition(Name)]
public sealed class ProductionBrowserCollection : ICollectionFixture<ProductionAppFixture>
{
    public const string Name = "production browser";
}
