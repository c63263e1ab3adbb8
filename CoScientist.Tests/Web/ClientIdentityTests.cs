using System.Net;
using CoScientist.Core.Cost;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Extensions;
using CoScientist.Web.Session;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Web;

public class ForwardedHeaderTests
{
    private static async Task<IPAddress?> ClientIpSeen(string remote, string forwardedFor, params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        foreach (var (key, value) in settings)
            builder.Configuration[key] = value;
        builder.AddTrustedProxies();
        using var provider = builder.Services.BuildServiceProvider();
        IPAddress? seen = null;
        var middleware = new ForwardedHeadersMiddleware(context => { seen = context.Connection.RemoteIpAddress; return Task.CompletedTask; },
            NullLoggerFactory.Instance, provider.GetRequiredService<IOptions<ForwardedHeadersOptions>>());
        var http = new DefaultHttpContext();
        http.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        http.Request.Headers["X-Forwarded-For"] = forwardedFor;
        await middleware.Invoke(http);
        return seen;
    }

    [Fact]
    public async Task AForgedHeaderFromTheOpenInternet_ChangesNothing() =>
        Assert.Equal(IPAddress.Parse("203.0.113.7"), await ClientIpSeen("203.0.113.7", "1.2.3.4"));

    [Fact]
    public async Task BehindATrustedProxy_TheHopItAppendedIsTheClient() =>
        Assert.Equal(IPAddress.Parse("198.51.100.20"), await ClientIpSeen("10.1.2.3", "6.6.6.6, 198.51.100.20", ("trusted_proxies:0", "10.0.0.0/8")));

    [Fact]
    public async Task InAHuggingFaceSpace_ItsFrontProxyIsTrustedWithoutConfiguration() =>
        Assert.Equal(IPAddress.Parse("198.51.100.20"), await ClientIpSeen("10.20.30.40", "198.51.100.20", ("SPACE_ID", "me/coscientist")));

    [Fact]
    public async Task OutsideASpace_PrivateAddressesAreNotTrustedByDefault() =>
        Assert.Equal(IPAddress.Parse("10.20.30.40"), await ClientIpSeen("10.20.30.40", "198.51.100.20"));

    [Fact]
    public void AMistypedTrustedProxy_StopsTheAppWithTheSettingsName()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
        {
            var builder = WebApplication.CreateBuilder();
            builder.Configuration["trusted_proxies:0"] = "not-an-ip";
            builder.AddTrustedProxies();
            using var provider = builder.Services.BuildServiceProvider();
            _ = provider.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
        });
        Assert.Contains("trusted_proxies", ex.Message);
    }
}

public class ClientCookieTests
{
    private static ClientHasher Hasher() => new(new SpendLedger(Options.Create(new StorageOptions { DataDir = CoreHarness.NewDataDir() }),
        NullLogger<SpendLedger>.Instance), NullLogger<ClientHasher>.Instance);

    private static async Task<(HttpContext Http, ClientKey Key)> VisitAsync(ClientHasher hasher, string? cookie = null, bool https = false, string ip = "198.51.100.5")
    {
        var http = new DefaultHttpContext();
        http.Connection.RemoteIpAddress = IPAddress.Parse(ip);
        http.Request.IsHttps = https;
        if (cookie is not null) http.Request.Headers.Cookie = $"{ClientIdentityMiddleware.CookieName}={cookie}";
        await new ClientIdentityMiddleware(_ => Task.CompletedTask, hasher).InvokeAsync(http);
        return (http, ClientIdentityMiddleware.From(http)!);
    }

    [Fact]
    public async Task AFirstVisitOverHttps_GetsALongLivedCookieThatWorksInsideTheSpacesIframe()
    {
        var (http, _) = await VisitAsync(Hasher(), https: true);

        var setCookie = http.Response.Headers.SetCookie.ToString().ToLowerInvariant();
        Assert.Contains("samesite=none", setCookie);
        Assert.Contains("secure", setCookie);
        Assert.Contains("partitioned", setCookie);
        Assert.Contains("httponly", setCookie);
        Assert.Contains("max-age=31536000", setCookie);
    }

    [Fact]
    public async Task OverPlainHttp_TheCookieIsLaxSoBrowsersKeepIt()
    {
        var (http, _) = await VisitAsync(Hasher());
        Assert.Contains("samesite=lax", http.Response.Headers.SetCookie.ToString().ToLowerInvariant());
    }

    [Fact]
    public async Task TheSameBrowser_IsTheSameClientAndNoRawIpIsKept()
    {
        var hasher = Hasher();
        var (first, _) = await VisitAsync(hasher);
        var cookie = first.Response.Headers.SetCookie.ToString().Split(';')[0].Split('=', 2)[1];

        var (again, key) = await VisitAsync(hasher, cookie);
        var (_, otherBrowser) = await VisitAsync(hasher);

        Assert.Empty(again.Response.Headers.SetCookie.ToString());
        Assert.Equal(key.IpHash, otherBrowser.IpHash);
        Assert.NotEqual(key.BrowserHash, otherBrowser.BrowserHash);
        Assert.DoesNotContain("198.51.100.5", key.IpHash);
        Assert.Equal(key, ClientIdentityMiddleware.Parse(ClientIdentityMiddleware.Serialize(key)));
    }
}
