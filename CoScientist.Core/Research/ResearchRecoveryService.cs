using CoScientist.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Research;

/// <summary>At start, marks the cycles an earlier process left running (a crash, a kill) as interrupted.</summary>
public sealed class ResearchRecoveryService(ResearchHost host, ILogger<ResearchRecoveryService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await host.RecoverInterruptedAsync();
        }
        catch (StorageUnavailableException ex)
        {
            logger.LogError("Interrupted research could not be marked at start: {Error}", ex.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
