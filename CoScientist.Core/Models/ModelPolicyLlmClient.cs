using CoScientist.Core.Llm;

namespace CoScientist.Core.Models;

/// <summary>The allow-list layer: a call for a model outside the caller's policy never leaves the server.</summary>
public sealed class ModelPolicyLlmClient(ILlmClient inner, ModelPolicy policy) : ILlmClient
{
    public async Task<LlmResponse> CompleteAsync(LlmRequest request, CancellationToken cancellationToken)
    {
        // With the model locked the policy resolves any request to the default; a request for anything else is refused.
        if (await policy.ResolveAsync(request.Model, request.Context.KeyKind, cancellationToken) is not { } model || model.Id != request.Model)
            throw new LlmException(LlmErrorKind.ModelNotAllowed,
                $"The model {request.Model} is not available{(request.Context.KeyKind == KeyKind.Operator ? " on the shared key" : "")}.");
        return await inner.CompleteAsync(request, cancellationToken);
    }
}
