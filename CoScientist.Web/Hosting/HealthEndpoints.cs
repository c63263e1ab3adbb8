using CoScientist.Core.Models;
using CoScientist.Core.Storage;

namespace CoScientist.Web.Hosting;

public static class HealthEndpoints
{
    /// <summary>
    /// /healthz: the process answers. /readyz: the model catalogue is loaded (or its fallback is in
    /// force) and the spend ledger accepts writes; 503 otherwise, with what is wrong.
    /// </summary>
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Json(new { status = "alive" }));
        app.MapGet("/readyz", async (IModelCatalog catalog, SpendLedger ledger, CancellationToken cancellationToken) =>
        {
            var snapshot = await catalog.GetAsync(cancellationToken);
            string ledgerState;
            try
            {
                ledger.CheckWritable();
                ledgerState = "writable";
            }
            catch (Exception ex)
            {
                ledgerState = "not writable: " + ex.Message;
            }
            var ready = ledgerState == "writable";
            return Results.Json(new
            {
                status = ready ? "ready" : "not ready",
                catalogue = snapshot.IsLive ? $"loaded ({snapshot.Models.Count} models)" : "fallback in force: " + snapshot.Error,
                ledger = ledgerState,
            }, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        return app;
    }
}
