using CoScientist.Core.Cost;

namespace CoScientist.Web.Session;

/// <summary>
/// Recognises a visitor on their first HTTP request: the IP (ForwardedHeaders has already replaced it
/// with X-Forwarded-For, but only for requests from a trusted proxy) and a long-lived browser
/// cookie, both hashed. App.razor hands the result to the circuit through a protected root parameter.
/// </summary>
public sealed class ClientIdentityMiddleware(RequestDelegate next, ClientHasher hasher)
{
    public const string CookieName = "coscientist_client";
    internal const string ItemKey = "coscientist.client";

    public Task InvokeAsync(HttpContext http)
    {
        var browserId = http.Request.Cookies[CookieName];
        if (string.IsNullOrEmpty(browserId) || browserId.Length > 64)
        {
            browserId = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
            http.Response.Cookies.Append(CookieName, browserId, CookieFor(http));
        }
        http.Items[ItemKey] = hasher.For(NetworkOf(http.Connection.RemoteIpAddress), browserId);
        return next(http);
    }

    /// <summary>
    /// Inside the Space's iframe the app is a third party: the cookie must be SameSite=None; Secure,
    /// and Partitioned so browsers that block third-party cookies still keep it. Over plain HTTP
    /// (local development) such a cookie would be dropped, so Lax is used there.
    /// </summary>
    private static CookieOptions CookieFor(HttpContext http)
    {
        var options = new CookieOptions
        {
            HttpOnly = true,
            IsEssential = true,
            MaxAge = TimeSpan.FromDays(365),
            Path = "/",
        };
        if (http.Request.IsHttps)
        {
            options.Secure = true;
            options.SameSite = SameSiteMode.None;
            options.Extensions.Add("Partitioned");
        }
        else
        {
            options.SameSite = SameSiteMode.Lax;
        }
        return options;
    }

    /// <summary>
    /// The address that identifies a visitor: an IPv4 address as it is, an IPv6 address by its /64
    /// network, since one visitor typically holds a whole /64 and could otherwise rotate through it.
    /// </summary>
    internal static string? NetworkOf(System.Net.IPAddress? address)
    {
        if (address is null) return null;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new System.Net.IPAddress(bytes) + "/64";
    }

    public static ClientKey? From(HttpContext? http) => http?.Items[ItemKey] as ClientKey;

    public static string Serialize(ClientKey? key) => key is null ? "" : key.IpHash + "|" + key.BrowserHash;

    public static ClientKey Parse(string? value) =>
        value?.Split('|') is [var ip, var browser] && ip.Length > 0 && browser.Length > 0 ? new ClientKey(ip, browser) : ClientKey.Unknown;
}

/// <summary>The circuit's view of who the visitor is; set once by Routes from App.razor's first request.</summary>
public sealed class ClientContext
{
    public ClientKey Client { get; private set; } = ClientKey.Unknown;

    public void Initialize(ClientKey client)
    {
        if (Client == ClientKey.Unknown) Client = client;
    }
}
