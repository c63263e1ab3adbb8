using CoScientist.Web.Session;

namespace CoScientist.Web.Hosting;

/// <summary>
/// On shutdown (a Space going to sleep, a redeploy) running cycles are cancelled and waited for, so
/// every call in flight is settled in the ledger before the process exits.
/// </summary>
public sealed class ShutdownService(SessionRegistry sessions, ILogger<ShutdownService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var stopped = await sessions.CancelAllAsync(cancellationToken);
        if (stopped > 0)
            logger.LogInformation("Shutdown: cancelled {Count} running cycle(s) and settled their calls", stopped);
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
