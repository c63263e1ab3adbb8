using CoScientist.Core.Distributed;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Fakes;

/// <summary>The ledger and the research store on a fresh database of the run's throwaway PostgreSQL cluster.</summary>
public static class PostgresStorage
{
    /// <summary>
    /// A fresh database. Statements get a minute rather than the fixture's ten seconds: a hundred concurrent cycles on a
    /// loaded two-core test machine can keep one waiting that long, which is not what these tests are about.
    /// </summary>
    public static async Task<string> NewDatabaseAsync() =>
        await (await PostgresServer.SharedAsync()).CreateDatabaseAsync() + ";Command Timeout=60";

    public static PostgresResearchStore Store(string connectionString) =>
        new(new PostgresDatabase(connectionString), NullLogger<PostgresResearchStore>.Instance);

    public static SpendLedger Ledger(string connectionString) =>
        new(ScaleOutWith(connectionString), Options.Create(new StorageOptions()), NullLogger<SpendLedger>.Instance);

    public static ScaleOut ScaleOutWith(string connectionString) => new(new ConfigurationBuilder()
        .AddInMemoryCollection([new("ConnectionStrings:Postgres", connectionString)]).Build());
}
