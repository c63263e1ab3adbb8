using CoScientist.Core.Llm;
using CoScientist.Core.Models;
using CoScientist.Core.Research;
using CoScientist.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Cost;

/// <summary>
/// Where every check before a cycle is answered, in one place and in this order: the input, the
/// model policy, the spend ledger being writable (no call is made that cannot be recorded), the
/// session's and the client's limits, the spend caps against the cycle's estimate, the server's
/// cycle slots; then the ledger's cycle row. What it grants is a <see cref="CycleTicket"/>.
/// </summary>
public sealed class CycleAdmission(ModelPolicy policy, SpendGuard guard, ClientQuotas clientQuotas, SpendLedger ledger,
    IOptions<DeploymentOptions> deployment, IOptions<Literature.LiteratureOptions> literature, DeploymentEnvironment environment,
    TimeProvider clock, ILogger<CycleAdmission> logger, Telemetry.RefusedModels refusedModels)
{
    public int MaxGoalLength => deployment.Value.MaxGoalLength;

    /// <summary>The most hypotheses per cycle this deployment allows.</summary>
    public int MaxHypothesesPerCycle => environment.IsProduction ? deployment.Value.MaxHypothesesPerCycle : 20;

    /// <summary>The settings a run may use, clamped on the server whatever the browser sent.</summary>
    public ResearchSettings Clamp(ResearchSettings requested) => requested with
    {
        HypothesesPerCycle = Math.Clamp(requested.HypothesesPerCycle, 1, MaxHypothesesPerCycle),
        GenerationTemperature = Math.Clamp(requested.GenerationTemperature, 0, 2),
        ReflectionTemperature = Math.Clamp(requested.ReflectionTemperature, 0, 2),
        EloKFactor = Math.Clamp(requested.EloKFactor, 1, 200),
        TopK = Math.Clamp(requested.TopK, 1, 10),
        VoteWeight = Math.Clamp(requested.VoteWeight, 0, 5),
        LiteraturePapers = literature.Value.Enabled ? literature.Value.MaxPapers : 0,
    };

    public async Task<AdmissionResult> AdmitAsync(CycleRequest request, CancellationToken cancellationToken = default)
    {
        var goal = request.Goal.Trim();
        if (goal.Length == 0)
            return new AdmissionResult { InputError = "Enter a research goal first." };
        if (goal.Length > MaxGoalLength)
            return new AdmissionResult { InputError = $"The research goal is {goal.Length:N0} characters; the limit is {MaxGoalLength:N0}. Shorten it and try again." };
        var model = await policy.ResolveAsync(request.Settings.Model, request.KeyKind, cancellationToken);
        if (model is null)
        {
            // Counted where the visitor's choice meets the allow-list, once per refused cycle rather than per call.
            var inCatalogue = (await policy.OfferAsync(KeyKind.Visitor, cancellationToken)).Find(request.Settings.Model) is not null;
            refusedModels.Record(request.Settings.Model, inCatalogue);
            return new AdmissionResult
            {
                InputError = $"The model {request.Settings.Model} is not available{(request.KeyKind == KeyKind.Operator ? " on the shared key; choose one from the list or use your own key" : "")}.",
            };
        }
        var settings = Clamp(request.Settings) with { Model = model.Id };
        // Unpublished ideas on a local model stay on the machine: no literature search or reference check unless asked for.
        if (model.Info.IsLocal && !literature.Value.SearchWithLocalModels)
            settings = settings with { LiteraturePapers = 0 };
        var estimate = model.Info.IsPriceKnown ? CostEstimator.Estimate(settings, model.Info, goal, request.Research) : null;

        if (StorageBlock() is { } storage)
            return new AdmissionResult { Block = storage, Estimate = estimate };
        var block = request.Quota.Check(request.KeyKind) ?? (request.KeyKind == KeyKind.Operator ? guard.CurrentBlock(estimate?.ExpectedUsd ?? 0) : null);
        if (block is not null)
            return new AdmissionResult { Block = block, Estimate = estimate };
        var (lease, refused) = clientQuotas.TryStartCycle(request.Client, request.KeyKind);
        if (lease is null)
            return new AdmissionResult { Block = refused, Estimate = estimate };

        long ledgerId;
        try
        {
            ledgerId = ledger.StartCycle(new CycleRecord(clock.GetUtcNow(), request.SessionId, request.Client.LedgerHash, goal, model.Id,
                request.KeyKind, estimate?.ExpectedUsd ?? 0, estimate?.WorstUsd ?? 0));
        }
        catch (Exception ex)
        {
            lease.Dispose();
            clientQuotas.ReturnCycle(request.Client, request.KeyKind);
            logger.LogError(ex, "Session {Session}: the spend ledger could not record a new cycle", request.SessionId);
            return new AdmissionResult { Block = StorageUnavailable(), Estimate = estimate };
        }
        request.Quota.RecordRequest(request.KeyKind);
        return new AdmissionResult
        {
            Ticket = new CycleTicket(this, request, settings, estimate, lease, ledgerId),
            Estimate = estimate,
        };
    }

    /// <summary>Closes the ledger's cycle row and frees the slot; an outage's cycle gives the visitor's allowance back.</summary>
    internal void Close(CycleTicket ticket, CycleReport? report, decimal costSoFar)
    {
        ticket.Lease.Dispose();
        try
        {
            ledger.FinishCycle(ticket.LedgerId, clock.GetUtcNow(), report?.Outcome.ToString() ?? "Failed", report?.CostUsd ?? costSoFar, report?.LlmCalls ?? 0);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Session {Session}: the ledger could not record the end of a cycle", ticket.Request.SessionId);
        }
        if (report?.Outcome is CycleOutcome.Completed or CycleOutcome.CompletedWithFailures)
            ticket.Request.Quota.RecordCompletedCycle(ticket.Request.KeyKind);
        if (report is { ProviderUnavailable: true })
        {
            ticket.Request.Quota.ReturnRequest(ticket.Request.KeyKind);
            clientQuotas.ReturnCycle(ticket.Request.Client, ticket.Request.KeyKind);
        }
    }

    internal void Abandon(CycleTicket ticket)
    {
        ticket.Lease.Dispose();
        try
        {
            ledger.FinishCycle(ticket.LedgerId, clock.GetUtcNow(), "NotStarted", 0, 0);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Session {Session}: the ledger could not record a cycle that never started", ticket.Request.SessionId);
        }
        ticket.Request.Quota.ReturnRequest(ticket.Request.KeyKind);
        clientQuotas.ReturnCycle(ticket.Request.Client, ticket.Request.KeyKind);
    }

    /// <summary>Null while the spend ledger takes writes and the shared counters (Redis, when used) answer; otherwise why no cycle may start.</summary>
    public LimitBlock? StorageBlock()
    {
        try
        {
            ledger.CheckWritable(clock.GetUtcNow());
            return guard.SharedStoreBlock();
        }
        catch (Exception ex) when (SpendLedger.IsStorageFailure(ex))
        {
            logger.LogError("The spend ledger cannot be written ({Error}); cycles are refused until it can", ex.Message);
            return StorageUnavailable();
        }
    }

    private static LimitBlock StorageUnavailable() => new(LimitKind.StorageUnavailable,
        "The server cannot write its spend ledger (its disk is full or read-only, or its database cannot be reached), so it starts no cycles until that is fixed: it never spends what it cannot record. Everything you have so far is kept.",
        null, OwnKeyHelps: false);
}
