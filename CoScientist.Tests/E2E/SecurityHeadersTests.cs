using CoScientist.Tests.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CoScientist.Tests.E2E;

/// <summary>The app as a Space runs it: production, SPACE_HOST set, behind a proxy on loopback; no browser.</summary>
public sealed class SpaceAppFixture : IAsyncLifetime
{
    public const string SpaceHost = "someone-coscientist.hf.space";
    private FakeOpenRouterServer _openRouter = null!;
    private WebApplicationFactory<Program>? _factory;

    public string BaseUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _openRouter = await FakeOpenRouterServer.StartAsync();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("openrouter_base_url", _openRouter.BaseUrl);
            builder.UseSetting("OPENROUTER_API_KEY", FakeOpenRouterServer.ValidKey);
            builder.UseSetting("DATA_DIR", CoreHarness.NewDataDir());
            builder.UseSetting("SPACE_HOST", SpaceHost);
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

/// <summary>The headers of real responses.</summary>
public sealed class SecurityHeadersTests(SpaceAppFixture app) : IClassFixture<SpaceAppFixture>
{
    private const string SpaceHost = SpaceAppFixture.SpaceHost;

    private async Task<HttpResponseMessage> GetPageAsync(string? forwardedProto = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, app.BaseUrl + "/");
        request.Headers.Host = SpaceHost; // as the Space's proxy forwards it, so localhost's exemption from HSTS plays no part
        if (forwardedProto is not null)
        {
            request.Headers.Add("X-Forwarded-For", "203.0.113.7");
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        }
        var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return response;
    }

    [Fact]
    public async Task OnlyHuggingFaceAndTheSpaceItself_MayFrameThePage()
    {
        var page = await GetPageAsync();

        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        var frameAncestors = csp.Split(';').Select(d => d.Trim()).Single(d => d.StartsWith("frame-ancestors ", StringComparison.Ordinal));
        Assert.Equal($"frame-ancestors 'self' https://huggingface.co https://{SpaceHost}", frameAncestors);
        Assert.False(page.Headers.Contains("X-Frame-Options"), "X-Frame-Options: SAMEORIGIN would forbid the Space's own iframe");
    }

    [Fact]
    public async Task HstsIsSent_OnlyWhenTheRequestCameOverHttps()
    {
        var overHttp = await GetPageAsync();
        var overHttps = await GetPageAsync(forwardedProto: "https");

        Assert.False(overHttp.Headers.Contains("Strict-Transport-Security"));
        Assert.StartsWith("max-age=", overHttps.Headers.GetValues("Strict-Transport-Security").Single());
    }
}
