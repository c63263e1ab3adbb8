using Bunit;
using Microsoft.AspNetCore.Components;
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
    }

    protected BunitServiceProvider Services => Context.Services;

    protected IRenderedComponent<T> Render<T>(Action<ComponentParameterCollectionBuilder<T>>? parameters = null) where T : IComponent =>
        Context.Render(parameters ?? (_ => { }));

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync() => await Context.DisposeAsync();
}
