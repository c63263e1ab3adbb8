using CoScientist.Core.Distributed;
using CoScientist.Core.Llm;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Cost;

/// <summary>
/// The limits counted in Redis across instances (<see cref="RedisClientLimits"/>). A granted start is still written
/// to the ledger, the durable record a Redis emptied by a restart is seeded from. While Redis cannot be reached no
/// cycle starts: neither limit could be counted.
/// </summary>
public sealed partial class ClientQuotas
{
    private (CycleLease? Lease, LimitBlock? Block) SharedTryStart(RedisClientLimits limits, ClientKey client, KeyKind keyKind, CostControlOptions settings)
    {
        var now = clock.GetUtcNow();
        var leaseId = Guid.NewGuid().ToString("N");
        var hourly = keyKind == KeyKind.Operator ? settings.MaxCyclesPerClientPerHour : (int?)null;
        CycleClaim claim;
        try
        {
            claim = limits.TryClaim(client.IpHash, client.BrowserHash, settings.MaxConcurrentCycles, hourly, leaseId);
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            logger.LogError("Redis cannot be reached ({Error}); no cycle starts until it can", ex.Message);
            return (null, new LimitBlock(LimitKind.StorageUnavailable, SpendGuard.SharedStoreMessage, null, OwnKeyHelps: false));
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            logger.LogError("The spend ledger could not be read to seed the hourly limit ({Error})", ex.Message);
            return (null, Unchecked(now));
        }
        if (claim.Status == CycleClaimStatus.ServerBusy)
            return (null, Busy(settings.MaxConcurrentCycles, claim.Running, now));
        if (claim.Status == CycleClaimStatus.HourlyLimit)
            return (null, HourlyBlock(claim.ByIp, claim.ByBrowser, hourly!.Value, now));

        var lease = SharedLease(limits, leaseId);
        if (keyKind != KeyKind.Operator)
            return (lease, null);
        try
        {
            ledger.RecordClientStart(now, client.IpHash, client.BrowserHash, forgetBefore: now - Window);
            return (lease, null);
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            // Unrecorded starts would slip past the limit after Redis loses them: refuse rather than guess.
            logger.LogError("The spend ledger could not record a cycle start for the hourly limit ({Error})", ex.Message);
            lease.Dispose();
            SharedReturn(limits, client);
            return (null, Unchecked(now));
        }
    }

    /// <summary>A slot renewed while its cycle runs, freed when it ends; left behind by a crash, it expires.</summary>
    private CycleLease SharedLease(RedisClientLimits limits, string leaseId)
    {
        var every = RedisClientLimits.LeaseTime / 3;
        var timer = clock.CreateTimer(_ => limits.Renew(leaseId), null, every, every);
        lock (_gate) _running++;
        return new CycleLease(() =>
        {
            timer.Dispose();
            limits.Release(leaseId);
            lock (_gate) _running--;
        });
    }

    private void SharedReturn(RedisClientLimits limits, ClientKey client)
    {
        try
        {
            limits.ReturnStart(client.IpHash, client.BrowserHash);
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            logger.LogWarning("Redis could not give a failed cycle's start back ({Error}); the start counts until it leaves the hour", ex.Message);
        }
    }

    /// <summary>The cycles running on every instance; this instance's own while Redis cannot be reached.</summary>
    private int SharedRunning()
    {
        try
        {
            return (int)shared!.Running();
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            return LocalRunning;
        }
    }
}
