using System.Security.Cryptography;
using CoScientist.Core.Distributed;
using CoScientist.Tests.Fakes;
using CoScientist.Web.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CoScientist.Tests.Distributed;

/// <summary>
/// What one instance protects (antiforgery tokens, the prerendered page's component state) another can read when they
/// share Redis: a visitor whose requests land on different instances is not turned away.
/// </summary>
public sealed class SharedDataProtectionTests : IAsyncLifetime
{
    private const string Purpose = "CoScientist.Tests.SharedDataProtection";
    private readonly List<IDisposable> _owned = [];
    private readonly List<DirectoryInfo> _directories = [];
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned)) owned.Dispose();
        await _redis.DisposeAsync();
        foreach (var directory in _directories) directory.Delete(recursive: true);
    }

    private DirectoryInfo TempDirectory(string prefix)
    {
        var directory = Directory.CreateTempSubdirectory(prefix);
        _directories.Add(directory);
        return directory;
    }

    /// <summary>
    /// One instance's services as the app registers them, on a machine of its own: a key folder of its own stands for
    /// the default one in its user profile (in one test process, every host would otherwise find the same folder),
    /// and the app is installed at a path of its own (ASP.NET's default application name).
    /// </summary>
    private async Task<IHost> StartInstanceAsync(bool withRedis)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = TempDirectory("cs-app-").FullName });
        if (withRedis) builder.Configuration.AddInMemoryCollection([new("ConnectionStrings:Redis", _redis.ConnectionString)]);
        builder.Services.AddDataProtection().PersistKeysToFileSystem(TempDirectory("cs-keys-"));
        builder.Services.AddSingleton<ScaleOut>();
        builder.Services.AddSingleton<RedisConnection>();
        builder.Services.AddCoScientistDataProtection();
        var host = builder.Build();
        _owned.Add(host);
        await host.StartAsync();
        return host;
    }

    private static IDataProtector Protector(IHost host) => host.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);

    [Fact]
    public async Task WhatOneInstanceProtects_AnotherReads_WhenTheyShareRedis()
    {
        var first = await StartInstanceAsync(withRedis: true);
        var second = await StartInstanceAsync(withRedis: true);

        var token = Protector(first).Protect("visitor 42");

        Assert.Equal("visitor 42", Protector(second).Unprotect(token));
        Assert.Equal("back again", Protector(first).Unprotect(Protector(second).Protect("back again")));
    }

    /// <summary>
    /// Two instances starting at the same moment on an empty Redis each make a key before seeing the other's: both keys
    /// end up in Redis, and each instance's ring holds only its own. Replayed here in that order.
    /// </summary>
    [Fact]
    public async Task TwoInstancesStartingTogetherOnAnEmptyRedis_StillReadEachOthersTokens()
    {
        var first = await StartInstanceAsync(withRedis: true);
        var database = first.Services.GetRequiredService<RedisConnection>().Database;
        var firstKey = await database.ListLeftPopAsync(SharedDataProtection.KeysKey);
        var second = await StartInstanceAsync(withRedis: true);
        await database.ListRightPushAsync(SharedDataProtection.KeysKey, firstKey);
        Assert.Equal(2, await database.ListLengthAsync(SharedDataProtection.KeysKey));

        Assert.Equal("visitor 42", Protector(second).Unprotect(Protector(first).Protect("visitor 42")));
        Assert.Equal("visitor 43", Protector(first).Unprotect(Protector(second).Protect("visitor 43")));
    }

    [Fact]
    public async Task WithoutRedis_InstancesOnTwoMachines_CannotReadEachOthersTokens()
    {
        var first = await StartInstanceAsync(withRedis: false);
        var second = await StartInstanceAsync(withRedis: false);

        var token = Protector(first).Protect("visitor 42");

        Assert.ThrowsAny<CryptographicException>(() => Protector(second).Unprotect(token));
    }

    [Fact]
    public async Task WithRedisDownAtStart_TheInstanceStarts_AndProtectsOnceRedisIsBack()
    {
        await _redis.StopAsync();
        var first = await StartInstanceAsync(withRedis: true); // must not throw

        Assert.ThrowsAny<Exception>(() => Protector(first).Protect("visitor 42"));

        await _redis.RestartAsync();
        await RedisServer.UntilReachableAsync(first.Services.GetRequiredService<RedisConnection>());
        var token = Protector(first).Protect("visitor 42");
        var second = await StartInstanceAsync(withRedis: true);
        Assert.Equal("visitor 42", Protector(second).Unprotect(token));
    }

    /// <summary>The app as it starts: its key ring is the one in Redis (on one machine the two would share a key folder anyway).</summary>
    [Fact]
    public async Task TwoAppInstancesWithRedis_KeepTheirKeysInRedis_AndReadEachOthersTokens()
    {
        await using var openRouter = await FakeOpenRouterServer.StartAsync();
        var apps = Enumerable.Range(0, 2).Select(_ => new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("openrouter_base_url", openRouter.BaseUrl);
            builder.UseSetting("OPENROUTER_API_KEY", FakeOpenRouterServer.ValidKey);
            builder.UseSetting("DATA_DIR", CoreHarness.NewDataDir());
            builder.UseSetting("literature:enabled", "false");
            builder.UseSetting("ConnectionStrings:Redis", _redis.ConnectionString);
        })).ToList();
        _owned.AddRange(apps);

        var token = apps[0].Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose).Protect("visitor 42");

        Assert.Equal("visitor 42", apps[1].Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose).Unprotect(token));
        var keys = await apps[1].Services.GetRequiredService<RedisConnection>().Database.ListRangeAsync(SharedDataProtection.KeysKey);
        Assert.Single(keys);
        Assert.Contains("<key ", keys[0].ToString());
    }
}
