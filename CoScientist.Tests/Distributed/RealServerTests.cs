using CoScientist.Core.Distributed;
using CoScientist.Tests.Fakes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CoScientist.Tests.Distributed;

/// <summary>The throwaway servers the scale-out tests run against start from the installed binaries and answer.</summary>
public sealed class RealServerTests
{
    [Fact]
    public async Task A_throwaway_redis_answers_and_loses_its_data_on_restart()
    {
        await using var redis = await RedisServer.StartAsync();
        using var connection = new RedisConnection(new ScaleOut(new ConfigurationBuilder()
            .AddInMemoryCollection([new("ConnectionStrings:Redis", redis.ConnectionString)]).Build()), NullLogger<RedisConnection>.Instance);
        await connection.Database.StringSetAsync(RedisConnection.Key("probe"), "1");
        Assert.Equal("1", (string?)await connection.Database.StringGetAsync(RedisConnection.Key("probe")));

        await redis.StopAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => connection.CheckAsync());
        await redis.RestartAsync();
        await RedisServer.UntilReachableAsync(connection);
        Assert.False((await connection.Database.StringGetAsync(RedisConnection.Key("probe"))).HasValue);
    }

    [Fact]
    public async Task A_throwaway_postgres_gives_each_test_its_own_database()
    {
        var server = await PostgresServer.SharedAsync();
        var first = await server.CreateDatabaseAsync();
        var second = await server.CreateDatabaseAsync();
        Assert.NotEqual(first, second);
        await using var connection = new NpgsqlConnection(first);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_database()", connection);
        Assert.Equal(new NpgsqlConnectionStringBuilder(first).Database, (string?)await command.ExecuteScalarAsync());
    }
}
