using CoScientist.Core.Configuration;
using CoScientist.Core.Distributed;
using CoScientist.Core.Storage;

namespace CoScientist.Web.Hosting;

/// <summary>
/// `dotnet CoScientist.Web.dll migrate-to-postgres` copies an embedded installation's ledger and saved research (SQLite
/// under DATA_DIR) into the empty PostgreSQL database named by ConnectionStrings__Postgres, then exits: 0 when all was
/// copied, 1 otherwise. Settings come from the same places as the app's (environment, config.yaml, command line).
/// </summary>
public static class MigrateToPostgresCommand
{
    public const string Name = "migrate-to-postgres";

    public static bool IsRequested(string[] args) => args.Length >= 1 && args[0] == Name;

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var builder = WebApplication.CreateBuilder(args[1..]);
        builder.Configuration.AddCoScientistYaml(builder.Environment.ContentRootPath, builder.Configuration["CONFIG_PATH"]);
        var storage = builder.Configuration.Get<StorageOptions>() ?? new StorageOptions();
        var postgres = new ScaleOut(builder.Configuration).PostgresConnectionString;
        if (postgres is null)
        {
            await output.WriteLineAsync("Set ConnectionStrings__Postgres to the database to copy into.");
            return 1;
        }
        using var loggers = LoggerFactory.Create(logging => logging.AddConsole().SetMinimumLevel(LogLevel.Warning));
        try
        {
            await output.WriteLineAsync($"Copying {storage.LedgerPath} and {storage.ResearchPath} into {PostgresDatabase.Describe(postgres)}...");
            var copied = await PostgresImport.CopyAsync(storage, postgres, loggers);
            foreach (var table in copied)
                await output.WriteLineAsync($"  {table.Table,-14} {table.Rows,8} rows");
            await output.WriteLineAsync("Done. Start the app with ConnectionStrings__Postgres set; the SQLite files are left as they were.");
            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException || SpendLedger.IsStorageFailure(ex))
        {
            await output.WriteLineAsync("Nothing was copied: " + ex.Message);
            return 1;
        }
    }
}
