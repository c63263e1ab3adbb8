using CoScientist.Core.Alerts;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Options;

namespace CoScientist.Web.Admin;

/// <summary>
/// The operator's alerts as the admin page shows them: those in force (read from the ledger, so every instance shows the
/// ones any instance raised), the key's credit, and where the webhook goes (its host only). <paramref name="Problem"/>
/// says why the alerts could not be read.
/// </summary>
public sealed record AlertsReport(IReadOnlyList<AlertRecord> Active, KeyCreditStatus Key, string? WebhookHost, string? Problem)
{
    public static readonly AlertsReport None = new([], new KeyCreditStatus(false, null, null, 0), null, null);
}

public sealed class AlertsReporter(SpendAlerts spend, KeyCreditWatch key, IOptionsMonitor<AlertOptions> options)
{
    public AlertsReport Build()
    {
        try
        {
            return new AlertsReport(spend.Active(), key.Status, options.CurrentValue.WebhookHost, null);
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            return new AlertsReport([], key.Status, options.CurrentValue.WebhookHost, $"The alerts raised cannot be read from the spend ledger ({ex.Message}).");
        }
    }
}
