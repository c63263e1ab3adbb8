using CoScientist.Core.Llm;
using CoScientist.Core.Cost;
using CoScientist.Core.Telemetry;
using CoScientist.Web.Admin;
using CoScientist.Web.Session;
using OpenTelemetry.Metrics;

namespace CoScientist.Web.Hosting;

public static class HostingExtensions
{
    /// <summary>What a public deployment needs: limits on circuits and messages, JSON logs in production, metrics, warm-up and a graceful stop.</summary>
    public static WebApplicationBuilder AddPublicHosting(this WebApplicationBuilder builder)
    {
        var environment = DeploymentEnvironment.Detect(name => builder.Configuration[name], builder.Environment.EnvironmentName);
        if (environment.IsProduction)
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = false);
        }

        builder.Services.AddHostedService<WarmUpService>();
        builder.Services.AddHostedService<ShutdownService>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));

        // The gateway's GenAI semantic-convention metrics (token usage, operation duration) sit beside ours on /metrics;
        // its spans go to whatever trace exporter the operator adds to this tracer provider.
        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddMeter(CoScientistMetrics.MeterName)
                .AddMeter(LlmGatewayServiceCollectionExtensions.TelemetrySourceName)
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing.AddSource(LlmGatewayServiceCollectionExtensions.TelemetrySourceName));
        return builder;
    }

    /// <summary>/metrics answers only with the admin token as a bearer token (and is off in production without one).</summary>
    public static WebApplication MapProtectedMetrics(this WebApplication app)
    {
        var sessions = app.Services.GetRequiredService<SessionRegistry>();
        CoScientistMetrics.ObserveActiveSessions(() => sessions.Active().Count);
        app.UseWhen(http => http.Request.Path.StartsWithSegments("/metrics"), branch => branch.Use(async (http, next) =>
        {
            var auth = http.RequestServices.GetRequiredService<AdminAuthenticator>();
            var header = http.Request.Headers.Authorization.ToString();
            var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : null;
            var client = ClientIdentityMiddleware.From(http) ?? ClientKey.Unknown;
            if (!auth.IsEnabled)
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            if (auth.RequiresToken && !(await auth.TryLoginAsync(token, client, scope: "metrics")).Ok)
            {
                http.Response.StatusCode = StatusCodes.Status401Unauthorized;
                http.Response.Headers.WWWAuthenticate = "Bearer";
                return;
            }
            await next();
        }));
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
