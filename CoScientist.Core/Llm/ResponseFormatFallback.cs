using System.Collections.Concurrent;
using CoScientist.Core.Models;
using Microsoft.Extensions.Logging;

namespace CoScientist.Core.Llm;

/// <summary>
/// How each model is asked for JSON: the strongest form it supports (strict json_schema, else json_object, else the
/// schema in the instructions alone), by the catalogue's supported_parameters, or json_schema first for a local model
/// whose server lists none. A server that refuses the form with a 400 naming it lowers that model one step for the rest
/// of the process, so one refusal costs one extra request instead of failing every call.
/// </summary>
public sealed class ResponseFormatFallback(ILogger<ResponseFormatFallback> logger)
{
    private readonly ConcurrentDictionary<string, ResponseFormatMode> _lowered = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, ResponseFormatMode), bool> _logged = new();

    public ResponseFormatMode Choose(string model, ModelInfo? info)
    {
        var supported = info switch
        {
            { SupportsStructuredOutputs: true } or { IsLocal: true, SupportedParameters.Count: 0 } => ResponseFormatMode.JsonSchema,
            { SupportsResponseFormat: true } => ResponseFormatMode.JsonObject,
            _ => ResponseFormatMode.PromptOnly,
        };
        return _lowered.TryGetValue(model, out var lowered) && lowered > supported ? lowered : supported;
    }

    /// <summary>The form to ask in now, when <paramref name="failure"/> refused <paramref name="refused"/> itself; else null.</summary>
    public ResponseFormatMode? Lower(string model, ResponseFormatMode refused, LlmException failure)
    {
        if (failure.StatusCode != 400 || refused >= ResponseFormatMode.PromptOnly || !NamesResponseFormat(failure.ProviderMessage))
            return null;
        var next = refused + 1;
        var now = _lowered.AddOrUpdate(model, next, (_, current) => current > next ? current : next);
        if (_logged.TryAdd((model, now), true))
            logger.LogWarning("Model {Model} refused {Refused} structured output; asking it with {Next} for the rest of this run",
                model, refused, now);
        return now;
    }

    private static bool NamesResponseFormat(string? message) => message is not null
        && (message.Contains("response_format", StringComparison.OrdinalIgnoreCase)
            || message.Contains("json_schema", StringComparison.OrdinalIgnoreCase)
            || message.Contains("json_object", StringComparison.OrdinalIgnoreCase));
}
