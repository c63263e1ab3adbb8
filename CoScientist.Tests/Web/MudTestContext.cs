using Bunit;
using CoScientist.Core;
using CoScientist.Core.Embeddings;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Extensions;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MudBlazor.Services;

namespace CoScientist.Tests.Web;

/// <summary>
/// A fresh bUnit context per test with MudBlazor's services, as MudBlazor's own tests do. Held,
/// not inherited: MudBlazor's services only dispose asynchronously, and xUnit 2 disposes a test
/// class synchronously.
/// </summary>
public abstract class MudTestContext : IAsyncLifetime
{
    protected BunitContext Context { get; } = new();

    protected MudTestContext()
    {
        // The suite runs in parallel on two cores: give renders that wait on the fake server room to finish.
        BunitContext.DefaultWaitTimeout = TimeSpan.FromSeconds(15);
        Context.JSInterop.Mode = JSRuntimeMode.Loose;
        Context.Services.AddMudServices();
        // Components read the time from TimeProvider; a test that needs a fake clock registers it after this.
        Context.Services.AddSingleton(TimeProvider.System);
    }

    protected BunitServiceProvider Services => Context.Services;

    /// <summary>The app's own services (Core and the session services) over the given settings, as Program.cs composes them.</summary>
    /// <param name="replace">Changes to the app's services (a store seen through a proxy, say), made before they freeze.</param>
    protected void AddAppServices(IDictionary<string, string?> settings, ILoggerProvider? logs = null, Action<IServiceCollection>? replace = null)
    {
        settings.TryAdd("DATA_DIR", CoreHarness.NewDataDir());
        settings.TryAdd("literature:enabled", "false"); // the real sources are out of reach; literature tests use FakeLiteratureServer
        Services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        Services.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Trace);
            if (logs is not null) b.AddProvider(logs);
        });
        Services.AddSingleton(TimeProvider.System);
        Services.AddCoScientistCore();
        Services.AddSingleton<MiniLmEmbeddingModel>(CoreHarness.SharedEmbeddings);
        Services.AddSingleton<IEmbeddingModel>(CoreHarness.SharedEmbeddings);
        Services.AddCoScientistSessions();
        replace?.Invoke(Services);
        Render<MudBlazor.MudPopoverProvider>();
    }

    protected IRenderedComponent<T> Render<T>(Action<ComponentParameterCollectionBuilder<T>>? parameters = null) where T : IComponent
    {
        // As in a live circuit (set at the first render: the renderer freezes the services); the
        // prerendered page is tested against the real app in E2E/FirstPageTests.
        Context.Renderer.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        return Context.Render(parameters ?? (_ => { }));
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync() => await Context.DisposeAsync();
}
