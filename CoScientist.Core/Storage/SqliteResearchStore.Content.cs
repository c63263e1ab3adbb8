using CoScientist.Core.Research;
using Microsoft.Data.Sqlite;

namespace CoScientist.Core.Storage;

/// <summary>A research's content: saved item by item as a cycle runs, loaded whole to continue it.</summary>
public sealed partial class SqliteResearchStore
{
    public Task<bool> SaveHypothesisAsync(string researchId, Hypothesis hypothesis) =>
        SaveChangesAsync(researchId, new ResearchChanges { Hypotheses = [hypothesis] });

    public Task<bool> SaveMatchAsync(string researchId, Match match) =>
        SaveChangesAsync(researchId, new ResearchChanges { Matches = [match] });

    public Task<bool> SaveMetaReviewAsync(string researchId, MetaReview metaReview) =>
        SaveChangesAsync(researchId, new ResearchChanges { MetaReviews = [metaReview] });

    public Task<bool> SaveCycleReportAsync(string researchId, CycleReport report) =>
        SaveChangesAsync(researchId, new ResearchChanges { Reports = [report] });

    public Task<bool> SaveChangesAsync(string researchId, ResearchChanges changes) => Run(() =>
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        if (!Exists(connection, researchId)) return false;
        Upsert(connection, "INSERT INTO hypotheses(research_id, id, data, embedding) VALUES ($r, $k, $data, $blob) " +
                           "ON CONFLICT DO UPDATE SET data = excluded.data, embedding = excluded.embedding;",
            researchId, changes.Hypotheses, h => h.Id, h => ResearchJson.Write(h with { Embedding = null }),
            h => h.Embedding is { } e ? (object)ResearchJson.ToBlob(e) : DBNull.Value);
        Upsert(connection, "INSERT INTO matches(research_id, id, data) VALUES ($r, $k, $data) ON CONFLICT DO UPDATE SET data = excluded.data;",
            researchId, changes.Matches, m => m.Id, ResearchJson.Write);
        Upsert(connection, "INSERT INTO meta_reviews(research_id, cycle, data) VALUES ($r, $k, $data) ON CONFLICT DO UPDATE SET data = excluded.data;",
            researchId, changes.MetaReviews, m => m.Cycle, ResearchJson.Write);
        Upsert(connection, "INSERT INTO cycle_reports(research_id, cycle, data) VALUES ($r, $k, $data) ON CONFLICT DO UPDATE SET data = excluded.data;",
            researchId, changes.Reports, r => r.Cycle, ResearchJson.Write);
        Upsert(connection, "INSERT INTO papers(research_id, number, data) VALUES ($r, $k, $data) ON CONFLICT DO UPDATE SET data = excluded.data;",
            researchId, changes.Papers, p => p.Number, ResearchJson.Write);
        Upsert(connection, "INSERT INTO votes(research_id, id, data) VALUES ($r, $k, $data) ON CONFLICT DO UPDATE SET data = excluded.data;",
            researchId, changes.Votes, v => v.Id, ResearchJson.Write);
        if (changes.Directive is { } directive)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE research SET pending_directive = $v WHERE id = $id;";
            command.Parameters.AddWithValue("$id", researchId);
            command.Parameters.AddWithValue("$v", (object?)directive.Text ?? DBNull.Value);
            command.ExecuteNonQuery();
        }
        if (changes.Summary is { } summary)
            UpdateSummary(connection, researchId, summary);
        transaction.Commit();
        return true;
    });

    public Task<bool> MarkInterruptedAsync(string researchId, int cycle, DateTimeOffset at) => Run(() =>
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        if (!Exists(connection, researchId)) return false;
        var report = new CycleReport(cycle, at, at, CycleOutcome.Interrupted, [], [],
            "The server restarted while this cycle ran. Everything saved before that is kept.");
        // A report the cycle saved itself tells more than this one: keep it.
        Upsert<CycleReport>(connection, "INSERT INTO cycle_reports(research_id, cycle, data) VALUES ($r, $k, $data) ON CONFLICT DO NOTHING;",
            researchId, [report], r => r.Cycle, ResearchJson.Write);
        using var clear = connection.CreateCommand();
        clear.CommandText = "UPDATE research SET running_cycle = NULL WHERE id = $id;";
        clear.Parameters.AddWithValue("$id", researchId);
        clear.ExecuteNonQuery();
        transaction.Commit();
        return true;
    });

    public Task<ResearchSnapshot?> LoadAsync(string id) => Run(() =>
    {
        using var connection = Open();
        // One read transaction: a cycle saving meanwhile cannot leave half its changes in what we read.
        using var transaction = connection.BeginTransaction(deferred: true);
        using var goal = connection.CreateCommand();
        goal.CommandText = "SELECT goal, cycles, pending_directive FROM research WHERE id = $id;";
        goal.Parameters.AddWithValue("$id", id);
        using var row = goal.ExecuteReader();
        if (!row.Read()) return null;
        var (text, cycles, directive) = (row.GetString(0), row.GetInt32(1), row.IsDBNull(2) ? null : row.GetString(2));

        // H2 before H10: order by the id's length, then the id (ResearchState numbers ids in the order it adds them).
        var hypotheses = Rows(connection, "SELECT data, embedding FROM hypotheses WHERE research_id = $id ORDER BY length(id), id;", id, r =>
        {
            var hypothesis = ResearchJson.Read<Hypothesis>(r.GetString(0));
            return r.IsDBNull(1) ? hypothesis : hypothesis with { Embedding = ResearchJson.FromBlob((byte[])r[1]) };
        });
        var matches = Rows(connection, "SELECT data FROM matches WHERE research_id = $id ORDER BY length(id), id;", id,
            r => ResearchJson.Read<Match>(r.GetString(0)));
        var metaReviews = Rows(connection, "SELECT data FROM meta_reviews WHERE research_id = $id ORDER BY cycle;", id,
            r => ResearchJson.Read<MetaReview>(r.GetString(0)));
        var reports = Rows(connection, "SELECT data FROM cycle_reports WHERE research_id = $id ORDER BY cycle;", id,
            r => ResearchJson.Read<CycleReport>(r.GetString(0)));
        var papers = Rows(connection, "SELECT data FROM papers WHERE research_id = $id ORDER BY number;", id,
            r => ResearchJson.Read<ResearchPaper>(r.GetString(0)));
        var votes = Rows(connection, "SELECT data FROM votes WHERE research_id = $id ORDER BY length(id), id;", id,
            r => ResearchJson.Read<Vote>(r.GetString(0)));

        // Content saved ahead of its summary (a crash between the two) still counts its cycle.
        var cycle = new[] { cycles }.Concat(hypotheses.Select(h => h.CycleCreated)).Concat(matches.Select(m => m.Cycle))
            .Concat(reports.Select(r => r.Cycle)).Max();
        return (ResearchSnapshot?)new ResearchSnapshot(text, cycle, hypotheses, matches, metaReviews, reports) { Papers = papers, Votes = votes, PendingDirective = directive };
    });

    private static bool Exists(SqliteConnection connection, string researchId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM research WHERE id = $id;";
        command.Parameters.AddWithValue("$id", researchId);
        return command.ExecuteScalar() is not null;
    }

    /// <summary>One prepared statement for every item of a kind.</summary>
    private static void Upsert<T>(SqliteConnection connection, string sql, string researchId, IReadOnlyList<T> items,
        Func<T, object> key, Func<T, string> data, Func<T, object>? blob = null)
    {
        if (items.Count == 0) return;
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$r", researchId);
        var k = command.Parameters.AddWithValue("$k", DBNull.Value);
        var d = command.Parameters.AddWithValue("$data", DBNull.Value);
        var b = blob is null ? null : command.Parameters.AddWithValue("$blob", DBNull.Value);
        foreach (var item in items)
        {
            k.Value = key(item);
            d.Value = data(item);
            if (b is not null) b.Value = blob!(item);
            command.ExecuteNonQuery();
        }
    }

    private static List<T> Rows<T>(SqliteConnection connection, string sql, string id, Func<SqliteDataReader, T> read)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
            rows.Add(read(reader));
        return rows;
    }
}
