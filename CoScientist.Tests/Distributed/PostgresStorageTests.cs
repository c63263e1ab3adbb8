using Microsoft.Extensions.AI;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Llm;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using CoScientist.Tests.Core;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Session;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CoScientist.Tests.Distributed;

/// <summary>What only PostgreSQL brings: instances migrating together, and a database server that goes away and comes back.</summary>
public sealed class PostgresStorageTests
{
    [Fact]
    public async Task InstancesStartingTogetherOnAnEmptyDatabase_AllWork_AndEachSchemaIsAppliedOnce()
    {
        var database = await PostgresStorage.NewDatabaseAsync();
        var logs = new CapturingLoggerProvider();
        using var loggers = new LoggerFactory([logs]);
        using var start = new Barrier(8);

        // Four instances, each with its ledger (migrated as it is built) and its research store (migrated on first use).
        var ledgers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            return new SpendLedger(PostgresStorage.ScaleOutWith(database), Options.Create(new StorageOptions()), loggers.CreateLogger<SpendLedger>());
        })).ToList();
        var stores = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            start.SignalAndWait();
            var store = new PostgresResearchStore(new PostgresDatabase(database), loggers.CreateLogger<PostgresResearchStore>());
            return (store, await store.StatsAsync());
        })).ToList();
        var instances = await Task.WhenAll(ledgers);
        var opened = await Task.WhenAll(stores);

        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal));
        foreach (var ledger in instances)
            ledger.Reserve(new CallReservation(DateTimeOffset.UtcNow, "s", "c", "m", null, KeyKind.Operator, 0.01m));
        Assert.Equal(0.04m, instances[0].OperatorSpendSince(DateTimeOffset.UtcNow.AddHours(-1)));
        Assert.All(opened, s => Assert.Equal(0, s.Item2.Research));
        Assert.Equal(
            [("ledger", 1), ("ledger", 2), ("research", 1)],
            await QueryAsync(database, "SELECT name, version FROM schema_migrations ORDER BY name, version", r => (r.GetString(0), r.GetInt32(1))));
        foreach (var ledger in instances) ledger.Dispose();
        foreach (var (store, _) in opened) store.Dispose();
    }

    [Fact]
    public async Task ADatabaseMigratedByANewerVersion_IsRefusedWithAClearMessage()
    {
        var database = await PostgresStorage.NewDatabaseAsync();
        using var store = PostgresStorage.Store(database);
        await store.StatsAsync();
        await QueryAsync(database, "INSERT INTO schema_migrations(name, version) VALUES ('research', 99) RETURNING version", r => r.GetInt32(0));

        using var older = PostgresStorage.Store(database);
        var refused = await Assert.ThrowsAsync<StorageUnavailableException>(older.StatsAsync);

        Assert.Contains("newer version of CoScientist (schema 99", refused.Message);
    }

    [Fact]
    public async Task WhilePostgresIsDown_NoCallIsMade_CyclesAreRefused_ReadyzSaysSo_AndAllRecoversWhenItIsBack()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var database = await postgres.CreateDatabaseAsync();
        await using var openRouter = await FakeOpenRouterServer.StartAsync(seed: 3);
        await using var app = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("openrouter_base_url", openRouter.BaseUrl);
            builder.UseSetting("OPENROUTER_API_KEY", FakeOpenRouterServer.ValidKey);
            builder.UseSetting("DATA_DIR", CoreHarness.NewDataDir());
            builder.UseSetting("ConnectionStrings:Postgres", database);
            builder.UseSetting("num_hypotheses", "2");
            builder.UseSetting("evolutions_per_cycle", "0");
            // The real literature sources are out of reach here: left on, the cycle spent 15 s retrying them and
            // waiting for its reference checks, none of it this test's business.
            builder.UseSetting("literature:enabled", "false");
        });
        using var http = app.CreateClient();
        var services = app.Services;
        var store = services.GetRequiredService<IResearchStore>();
        Assert.IsType<PostgresResearchStore>(store);
        var (saved, _) = await ResearchStoreTests.SavedResearchAsync(store, cycles: 1);
        Assert.True((await http.GetAsync("/readyz")).IsSuccessStatusCode);
        await CompleteAsync(services); // the pool now holds connections that will die with the server

        await postgres.StopAsync();

        var refused = await Assert.ThrowsAsync<LlmException>(() => CompleteAsync(services));
        Assert.Equal(LlmErrorKind.StorageUnavailable, refused.Kind);
        Assert.Single(openRouter.Requests);
        var session = NewSession(services);
        Assert.Null(await session.StartCycleAsync(Form(services)));
        Assert.Equal(ResearchStatus.Blocked, session.Status);
        Assert.Contains("cannot write its spend ledger", session.LimitMessage);
        Assert.Single(openRouter.Requests);
        var ready = await http.GetAsync("/readyz");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("\"ledger\":\"not writable", await ready.Content.ReadAsStringAsync());
        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.LoadAsync(saved.Id));

        await postgres.StartProcessAsync();

        Assert.True((await http.GetAsync("/readyz")).IsSuccessStatusCode);
        await CompleteAsync(services);
        Assert.NotNull(await store.LoadAsync(saved.Id));
        var again = NewSession(services);
        Assert.Null(await again.StartCycleAsync(Form(services)));
        await Wait.UntilAsync(() => !again.IsRunning, TimeSpan.FromSeconds(60));
        Assert.Null(again.LimitMessage);
        Assert.NotEqual(ResearchStatus.Blocked, again.Status);
        Assert.True(openRouter.Requests.Count > 2, "the cycle made no calls");
        Assert.Equal(openRouter.TotalCharged, services.GetRequiredService<SpendGuard>().Totals().Today, 6);
    }

    private static Task<LlmResponse> CompleteAsync(IServiceProvider services) => services.GetRequiredService<IChatClient>().CompleteAsync(new LlmRequest
    {
        Model = "google/gemini-2.5-flash", SystemPrompt = "s", UserPrompt = "u",
    }, CancellationToken.None);

    private static ResearchSession NewSession(IServiceProvider services) =>
        services.CreateAsyncScope().ServiceProvider.GetRequiredService<ResearchSession>();

    private static ResearchForm Form(IServiceProvider services)
    {
        var form = ResearchForm.From(services.GetRequiredService<IOptions<ResearchOptions>>().Value);
        form.Goal = "Explain antibiotic resistance";
        return form;
    }

    private static async Task<List<T>> QueryAsync<T>(string connectionString, string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
            rows.Add(read(reader));
        return rows;
    }

    [Fact]
    public async Task WithTheLedgerOnADownPostgres_SeedingTheSharedCountersAndTheHourlyLimit_FailClosedWithoutRawErrors()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var database = await postgres.CreateDatabaseAsync();
        await using var redis = await RedisServer.StartAsync(); // empty: the counters are seeded from the ledger on first use
        await using var openRouter = await FakeOpenRouterServer.StartAsync();
        await using var services = CoreHarness.Create(openRouter, new Dictionary<string, string?>
        {
            ["DATA_DIR"] = CoreHarness.NewDataDir(),
            ["ConnectionStrings:Postgres"] = database,
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
        });
        var guard = services.GetRequiredService<SpendGuard>();

        await postgres.StopAsync();

        var refused = await Assert.ThrowsAsync<LlmException>(() => guard.ReserveAsync(
            new CallReservation(DateTimeOffset.UtcNow, "session", "client", "google/gemini-2.5-flash", null, KeyKind.Operator, 0.001m), CancellationToken.None));
        Assert.Equal(LlmErrorKind.StorageUnavailable, refused.Kind);
        Assert.Equal(LimitKind.StorageUnavailable, guard.CurrentBlock(0.01m)?.Kind);
        Assert.Equal((0m, 0m), guard.Totals()); // the admin page stays up with the last totals read
        services.GetRequiredService<ClientQuotas>().ReturnCycle(new ClientKey("ip", "browser"), KeyKind.Operator);
    }
}
