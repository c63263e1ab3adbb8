using System.Data.Common;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CoScientist.Tests.Core;

/// <summary>
/// What the embedded spend ledger waits for the disk for. A reservation must be on the disk before its call is made,
/// whatever stops the machine; the rows whose loss to a power cut errs on the safe side (a settlement: its call stays
/// counted at its worst case) or costs no money (a cycle's row, a visitor's start, the readiness probe) do not wait,
/// so a burst of answers is not paced by the disk. Read from SQLite itself on the connection each write uses.
/// </summary>
public sealed class LedgerDurabilityTests
{
    [Fact]
    public void AReservationWaitsForTheDisk_SettlementsAndCycleRowsDoNot()
    {
        var database = new WatchedLedgerDatabase(Path.Combine(CoreHarness.NewDataDir(), "ledger.db"));
        using var ledger = new SpendLedger(database, NullLogger<SpendLedger>.Instance);
        var now = DateTimeOffset.UtcNow;

        var id = Written(database, () => ledger.Reserve(new CallReservation(now, "s", "c", "m", "Generation", KeyKind.Operator, 0.01m)), "FULL");
        Written(database, () => ledger.Settle(id, CallStatus.Settled, 0.002m, 100, 50, "gen-1", null), "NORMAL");
        var cycle = Written(database, () => ledger.StartCycle(new CycleRecord(now, "s", "c", "goal", "m", KeyKind.Operator, 0.01m, 0.05m)), "NORMAL");
        Written(database, () => ledger.FinishCycle(cycle, now, "Completed", 0.002m, 1), "NORMAL");
        Written(database, () => ledger.RecordClientStart(now, "ip", "browser", now.AddHours(-1)), "NORMAL");
        Written(database, () => ledger.CheckWritable(now), "NORMAL");
        // The kill switch must hold after any restart.
        Written(database, () => ledger.SetSetting("kill_switch", "true"), "FULL");

        // Unflushed or not, every row is there for the next reader.
        Assert.Equal(0.002m, ledger.OperatorSpendSince(now.AddMinutes(-1)));
    }

    private static T Written<T>(WatchedLedgerDatabase database, Func<T> write, string expected)
    {
        database.Modes.Clear();
        var result = write();
        Assert.Equal([expected], database.Modes);
        return result;
    }

    private static void Written(WatchedLedgerDatabase database, Action write, string expected) =>
        Written(database, () => { write(); return 0; }, expected);

    /// <summary>The real SQLite ledger, noting each connection's PRAGMA synchronous as it is handed out.</summary>
    private sealed class WatchedLedgerDatabase(string path) : LedgerDatabase
    {
        private readonly SqliteLedgerDatabase _inner = new(path);
        public List<string> Modes { get; } = [];

        public override string Description => _inner.Description;
        public override string RowId => _inner.RowId;
        public override bool IsFailure(Exception ex) => _inner.IsFailure(ex);
        public override void Migrate(ILogger logger) => _inner.Migrate(logger);

        public override DbConnection Open(bool flush = true)
        {
            var connection = _inner.Open(flush);
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous;";
            Modes.Add(Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) switch
            {
                0 => "OFF", 1 => "NORMAL", 2 => "FULL", 3 => "EXTRA", var other => other.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            return connection;
        }
    }
}
