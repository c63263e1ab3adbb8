using System.Diagnostics;
using CoScientist.Core;
using CoScientist.Core.Configuration;
using CoScientist.Core.Storage;
using CoScientist.Tests.Fakes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static CoScientist.Tests.Core.ResearchStoreTests;

namespace CoScientist.Tests.Core;

/// <summary>The research store across versions, failures and configuration.</summary>
public class ResearchStoreSchemaTests
{
    [Fact]
    public async Task ADatabaseFromSchemaVersion1_OpensWithItsResearchIntact()
    {
        var dataDir = CoreHarness.NewDataDir();
        var path = Path.Combine(dataDir, "research.db");
        var v1 = new SqliteResearchStore(path, NullLogger.Instance, targetVersion: 1);
        var (record, state) = await SavedResearchAsync(v1, cycles: 2, literature: false);
        Assert.Equal(1, Pragma(path, "user_version"));

        var current = NewStore(dataDir);
        var loaded = await current.LoadAsync(record.Id);

        DeepAssert.Equal(state.Snapshot(), loaded);
        Assert.Equal(record.Title, (await current.GetRecordAsync(record.Id))!.Title);
        Assert.Equal(SqliteResearchStore.CurrentVersion, Pragma(path, "user_version"));
        Assert.True(SqliteResearchStore.CurrentVersion >= 2);
        Assert.Equal(1, Scalar(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'research_expiring';"));
        // The migrated database keeps the papers later cycles retrieve.
        var papers = new CoScientist.Core.Research.ResearchPaper(1, new CoScientist.Core.Literature.Paper(CoScientist.Core.Literature.LiteratureSource.ArXiv,
            "A paper", ["A. Author"], 2024, "arXiv", null, null, "2401.00001", "https://arxiv.org/abs/2401.00001"), 3, 0.5);
        Assert.True(await current.SaveChangesAsync(record.Id, new ResearchChanges { Papers = [papers] }));
        DeepAssert.Equal(new[] { papers }, (await current.LoadAsync(record.Id))!.Papers);
    }

    [Fact]
    public async Task AnEmptyDataDirectory_GetsTheCurrentSchema()
    {
        var dataDir = CoreHarness.NewDataDir();
        var store = NewStore(dataDir);

        Assert.Equal(new ResearchStoreStats(0, 0, 0, 0, 0, 0, (await store.StatsAsync()).StorageBytes), await store.StatsAsync());
        Assert.Equal(SqliteResearchStore.CurrentVersion, Pragma(store.Path, "user_version"));
        Assert.Equal(Path.Combine(dataDir, "research.db"), store.Path);
        var (record, state) = await SavedResearchAsync(store, cycles: 1);
        DeepAssert.Equal(state.Snapshot(), await store.LoadAsync(record.Id));
        Assert.True((await store.StatsAsync()).StorageBytes > 0);
    }

    [Fact]
    public async Task ADatabaseFromANewerVersion_IsRefusedWithAClearMessage()
    {
        var store = NewStore();
        await store.StatsAsync();
        Scalar(store.Path, "PRAGMA user_version = 99;");

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => NewStore(Path.GetDirectoryName(store.Path)).StatsAsync());
        Assert.Contains("newer version", error.Message);
    }

    [Fact]
    public void ResearchIds_AreUniqueUrlSafeAndCarry128RandomBits()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => ResearchIds.New()).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var id in ids.Take(100))
        {
            Assert.Matches("^[A-Za-z0-9_-]{22}$", id);
            var bytes = Convert.FromBase64String(id.Replace('-', '+').Replace('_', '/') + "==");
            Assert.True(bytes.Length * 8 >= 128);
        }
        // Random bits, not a counter: every character position takes many values.
        Assert.All(Enumerable.Range(0, 21), i => Assert.True(ids.Select(id => id[i]).Distinct().Count() > 32));
    }

    [Fact]
    public async Task AStoreThatCannotWrite_ThrowsStorageUnavailable_NotAnSqliteError()
    {
        var dataDir = CoreHarness.NewDataDir();
        var store = NewStore(dataDir);
        var (record, state) = await SavedResearchAsync(store, cycles: 1);
        SqliteConnection.ClearAllPools(); // pooled handles opened before the disk turned read-only would still write
        var locked = new[] { dataDir, store.Path };
        if (!Chattr("+i", locked))
        {
            // Without chattr, a data directory below a regular file cannot be created either.
            await File.WriteAllTextAsync(Path.Combine(dataDir, "file"), "");
            store = NewStore(Path.Combine(dataDir, "file", "data"));
            locked = [];
        }
        try
        {
            var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => store.SaveHypothesisAsync(record.Id, state.Get("H001")));
            Assert.StartsWith("Saved research is unavailable right now", error.Message);
            await Assert.ThrowsAsync<StorageUnavailableException>(() => store.CreateAsync(record with { Id = ResearchIds.New() }));
        }
        finally
        {
            Chattr("-i", locked);
        }
    }

    [Fact]
    public async Task ADataDirectoryBelowAFile_ThrowsStorageUnavailable()
    {
        var file = Path.Combine(CoreHarness.NewDataDir(), "file");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, "");

        await Assert.ThrowsAsync<StorageUnavailableException>(() => NewStore(Path.Combine(file, "data")).ListByOwnerAsync("owner-a"));
    }

    [Theory]
    [InlineData(null, 30)]
    [InlineData("7", 7)]
    public void RetentionDays_IsReadFromTheStorageSection(string? value, int days) =>
        Assert.Equal(days, Services(("storage:retention_days", value)).GetRequiredService<IOptions<StorageOptions>>().Value.RetentionDays);

    [Fact]
    public void ARetentionOfZeroDays_StopsStartUpNamingTheSetting()
    {
        var error = Assert.Throws<OptionsValidationException>(() =>
            Services(("storage:retention_days", "0")).GetRequiredService<IOptions<StorageOptions>>().Value);
        Assert.Contains("storage:retention_days", error.Message);
    }

    [Fact]
    public void TheShippedConfig_KeepsResearch30Days_InTheSqliteStore()
    {
        var data = YamlConfigurationProvider.Parse(File.OpenText(Path.Combine(AppContext.BaseDirectory, "config.yaml")));
        var services = Services(data.Select(kv => (kv.Key, kv.Value)).Append(("DATA_DIR", CoreHarness.NewDataDir())).ToArray());

        Assert.Equal(30, services.GetRequiredService<IOptions<StorageOptions>>().Value.RetentionDays);
        Assert.IsType<SqliteResearchStore>(services.GetRequiredService<IResearchStore>());
    }

    private static ServiceProvider Services(params (string Key, string? Value)[] values) => new ServiceCollection()
        .AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Where(v => v.Value is not null).Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build())
        .AddLogging().AddCoScientistCore().BuildServiceProvider();

    private static long Pragma(string path, string name) => Scalar(path, $"PRAGMA {name};");

    private static long Scalar(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L);
    }

    private static bool Chattr(string flag, string[] paths)
    {
        if (paths.Length == 0) return true;
        try
        {
            using var process = Process.Start(new ProcessStartInfo("chattr", [flag, .. paths]) { RedirectStandardError = true })!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no chattr on this system
        }
    }
}
