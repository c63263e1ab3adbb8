using CoScientist.Core.Distributed;
using CoScientist.Core.Models;
using CoScientist.Core.Storage;

namespace CoScientist.Web.Hosting;

public static class HealthEndpoints
{
    /// <summary>
    /// /healthz: the process answers. /readyz: the model catalogue is loaded (or its fallback is in
    /// force), the spend ledger accepts writes and Redis (when configured) answers; 503 otherwise, with what is wrong.
    /// </summary>
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Json(new { status = "alive" }));
        app.MapGet("/readyz", async (IModelCatalog catalog, SpendLedger ledger, TimeProvider clock, ScaleOut scaleOut, IServiceProvider services, ILoggerFactory loggers, CancellationToken cancellationToken) =>
        {
            // The details (hosts, users, endpoints) go to the log, not to whoever can reach /readyz.
            var logger = loggers.CreateLogger(typeof(HealthEndpoints).FullName!);
            var snapshot = await catalog.GetAsync(cancellationToken);
            string ledgerState;
            try
            {
                ledger.CheckWritable(clock.GetUtcNow());
                ledgerState = "writable";
            }
            catch (Exception ex)
            {
                logger.LogWarning("Readiness: the spend ledger is not writable ({Error})", ex.Message);
                ledgerState = "not writable";
            }
            // Without Redis no operator-key call can be reserved: not ready, so a balancer sends visitors elsewhere.
            string? redisState = null;
            if (scaleOut.UsesRedis)
            {
                try
                {
                    await services.GetRequiredService<RedisConnection>().CheckAsync();
                    redisState = "ok";
                }
                catch (Exception ex) when (RedisConnection.IsFailure(ex))
                {
                    logger.LogWarning("Readiness: Redis is unreachable ({Error})", ex.Message);
                    redisState = "unreachable";
                }
            }
            var ready = ledgerState == "writable" && redisState is null or "ok";
            return Results.Json(new
            {
                status = ready ? "ready" : "not ready",
                catalogue = snapshot.IsLive ? $"loaded ({snapshot.Models.Count} models)" : "fallback in force: " + snapshot.Error,
                ledger = ledgerState,
                redis = redisState,
            }, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        return app;
    }
}
