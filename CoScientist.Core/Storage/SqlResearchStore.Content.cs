using System.Data.Common;
using CoScientist.Core.Research;

namespace CoScientist.Core.Storage;

/// <summary>A research's content: saved item by item as a cycle runs, loaded whole to continue it.</summary>
public abstract partial class SqlResearchStore
{
    public Task<bool> SaveHypothesisAsync(string researchId, Hypothesis hypothesis) =>
        SaveChangesAsync(researchId, new ResearchChanges { Hypotheses = [hypothesis] });

    public Task<bool> SaveMatchAsync(string researchId, Match match) =>
        SaveChangesAsync(researchId, new ResearchChanges { Matches = [match] });

    public Task<bool> SaveMetaReviewAsync(string researchId, MetaReview metaReview) =>
        SaveChangesAsync(researchId, new ResearchChanges { MetaReviews = [metaReview] });

    public Task<bool> SaveCycleReportAsync(string researchId, CycleReport report) =>
        SaveChangesAsync(researchId, new ResearchChanges { Reports = [report] });

    public Task<bool> SaveChangesAsync(string researchId, ResearchChanges changes) => Write(async connection =>
    {
        await using var transaction = await connection.BeginTransactionAsync();
        if (!await Exists(connection, researchId)) return false;
        await Upsert(connection, "INSERT INTO hypotheses(research_id, id, data, embedding) VALUES (@r, @k, @data, @blob) " +
                                 "ON CONFLICT (research_id, id) DO UPDATE SET data = excluded.data, embedding = excluded.embedding;",
            researchId, changes.Hypotheses, h => h.Id, h => ResearchJson.Write(h with { Embedding = null }),
            h => h.Embedding is { } e ? ResearchJson.ToBlob(e) : DBNull.Value);
        await Upsert(connection, "INSERT INTO matches(research_id, id, data) VALUES (@r, @k, @data) " +
                                 "ON CONFLICT (research_id, id) DO UPDATE SET data = excluded.data;",
            researchId, changes.Matches, m => m.Id, ResearchJson.Write);
        await Upsert(connection, "INSERT INTO meta_reviews(research_id, cycle, data) VALUES (@r, @k, @data) " +
                                 "ON CONFLICT (research_id, cycle) DO UPDATE SET data = excluded.data;",
            researchId, changes.MetaReviews, m => m.Cycle, ResearchJson.Write);
        await Upsert(connection, "INSERT INTO cycle_reports(research_id, cycle, data) VALUES (@r, @k, @data) " +
                                 "ON CONFLICT (research_id, cycle) DO UPDATE SET data = excluded.data;",
            researchId, changes.Reports, r => r.Cycle, ResearchJson.Write);
        await Upsert(connection, "INSERT INTO papers(research_id, number, data) VALUES (@r, @k, @data) " +
                                 "ON CONFLICT (research_id, number) DO UPDATE SET data = excluded.data;",
            researchId, changes.Papers, p => p.Number, ResearchJson.Write);
        await Upsert(connection, "INSERT INTO votes(research_id, id, data) VALUES (@r, @k, @data) " +
                                 "ON CONFLICT (research_id, id) DO UPDATE SET data = excluded.data;",
            researchId, changes.Votes, v => v.Id, ResearchJson.Write);
        if (changes.Directive is { } directive)
        {
            await using var command = connection.Command("UPDATE research SET pending_directive = @v WHERE id = @id;")
                .With("@id", researchId).With("@v", directive.Text);
            await command.ExecuteNonQueryAsync();
        }
        if (changes.Summary is { } summary)
            await UpdateSummary(connection, researchId, summary);
        await transaction.CommitAsync();
        return true;
    });

    public Task<bool> MarkInterruptedAsync(string researchId, int cycle, DateTimeOffset at) => Write(async connection =>
    {
        await using var transaction = await connection.BeginTransactionAsync();
        // Only while that cycle is still the one saved as running: it may have ended meanwhile, and the next one started elsewhere.
        await using (var clear = connection.Command("UPDATE research SET running_cycle = NULL WHERE id = @id AND running_cycle = @cycle;")
                         .With("@id", researchId).With("@cycle", cycle))
            if (await clear.ExecuteNonQueryAsync() == 0) return false;
        var report = new CycleReport(cycle, at, at, CycleOutcome.Interrupted, [], [],
            "The server restarted while this cycle ran. Everything saved before that is kept.");
        // A report the cycle saved itself tells more than this one: keep it.
        await Upsert<CycleReport>(connection, "INSERT INTO cycle_reports(research_id, cycle, data) VALUES (@r, @k, @data) ON CONFLICT DO NOTHING;",
            researchId, [report], r => r.Cycle, ResearchJson.Write);
        await transaction.CommitAsync();
        return true;
    });

