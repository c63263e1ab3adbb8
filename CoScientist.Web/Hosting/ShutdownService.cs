using CoScientist.Core.Research;
using Microsoft.Extensions.Options;

namespace CoScientist.Web.Hosting;

/// <summary>
/// On shutdown (a Space going to sleep, a redeploy) running cycles get most of the shutdown timeout to
/// finish; what is still running then is cancelled and saved as interrupted, and every call in flight
/// is settled in the ledger before the process exits.
/// </summary>
public sealed class ShutdownService(ResearchHost host, IOptions<HostOptions> hostOptions, ILogger<ShutdownService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Keep a few seconds of the timeout for cancelling and settling what did not finish.
        var grace = hostOptions.Value.ShutdownTimeout - TimeSpan.FromSeconds(5);
        var stopped = await host.StopAllAsync(grace > TimeSpan.Zero ? grace : TimeSpan.Zero);
        if (stopped > 0)
            logger.LogInformation("Shutdown: {Count} running cycle(s) finished or were saved as interrupted", stopped);
    }
}

/// <summary>
/// Loads the model catalogue in the background once the app is up, so it neither slows the start nor
/// the first page. The embedding model is warmed when the first cycle starts (see ResearchSession):
/// an idle Space keeps its memory small.
/// </summary>
public sealed class WarmUpService(IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<WarmUpService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
        {
            try
            {
                await services.GetRequiredService<CoScientist.Core.Models.IModelCatalog>().GetAsync(lifetime.ApplicationStopping);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Warm-up failed; it will be retried on first use");
            }
        }));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
