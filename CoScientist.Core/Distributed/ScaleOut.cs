using Microsoft.Extensions.Configuration;

namespace CoScientist.Core.Distributed;

/// <summary>
/// Which shared servers this instance uses, from <c>ConnectionStrings:Redis</c> and <c>ConnectionStrings:Postgres</c>
/// (environment: <c>ConnectionStrings__Redis</c>, <c>ConnectionStrings__Postgres</c>). Neither set: the embedded
/// defaults (in-memory counters, SQLite under DATA_DIR), which need nothing installed.
/// </summary>
public sealed class ScaleOut(IConfiguration configuration)
{
    public string? RedisConnectionString { get; } = Blank(configuration.GetConnectionString("Redis"));
    public string? PostgresConnectionString { get; } = Blank(configuration.GetConnectionString("Postgres"));

    public bool UsesRedis => RedisConnectionString is not null;
    public bool UsesPostgres => PostgresConnectionString is not null;

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
