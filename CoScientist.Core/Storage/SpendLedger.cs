using System.Data.Common;
using System.Globalization;
using CoScientist.Core.Distributed;
using CoScientist.Core.Llm;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CoScientist.Core.Storage;

/// <summary>
/// The durable record of every LLM call and cycle: in SQLite under DATA_DIR, or in PostgreSQL when
/// <c>ConnectionStrings:Postgres</c> is set, with the same queries (<see cref="LedgerDatabase"/> holds what differs).
/// A call is written as a reservation at its worst-case cost before it is made and settled after, so a crash leaves
/// it counted at its worst case, never lost. Only reservations (and the kill switch) wait for the disk at each commit;
/// the rows whose loss to a power cut errs on the safe side or costs nothing do not (<see cref="LedgerDatabase.Open"/>).
/// A connection is opened per operation (pooled).
/// Holds no raw IPs and no keys: clients appear as salted hashes.
/// </summary>
public sealed partial class SpendLedger : IDisposable
{
    private readonly LedgerDatabase _database;
    private readonly ILogger<SpendLedger> _logger;

    /// <summary>The embedded ledger, ledger.db under DATA_DIR.</summary>
    public SpendLedger(IOptions<StorageOptions> options, ILogger<SpendLedger> logger)
        : this(new SqliteLedgerDatabase(options.Value.LedgerPath), logger) { }

    /// <summary>PostgreSQL when <see cref="ScaleOut.UsesPostgres"/>, else the embedded ledger.</summary>
    public SpendLedger(ScaleOut scaleOut, IOptions<StorageOptions> options, ILogger<SpendLedger> logger)
        : this(scaleOut.PostgresConnectionString is { } postgres
            ? new PostgresLedgerDatabase(new PostgresDatabase(postgres))
            : new SqliteLedgerDatabase(options.Value.LedgerPath), logger) { }

    internal SpendLedger(LedgerDatabase database, ILogger<SpendLedger> logger)
    {
        _database = database;
        _logger = logger;
        try
        {
            EnsureReady();
            if (OpenReservations() is > 0 and var open)
                _logger.LogWarning("The ledger holds {Count} reservations left open by an earlier run; they count at their worst case", open);
        }
        catch (Exception ex) when (_database.IsFailure(ex))
        {
            // The app still starts, so that it can say what is wrong; it makes no call it cannot record.
            _logger.LogError("The spend ledger at {Path} cannot be opened ({Error}); no LLM call is made until it can", Path, ex.Message);
        }
    }

    private readonly WriteQueue _writes = new();

    /// <summary>
    /// This process's turn to write to the ledger (<see cref="WriteQueue"/>): reserving and settling calls, on either key,
    /// take turns here. (Admitting a cycle writes without one: queued here it waited behind every call's row, and a burst
    /// of starts got slower; docs/benchmarks.md, "Many visitors at once".)
    /// </summary>
    public ValueTask<WriteQueue.Turn> WriteTurnAsync(CancellationToken cancellationToken = default) => _writes.TurnAsync(cancellationToken);

    private readonly Lock _readyGate = new();
    private volatile bool _ready;

    /// <summary>Creates the schema on first use, and again after a failure, so a fixed disk or a database back up is picked up.</summary>
    private void EnsureReady()
    {
        if (_ready) return;
        lock (_readyGate)
        {
            if (_ready) return;
            _database.Migrate(_logger);
            _ready = true;
        }
    }

    /// <summary>
    /// The failures that mean the ledger cannot be written or read now: the disk under DATA_DIR is unwritable, full or
    /// missing, or PostgreSQL is down, unreachable, too slow or refusing.
    /// </summary>
    public static bool IsStorageFailure(Exception ex) =>
        ex is SqliteException or IOException or UnauthorizedAccessException || PostgresDatabase.IsFailureOf(ex);

    /// <summary>Where the ledger is: the SQLite file, or the PostgreSQL database by host and name.</summary>
    public string Path => _database.Description;

    /// <summary>Runs <paramref name="work"/> on an open connection; a storage failure also resets what it broke (the pool).</summary>
    /// <param name="flush">Whether a write waits until it is on the disk (<see cref="LedgerDatabase.Open"/>).</param>
    private T Use<T>(Func<DbConnection, T> work, bool flush = true)
    {
        try
        {
            EnsureReady();
            using var connection = _database.Open(flush);
            return work(connection);
        }
        catch (Exception ex) when (Forget(ex))
        {
            throw; // not reached: Forget only looks
        }
    }

    private bool Forget(Exception ex)
    {
        _database.IsFailure(ex);
        return false;
    }

    private int Execute(string sql, Action<DbCommand> bind, bool flush = true) => Use(connection =>
    {
        using var command = connection.Command(sql);
        bind(command);
        return command.ExecuteNonQuery();
    }, flush);

    private object? Scalar(string sql, Action<DbCommand> bind, bool flush = true) => Use(connection =>
    {
        using var command = connection.Command(sql);
        bind(command);
        return command.ExecuteScalar();
    }, flush);

