using CoScientist.Tests.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CoScientist.Tests.E2E;

/// <summary>The app as a Space runs it: production, SPACE_HOST set, behind a proxy on loopback; no browser.</summary>
public sealed class SpaceAppFixture : IAsyncLifetime
{
    public const string SpaceHost = "someone-coscientist.hf.space";
    private FakeOpenRouterServer _openRouter = null!;
    private WebApplicationFactory<Program>? _factory;

    public string BaseUrl { get; private set; } = "";

    /// <summary>Everything the app logged, at every level its filters let through.</summary>
    public CapturingLoggerProvider Logs { get; } = new();

    public async Task InitializeAsync()
    {
        _openRouter = await FakeOpenRouterServer.StartAsync();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("openrouter_base_url", _openRouter.BaseUrl);
            builder.UseSetting("OPENROUTER_API_KEY", FakeOpenRouterServer.ValidKey);
            builder.UseSetting("DATA_DIR", CoreHarness.NewDataDir());
            builder.UseSetting("literature:enabled", "false"); // the real sources are out of reach here
            builder.UseSetting("SPACE_HOST", SpaceHost);
            builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        });
        _factory.UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0));
        _factory.StartServer();
        BaseUrl = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null) await _factory.DisposeAsync();
        if (_openRouter is not null) await _openRouter.DisposeAsync();
    }
}
