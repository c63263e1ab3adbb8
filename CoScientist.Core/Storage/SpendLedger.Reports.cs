using CoScientist.Core.Llm;
using System.Data.Common;

namespace CoScientist.Core.Storage;

/// <summary>The admin page's questions to the ledger.</summary>
public sealed partial class SpendLedger
{
    public IReadOnlyList<ModelSpend> SpendByModel(DateTimeOffset from, KeyKind keyKind = KeyKind.Operator) => Query(
        """
        SELECT model, COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(CASE status WHEN 'Reserved' THEN reserved_usd ELSE cost_usd END) AS spend
        FROM calls WHERE at >= @from AND key_kind = @kind GROUP BY model ORDER BY spend DESC;
        """,
        c => c.With("@from", Time(from)).With("@kind", keyKind.ToString()),
        r => new ModelSpend(r.GetString(0), r.Int(1), r.Long(2), r.Long(3), r.Money(4)));

    public IReadOnlyList<HourSpend> SpendByHour(DateTimeOffset from) => Query(
        """
        SELECT substr(at, 1, 13), SUM(CASE status WHEN 'Reserved' THEN reserved_usd ELSE cost_usd END)
        FROM calls WHERE at >= @from AND key_kind = 'Operator' GROUP BY substr(at, 1, 13) ORDER BY 1;
        """,
        c => c.With("@from", Time(from)),
        r => new HourSpend(ParseTime(r.GetString(0) + ":00:00Z"), r.Money(1)));

    public IReadOnlyList<SessionUsage> Sessions(DateTimeOffset from, int limit = 50) => Query(
        """
        SELECT c.session_id, MAX(c.client_hash), COUNT(*), SUM(c.cost_usd), MAX(c.at),
               (SELECT COUNT(*) FROM cycles y WHERE y.session_id = c.session_id)
        FROM calls c WHERE c.at >= @from GROUP BY c.session_id ORDER BY MAX(c.at) DESC LIMIT @limit;
        """,
        c => c.With("@from", Time(from)).With("@limit", limit),
        r => new SessionUsage(r.GetString(0), r.GetString(1), r.Int(5), r.Int(2), r.Money(3), ParseTime(r.GetString(4))));

    public IReadOnlyList<ErrorCount> Errors(DateTimeOffset from) => Query(
        "SELECT error, COUNT(*) FROM calls WHERE at >= @from AND status IN ('Failed', 'Unconfirmed') GROUP BY error ORDER BY 2 DESC LIMIT 20;",
        c => c.With("@from", Time(from)),
        r => new ErrorCount(r.IsDBNull(0) ? "unknown" : r.GetString(0), r.Int(1)));

    public IReadOnlyList<TopicCount> TopTopics(DateTimeOffset from, int limit = 10) => Query(
        "SELECT MIN(goal), COUNT(*) FROM cycles WHERE started_at >= @from GROUP BY lower(trim(goal)) ORDER BY 2 DESC, MAX(started_at) DESC LIMIT @limit;",
        c => c.With("@from", Time(from)).With("@limit", limit),
        r => new TopicCount(r.GetString(0), r.Int(1)));

    public IReadOnlyList<KeyKindUsage> UsageByKeyKind(DateTimeOffset from) => Query(
        "SELECT key_kind, COUNT(*), SUM(cost_usd) FROM calls WHERE at >= @from GROUP BY key_kind;",
        c => c.With("@from", Time(from)),
        r => new KeyKindUsage(Enum.Parse<KeyKind>(r.GetString(0)), r.Int(1), r.Money(2)));

    /// <summary>Actual ÷ expected cost over finished cycles that cost something.</summary>
    public EstimateAccuracy Accuracy(DateTimeOffset from)
    {
        var ratios = Query(
            "SELECT actual_usd / expected_usd FROM cycles WHERE started_at >= @from AND actual_usd > 0 AND expected_usd > 0 AND outcome LIKE 'Completed%';",
            c => c.With("@from", Time(from)),
            r => r.Double(0));
        return ratios.Count == 0
            ? new EstimateAccuracy(0, 0, 0, 0)
            : new EstimateAccuracy(ratios.Count, ratios.Average(), ratios.Min(), ratios.Max());
    }

    private IReadOnlyList<T> Query<T>(string sql, Action<DbCommand> bind, Func<DbDataReader, T> read) => Use(connection =>
    {
        using var command = connection.Command(sql);
        bind(command);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
            rows.Add(read(reader));
        return (IReadOnlyList<T>)rows;
    });
}
