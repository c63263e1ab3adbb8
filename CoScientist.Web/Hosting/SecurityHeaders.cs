using Microsoft.Extensions.Options;

namespace CoScientist.Web.Hosting;

/// <summary>
/// Headers for a public site. The Content-Security-Policy allows what Blazor Server and MudBlazor
/// need and nothing else: scripts only from this origin, inline styles (MudBlazor sets style
/// attributes), images from this origin and data: URIs, the SignalR connection back to this origin,
/// and framing only by the sources in <see cref="SecurityHeadersOptions"/> (a Space embeds the app
/// in an iframe on huggingface.co). Over HTTPS, HSTS is added by UseHsts outside development.
/// </summary>
public static class SecurityHeaders
{
    public static string ContentSecurityPolicy(IEnumerable<string> frameAncestors) =>
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; " +
        "frame-ancestors " + string.Join(' ', frameAncestors);

    public static IServiceCollection AddSecurityHeaders(this IServiceCollection services)
    {
        services.AddOptions<SecurityHeadersOptions>().BindConfiguration("").ValidateDataAnnotations().ValidateOnStart();
        // The antiforgery middleware would add X-Frame-Options: SAMEORIGIN, which contradicts
        // frame-ancestors (browsers that honour it refuse the Space's iframe); the CSP decides.
        services.Configure<Microsoft.AspNetCore.Antiforgery.AntiforgeryOptions>(o => o.SuppressXFrameOptionsHeader = true);
        services.AddHsts(o => o.MaxAge = TimeSpan.FromDays(365));
        return services;
    }

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app)
    {
        var policy = ContentSecurityPolicy(app.ApplicationServices.GetRequiredService<IOptions<SecurityHeadersOptions>>().Value.EffectiveFrameAncestors());
        return app.Use(async (http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                var headers = http.Response.Headers;
                headers.ContentSecurityPolicy = policy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
                return Task.CompletedTask;
            });
            await next();
        });
    }
}
