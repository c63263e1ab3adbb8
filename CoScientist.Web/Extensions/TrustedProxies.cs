using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace CoScientist.Web.Extensions;

public static class TrustedProxies
{
    /// <summary>
    /// X-Forwarded-For is believed only from the proxies in `trusted_proxies` (IP addresses or CIDR
    /// networks; loopback by default). Inside a Hugging Face Space (SPACE_ID set) with nothing
    /// configured, the private networks are trusted: only Hugging Face's front proxy can reach the
    /// container there. Only the hop the trusted proxy appended is used (ForwardLimit 1), so a
    /// header forged by the visitor changes nothing.
    /// </summary>
    public static WebApplicationBuilder AddTrustedProxies(this WebApplicationBuilder builder)
    {
        var configured = builder.Configuration.GetSection("trusted_proxies").Get<string[]>() ?? [];
        if (configured.Length == 0 && !string.IsNullOrWhiteSpace(builder.Configuration["SPACE_ID"]))
            configured = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.ForwardLimit = 1;
            foreach (var entry in configured)
            {
                if (System.Net.IPNetwork.TryParse(entry, out var network))
                    options.KnownIPNetworks.Add(network);
                else if (IPAddress.TryParse(entry, out var address))
                    options.KnownProxies.Add(address);
                else
                    throw new InvalidOperationException($"trusted_proxies: '{entry}' is neither an IP address nor a CIDR network.");
            }
        });
        return builder;
    }
}
