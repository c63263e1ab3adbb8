namespace CoScientist.Core.Llm;

/// <summary>Holds each call until the cycle's parallelism bound (carried by the request) has room.</summary>
public sealed class ConcurrencyLimitedLlmClient(ILlmClient inner) : ILlmClient
{
    public async Task<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken cancellationToken)
    {
        if (request.Context.Concurrency is not { } gate)
            return await inner.CompleteAsync(request, cancellationToken);
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await inner.CompleteAsync(request, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }
}
