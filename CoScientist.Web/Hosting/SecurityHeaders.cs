namespace CoScientist.Web.Hosting;

/// <summary>
/// Headers for a public site. The Content-Security-Policy allows what Blazor Server and MudBlazor
/// need and nothing else: scripts only from this origin, inline styles (MudBlazor sets style
/// attributes), images from this origin and data: URIs, the SignalR connection back to this origin,
/// and framing only by this origin and Hugging Face (a Space embeds the app in an iframe).
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; " +
        "frame-ancestors 'self' https://huggingface.co https://*.huggingface.co https://*.hf.space";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            return Task.CompletedTask;
        });
        await next();
    });
}
