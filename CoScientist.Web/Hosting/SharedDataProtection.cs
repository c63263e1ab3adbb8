using System.Xml.Linq;
using CoScientist.Core.Distributed;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using StackExchange.Redis;

namespace CoScientist.Web.Hosting;

/// <summary>
/// ASP.NET Data Protection (antiforgery tokens, the prerendered page's component state) for several instances: with
/// Redis, every instance keeps its key ring in one Redis list under one application name, so what one instance
/// protected, any other can read. Without Redis nothing changes: ASP.NET's default key ring (the user profile's key
/// folder when it is writable, else in memory) serves the one instance.
/// </summary>
public static class SharedDataProtection
{
    /// <summary>Instances must agree on it: it is part of every key's purpose. The default (the content root) may differ between hosts.</summary>
    public const string ApplicationName = "CoScientist";
    public static readonly RedisKey KeysKey = RedisConnection.Key("dataprotection:keys");

    public static IServiceCollection AddCoScientistDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection();
        // Decided when the options are first read, like every other Redis-or-not choice, so configuration added by a
        // test host or environment after this call still counts.
        services.AddOptions<KeyManagementOptions>().Configure<ScaleOut, IServiceProvider>((options, scaleOut, sp) =>
        {
            if (scaleOut.UsesRedis) options.XmlRepository = new RedisKeyRing(sp.GetRequiredService<RedisConnection>());
        });
        services.AddOptions<DataProtectionOptions>().Configure<ScaleOut>((options, scaleOut) =>
        {
            if (scaleOut.UsesRedis) options.ApplicationDiscriminator = ApplicationName;
        });
        return services;
    }

    /// <summary>
    /// The key ring in Redis (the library's repository), refusing at once while Redis is disconnected: Data Protection
    /// reads it synchronously, and the multiplexer would otherwise hold each request's thread until its timeout.
    /// The key ring is read at start and cached; a failure at start is logged by ASP.NET and the app starts anyway,
    /// and pages that need a key answer with an error until Redis is back, when the next request reads it.
    /// </summary>
    private sealed class RedisKeyRing(RedisConnection redis) : IXmlRepository
    {
        private readonly RedisXmlRepository _keys = new(() => redis.Database, KeysKey);

        public IReadOnlyCollection<XElement> GetAllElements()
        {
            ThrowIfDisconnected();
            return _keys.GetAllElements();
        }

        public void StoreElement(XElement element, string friendlyName)
        {
            ThrowIfDisconnected();
            _keys.StoreElement(element, friendlyName);
        }

        private void ThrowIfDisconnected()
        {
            if (!redis.Multiplexer.IsConnected)
                throw new RedisConnectionException(ConnectionFailureType.UnableToConnect,
                    "Redis is not connected: the shared Data Protection keys cannot be read until it is back.");
        }
    }
}
