using CoScientist.Web.Admin;
using CoScientist.Web.Components;
using CoScientist.Web.Session;
using MudBlazor.Services;

namespace CoScientist.Web.Extensions;

public static class WebExtensions
{
    /// <summary>Blazor Server, MudBlazor, forwarded headers and the circuit-scoped session services.</summary>
    public static WebApplicationBuilder AddCoScientistWeb(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        // Circuit and SignalR tracing can include what a visitor typed (their own key among it): never below Warning.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Components", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.SignalR", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Http.Connections", LogLevel.Warning);
        builder.Services.AddMudServices();
        builder.AddTrustedProxies();

        builder.Services.AddCoScientistSessions();
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
        return services;
    }

    public static WebApplication UseCoScientistWeb(this WebApplication app)
    {
        app.UseForwardedHeaders();
        if (!app.Environment.IsDevelopment())
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseMiddleware<ClientIdentityMiddleware>();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
