using CoScientist.Core.Cost;
using CoScientist.Core.Models;
using CoScientist.Core.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core.Llm;

public static class LlmGatewayServiceCollectionExtensions
{
    /// <summary>The name of the GenAI semantic-convention spans and metrics the gateway emits.</summary>
    public const string TelemetrySourceName = "CoScientist.Llm";

    /// <summary>
    /// The gateway, composed once as an <see cref="IChatClient"/> pipeline around the OpenAI SDK's client, outermost first:
    /// the cycle's parallel bound; the model policy with budget reservation and settlement; the GenAI telemetry; the call
    /// health timing; the deadline and error mapping; the usage capture (tokens and OpenRouter's usage.cost); the SDK.
    /// Per-call facts ride on each call's options (<see cref="LlmCall"/>), never in these singletons.
    /// </summary>
    public static IServiceCollection AddLlmGateway(this IServiceCollection services)
    {
        services.AddSingleton(sp => new OpenRouterChatClient(
            sp.GetRequiredService<IOptions<OpenRouterOptions>>(),
            sp.GetRequiredService<IHttpClientFactory>().CreateClient("openrouter"),
            sp.GetRequiredService<TimeProvider>()));
        services.AddChatClient(sp => sp.GetRequiredService<OpenRouterChatClient>())
            .Use(inner => new ConcurrencyBoundChatClient(inner))
            .Use((inner, sp) => new BudgetChatClient(inner, sp.GetRequiredService<SpendGuard>(), sp.GetRequiredService<ModelPolicy>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<CallReconciler>()))
            // Prompts are research ideas: message content never goes to traces, whatever OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT says.
            .UseOpenTelemetry(sourceName: TelemetrySourceName, configure: otel => otel.EnableSensitiveData = false)
            .Use((inner, sp) => new CallHealthChatClient(inner, sp.GetRequiredService<CallHealth>(), sp.GetRequiredService<TimeProvider>()))
            .Use((inner, sp) => new ProviderErrorsChatClient(inner, sp.GetRequiredService<IOptions<OpenRouterOptions>>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ProviderErrorsChatClient>>()))
            .Use((inner, sp) => new UsageCaptureChatClient(inner, sp.GetRequiredService<ILogger<UsageCaptureChatClient>>()));
        services.AddSingleton<ResponseFormatFallback>();
        services.AddSingleton<StructuredLlm>();
        return services;
    }
}
