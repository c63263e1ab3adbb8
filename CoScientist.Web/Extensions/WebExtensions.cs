using CoScientist.Web.Components;
using CoScientist.Web.Session;
using MudBlazor.Services;

namespace CoScientist.Web.Extensions;

public static class WebExtensions
{
    /// <summary>Blazor Server, MudBlazor and the circuit-scoped session services.</summary>
    public static WebApplicationBuilder AddCoScientistWeb(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddScoped<ResearchSession>();
        return builder;
    }

    public static WebApplication UseCoScientistWeb(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
