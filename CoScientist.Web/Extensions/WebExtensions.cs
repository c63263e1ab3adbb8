using CoScientist.Web.Admin;
using CoScientist.Web.Components;
using CoScientist.Web.Hosting;
using CoScientist.Web.Session;
using Microsoft.AspNetCore.SignalR;
using MudBlazor.Services;

namespace CoScientist.Web.Extensions;

public static class WebExtensions
{
    /// <summary>Blazor Server, MudBlazor, forwarded headers and the circuit-scoped session services.</summary>
    public static WebApplicationBuilder AddCoScientistWeb(this WebApplicationBuilder builder)
    {
        // Package assets (_framework/blazor.web.js, _content/MudBlazor/…) live in wwwroot only after
        // `dotnet publish`; a build output lists where they are in its static web assets manifest,
        // which ASP.NET reads by itself only in Development. Read it in any environment, so `dotnet run`
        // in Production serves a working page; a publish output has no manifest and this does nothing.
        builder.WebHost.UseStaticWebAssets();
        var circuits = builder.Configuration.GetSection("circuits");
        var messageLimit = MessageSizeLimit.From(builder.Configuration);
        builder.Services.AddSingleton(messageLimit);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents(o =>
        {
            // A public site: keep few disconnected circuits, for a few minutes, and bound what one may hold.
            o.DisconnectedCircuitMaxRetained = circuits.GetValue("max_retained", 100);
            o.DisconnectedCircuitRetentionPeriod = TimeSpan.FromMinutes(circuits.GetValue("retention_minutes", 15));
            o.MaxBufferedUnacknowledgedRenderBatches = 10;
            o.JSInteropDefaultCallTimeout = TimeSpan.FromSeconds(30);
        }).AddHubOptions(o =>
        {
            o.MaximumReceiveMessageSize = messageLimit.Bytes;
            o.MaximumParallelInvocationsPerClient = 1;
            o.AddFilter<OversizedMessageLog>();
        });
        // Circuit and SignalR tracing can include what a visitor typed (their own key among it): never below Warning.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Components", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.SignalR", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Http.Connections", LogLevel.Warning);
        builder.Services.AddMudServices();
        builder.AddTrustedProxies();
        builder.Services.AddSecurityHeaders();
        builder.Services.AddCoScientistDataProtection();

        builder.Services.AddCoScientistSessions();
        builder.AddPublicHosting();
        return builder;
    }

    /// <summary>The per-circuit session services and what the admin page reads about them.</summary>
    public static IServiceCollection AddCoScientistSessions(this IServiceCollection services)
    {
        services.AddScoped<ClientContext>();
        services.AddScoped<ResearchSession>();
        services.AddSingleton<SessionRegistry>();
        services.AddSingleton<AdminAuthenticator>();
        services.AddSingleton<AdminDashboard>();
        services.AddSingleton<CallHealthDashboard>();
        services.AddSingleton<AlertsReporter>();
        return services;
    }

    public static WebApplication UseCoScientistWeb(this WebApplication app)
    {
        RequirePageScripts(app);
        app.UseForwardedHeaders();
        app.UseSecurityHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts(); // over HTTPS only (after the forwarded headers); never for localhost
            app.UseExceptionHandler("/error", createScopeForErrors: true);
            app.Map("/error", () => Results.Problem("Something went wrong on the server. Reload the page; your research in other tabs is unaffected."));
        }
        app.MapHealthEndpoints();
        app.UseMiddleware<ClientIdentityMiddleware>();
        app.MapProtectedMetrics();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    /// <summary>Without blazor.web.js the page renders nothing and says nothing: refuse to start instead, saying why.</summary>
    private static void RequirePageScripts(WebApplication app)
    {
        const string script = "_framework/blazor.web.js";
        if (!app.Environment.WebRootFileProvider.GetFileInfo(script).Exists)
            throw new InvalidOperationException(
                $"The page's script {script} is not in the web root ({app.Environment.WebRootPath}) nor in a static web assets manifest " +
                $"beside {typeof(WebExtensions).Assembly.GetName().Name}.dll. Run the app from the output of `dotnet publish`, or with `dotnet run` from the source tree.");
    }
}