    public Task<ResearchSnapshot?> LoadAsync(string id) => Run(async connection =>
    {
        // One read transaction: a cycle saving meanwhile cannot leave half its changes in what we read.
        await using var transaction = await BeginReadAsync(connection);
        string text;
        int cycles;
        string? directive;
        await using (var goal = connection.Command("SELECT goal, cycles, pending_directive FROM research WHERE id = @id;").With("@id", id))
        await using (var row = await goal.ExecuteReaderAsync())
        {
            if (!await row.ReadAsync()) return null;
            (text, cycles, directive) = (row.GetString(0), row.Int(1), row.NullableString(2));
        }

        // H2 before H10: order by the id's length, then the id (ResearchState numbers ids in the order it adds them).
        var hypotheses = await Rows(connection, "SELECT data, embedding FROM hypotheses WHERE research_id = @id ORDER BY length(id), id;", id, r =>
        {
            var hypothesis = ResearchJson.Read<Hypothesis>(r.GetString(0));
            return r.IsDBNull(1) ? hypothesis : hypothesis with { Embedding = ResearchJson.FromBlob((byte[])r[1]) };
        });
        var matches = await Rows(connection, "SELECT data FROM matches WHERE research_id = @id ORDER BY length(id), id;", id,
            r => ResearchJson.Read<Match>(r.GetString(0)));
        var metaReviews = await Rows(connection, "SELECT data FROM meta_reviews WHERE research_id = @id ORDER BY cycle;", id,
            r => ResearchJson.Read<MetaReview>(r.GetString(0)));
        var reports = await Rows(connection, "SELECT data FROM cycle_reports WHERE research_id = @id ORDER BY cycle;", id,
            r => ResearchJson.Read<CycleReport>(r.GetString(0)));
        var papers = await Rows(connection, "SELECT data FROM papers WHERE research_id = @id ORDER BY number;", id,
            r => ResearchJson.Read<ResearchPaper>(r.GetString(0)));
        var votes = await Rows(connection, "SELECT data FROM votes WHERE research_id = @id ORDER BY length(id), id;", id,
            r => ResearchJson.Read<Vote>(r.GetString(0)));

        // Content saved ahead of its summary (a crash between the two) still counts its cycle.
        var cycle = new[] { cycles }.Concat(hypotheses.Select(h => h.CycleCreated)).Concat(matches.Select(m => m.Cycle))
            .Concat(reports.Select(r => r.Cycle)).Max();
        return (ResearchSnapshot?)new ResearchSnapshot(text, cycle, hypotheses, matches, metaReviews, reports) { Papers = papers, Votes = votes, PendingDirective = directive };
    });

    private static async Task<bool> Exists(DbConnection connection, string researchId)
    {
        await using var command = connection.Command("SELECT 1 FROM research WHERE id = @id;").With("@id", researchId);
        return await command.ExecuteScalarAsync() is not null;
    }

    /// <summary>One statement for every item of a kind.</summary>
    private static async Task Upsert<T>(DbConnection connection, string sql, string researchId, IReadOnlyList<T> items,
        Func<T, object> key, Func<T, string> data, Func<T, object>? blob = null)
    {
        if (items.Count == 0) return;
        await using var command = connection.Command(sql).With("@r", researchId);
        var k = command.Param("@k", null);
        var d = command.Param("@data", null);
        var b = blob is null ? null : command.Param("@blob", null);
        foreach (var item in items)
        {
            k.Value = key(item);
            d.Value = data(item);
            if (b is not null) b.Value = blob!(item);
            await command.ExecuteNonQueryAsync();
        }
    }

    private static async Task<List<T>> Rows<T>(DbConnection connection, string sql, string id, Func<DbDataReader, T> read)
    {
        await using var command = connection.Command(sql).With("@id", id);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
            rows.Add(read(reader));
        return rows;
    }
}
