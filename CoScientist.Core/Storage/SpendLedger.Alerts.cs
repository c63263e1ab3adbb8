namespace CoScientist.Core.Storage;

/// <summary>An operator alert that was sent: <paramref name="Period"/> is the UTC day or month it belongs to, or "key" for the key's credit.</summary>
public sealed record AlertRecord(string Key, string Period, DateTimeOffset RaisedAt, string Message);

public sealed partial class SpendLedger
{
    /// <summary>
    /// Claims an alert: true for the one caller (of every instance sharing this ledger) whose row went in, which then
    /// sends it; false when it was already claimed, here or by another instance, or before a restart.
    /// </summary>
    public bool ClaimAlert(AlertRecord alert) => Execute("""
        INSERT INTO alerts(key, period, raised_at, message) VALUES (@key, @period, @at, @message) ON CONFLICT (key) DO NOTHING;
        """, c => c.With("@key", alert.Key).With("@period", alert.Period).With("@at", Time(alert.RaisedAt)).With("@message", alert.Message)) == 1;

    /// <summary>Re-arms an alert (the key's credit was topped up), so the next crossing is sent again.</summary>
    public bool ClearAlert(string key) => Execute("DELETE FROM alerts WHERE key = @key;", c => c.With("@key", key)) == 1;

    /// <summary>The alerts claimed for any of <paramref name="periods"/>, oldest first.</summary>
    public IReadOnlyList<AlertRecord> Alerts(params string[] periods) => Use(connection =>
    {
        var names = string.Join(", ", periods.Select((_, i) => "@p" + i));
        using var command = connection.Command($"SELECT key, period, raised_at, message FROM alerts WHERE period IN ({names}) ORDER BY raised_at, key;");
        for (var i = 0; i < periods.Length; i++) command.Param("@p" + i, periods[i]);
        using var reader = command.ExecuteReader();
        var alerts = new List<AlertRecord>();
        while (reader.Read())
            alerts.Add(new AlertRecord(reader.GetString(0), reader.GetString(1), ParseTime(reader.GetString(2)), reader.GetString(3)));
        return alerts;
    });
}