    /// <summary>A per-installation secret that salts client hashes; kept in the ledger so hashes stay stable across restarts.</summary>
    public string ClientSalt() => Use(connection =>
    {
        using (var insert = connection.Command("INSERT INTO meta(key, value) VALUES ('client_salt', @v) ON CONFLICT (key) DO NOTHING;"))
        {
            insert.Param("@v", Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
            insert.ExecuteNonQuery();
        }
        using var read = connection.Command("SELECT value FROM meta WHERE key = 'client_salt';");
        return (string)read.ExecuteScalar()!;
    });

    public long Reserve(CallReservation call) => Convert.ToInt64(Scalar("""
        INSERT INTO calls(at, session_id, client_hash, model, step, key_kind, status, reserved_usd)
        VALUES (@at, @session, @client, @model, @step, @kind, 'Reserved', @reserved) RETURNING id;
        """, c => c
        .With("@at", Time(call.At)).With("@session", call.SessionId).With("@client", call.ClientHash).With("@model", call.Model)
        .With("@step", call.Step).With("@kind", call.KeyKind.ToString()).With("@reserved", (double)call.ReservedUsd)), CultureInfo.InvariantCulture);

    /// <summary>Not flushed: a settlement lost to a power cut leaves its row reserved, counted at its worst case.</summary>
    public void Settle(long id, CallStatus status, decimal costUsd, long inputTokens, long outputTokens, string? generationId, string? error) =>
        Execute("""
            UPDATE calls SET status = @status, cost_usd = @cost, input_tokens = @in, output_tokens = @out,
                generation_id = @gen, error = @error WHERE id = @id;
            """, c => c
            .With("@status", status.ToString()).With("@cost", (double)costUsd).With("@in", inputTokens).With("@out", outputTokens)
            .With("@gen", generationId).With("@error", error).With("@id", id), flush: false);

    /// <summary>OpenRouter confirmed what an unconfirmed call cost: its worst case gives way to the real figure.</summary>
    public bool Confirm(long id, decimal costUsd, long inputTokens, long outputTokens) => Execute("""
        UPDATE calls SET status = 'Failed', cost_usd = @cost, input_tokens = @in, output_tokens = @out,
            error = COALESCE(error, '') || ' (cost confirmed by OpenRouter)' WHERE id = @id AND status = 'Unconfirmed';
        """, c => c.With("@cost", (double)costUsd).With("@in", inputTokens).With("@out", outputTokens).With("@id", id), flush: false) == 1;

    /// <summary>Operator-key spend since <paramref name="from"/>: settled costs, plus open reservations at their worst case.</summary>
    public decimal OperatorSpendSince(DateTimeOffset from) => Convert.ToDecimal(Scalar("""
        SELECT COALESCE(SUM(CASE status WHEN 'Reserved' THEN reserved_usd ELSE cost_usd END), 0)
        FROM calls WHERE key_kind = 'Operator' AND at >= @from;
        """, c => c.With("@from", Time(from))), CultureInfo.InvariantCulture);

    public long StartCycle(CycleRecord cycle) => Convert.ToInt64(Scalar("""
        INSERT INTO cycles(started_at, session_id, client_hash, goal, model, key_kind, expected_usd, worst_usd)
        VALUES (@at, @session, @client, @goal, @model, @kind, @expected, @worst) RETURNING id;
        """, c => c
        .With("@at", Time(cycle.StartedAt)).With("@session", cycle.SessionId).With("@client", cycle.ClientHash)
        .With("@goal", cycle.Goal.Length > 500 ? cycle.Goal[..500] : cycle.Goal).With("@model", cycle.Model)
        .With("@kind", cycle.KeyKind.ToString()).With("@expected", (double)cycle.ExpectedUsd).With("@worst", (double)cycle.WorstUsd),
        flush: false), CultureInfo.InvariantCulture);

    public void FinishCycle(long id, DateTimeOffset finishedAt, string outcome, decimal actualUsd, int calls) => Execute(
        "UPDATE cycles SET finished_at = @at, outcome = @outcome, actual_usd = @actual, calls = @calls WHERE id = @id;",
        c => c.With("@at", Time(finishedAt)).With("@outcome", outcome).With("@actual", (double)actualUsd).With("@calls", calls).With("@id", id),
        flush: false);

    public string? Setting(string key) => Scalar("SELECT value FROM meta WHERE key = @key;", c => c.With("@key", key)) as string;

    public void SetSetting(string key, string value) => Execute(
        "INSERT INTO meta(key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value;",
        c => c.With("@key", key).With("@value", value));

    /// <summary>Throws unless the ledger accepts a write right now (readiness check); <paramref name="now"/> is written as the probe.</summary>
    public void CheckWritable(DateTimeOffset now) => Execute(
        "INSERT INTO meta(key, value) VALUES ('ready_check', @at) ON CONFLICT (key) DO UPDATE SET value = excluded.value;",
        c => c.With("@at", Time(now)), flush: false);

    /// <summary>Reservations a previous process left open (it stopped mid-call); they stay counted at worst case.</summary>
    public int OpenReservations() =>
        Convert.ToInt32(Scalar("SELECT COUNT(*) FROM calls WHERE status = 'Reserved';", _ => { }), CultureInfo.InvariantCulture);

    /// <summary>
    /// Closes the reservations made before <paramref name="cutoff"/> that were never settled (their process stopped mid-call):
    /// Unconfirmed at their worst case, so what they count stays the same. Returns how many.
    /// </summary>
    public int CloseAbandoned(DateTimeOffset cutoff) => Execute("""
        UPDATE calls SET status = 'Unconfirmed', cost_usd = reserved_usd, error = 'Interrupted'
        WHERE status = 'Reserved' AND at < @cutoff;
        """, c => c.With("@cutoff", Time(cutoff)), flush: false);

    /// <summary>Closes the pooled connections to PostgreSQL (nothing to do for SQLite).</summary>
    public void Dispose() => (_database as IDisposable)?.Dispose();

    internal static string Time(DateTimeOffset t) => Sql.Time(t);

    internal static DateTimeOffset ParseTime(string s) => Sql.ParseTime(s);
}
