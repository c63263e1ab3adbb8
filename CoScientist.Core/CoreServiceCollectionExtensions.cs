using CoScientist.Core.Agents.Evolution;
using CoScientist.Core.Agents.Generation;
using CoScientist.Core.Agents.Literature;
using CoScientist.Core.Agents.MetaReview;
using CoScientist.Core.Agents.Proximity;
using CoScientist.Core.Agents.Ranking;
using CoScientist.Core.Agents.Reflection;
using CoScientist.Core.Agents.Supervisor;
using CoScientist.Core.Configuration;
using CoScientist.Core.Cost;
using CoScientist.Core.Storage;
using CoScientist.Core.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using CoScientist.Core.Embeddings;
using CoScientist.Core.Literature;
using CoScientist.Core.Llm;
using CoScientist.Core.Models;
using CoScientist.Core.Research;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>The science and the money: options, the LLM gateway's IChatClient pipeline, the catalogue, the agents.</summary>
    public static IServiceCollection AddCoScientistCore(this IServiceCollection services)
    {
        services.AddOptions<ResearchOptions>().BindConfiguration("").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<OpenRouterOptions>().BindConfiguration("").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DeploymentOptions>().BindConfiguration(DeploymentOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CostControlOptions>().BindConfiguration(CostControlOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StorageOptions>().BindConfiguration("").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            return DeploymentEnvironment.Detect(name => configuration[name], sp.GetService<IHostEnvironment>()?.EnvironmentName);
        });

        services.AddMemoryCache();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<Distributed.ScaleOut>();
        services.AddSingleton<Distributed.RedisConnection>();
        services.AddHttpClient("openrouter", (sp, http) =>
        {
            http.Timeout = Timeout.InfiniteTimeSpan; // the SDK's NetworkTimeout bounds each attempt
        });

        services.AddSingleton<IModelCatalog>(sp => new ModelCatalog(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient("openrouter"),
            sp.GetRequiredService<IOptions<OpenRouterOptions>>(),
            sp.GetRequiredService<Microsoft.Extensions.Caching.Memory.IMemoryCache>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ModelCatalog>>(),
            sp.GetRequiredService<Distributed.ScaleOut>().UsesRedis
                ? new RedisModelCatalogShare(sp.GetRequiredService<Distributed.RedisConnection>(), sp.GetRequiredService<ILogger<RedisModelCatalogShare>>())
                : null));

        services.AddSingleton<ModelPolicy>();
        // ConnectionStrings:Postgres set: the ledger and the research live in PostgreSQL, else in SQLite under DATA_DIR.
        services.AddSingleton<SpendLedger>(); // its ScaleOut constructor chooses
        services.AddSingleton<IResearchStore>(sp => sp.GetRequiredService<Distributed.ScaleOut>().PostgresConnectionString is { } postgres
            ? new PostgresResearchStore(new PostgresDatabase(postgres), sp.GetRequiredService<ILogger<PostgresResearchStore>>())
            : ActivatorUtilities.CreateInstance<SqliteResearchStore>(sp));
        services.AddSingleton<ResearchRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<ResearchRetention>());
        // With ConnectionStrings:Redis the caps, the kill switch and the client limits are counted there, across instances.
        services.AddSingleton<Distributed.RedisSpendCounters>();
        services.AddSingleton<Distributed.RedisClientLimits>();
        services.AddSingleton(sp => new SpendGuard(sp.GetRequiredService<SpendLedger>(), sp.GetRequiredService<IOptionsMonitor<CostControlOptions>>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SpendGuard>>(),
            sp.GetRequiredService<Distributed.ScaleOut>().UsesRedis ? sp.GetRequiredService<Distributed.RedisSpendCounters>() : null));
        services.AddSingleton(sp => new ClientQuotas(sp.GetRequiredService<IOptionsMonitor<CostControlOptions>>(), sp.GetRequiredService<SpendLedger>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ClientQuotas>>(),
            sp.GetRequiredService<Distributed.ScaleOut>().UsesRedis ? sp.GetRequiredService<Distributed.RedisClientLimits>() : null));
        services.AddSingleton(sp => new OpenRouterGenerationClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient("openrouter"),
            sp.GetRequiredService<IOptions<OpenRouterOptions>>(),
            sp.GetRequiredService<ILogger<OpenRouterGenerationClient>>()));
        services.AddSingleton<CallReconciler>();
        services.AddSingleton<AbandonedReservationSweep>();
        services.AddHostedService(sp => sp.GetRequiredService<AbandonedReservationSweep>());
        services.AddSingleton<ClientHasher>();
        services.AddSingleton(sp => new OpenRouterKeyClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient("openrouter"),
            sp.GetRequiredService<IOptions<OpenRouterOptions>>(),
            sp.GetRequiredService<ILogger<OpenRouterKeyClient>>()));
        services.AddSingleton<ProviderUsageReconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<ProviderUsageReconciler>());
        AddAlerts(services);

        services.AddLlmGateway();
        services.AddSingleton<CallHealth>();
        services.AddSingleton<RefusedModels>();

        services.AddSingleton<MiniLmEmbeddingModel>();
        services.AddSingleton<IEmbeddingModel>(sp => sp.GetRequiredService<MiniLmEmbeddingModel>());

        services.AddSingleton<GenerationAgent>();
        services.AddSingleton<ReflectionAgent>();
        services.AddSingleton<RankingAgent>();
        services.AddSingleton<EvolutionAgent>();
        services.AddSingleton<ProximityAgent>();
        services.AddSingleton<MetaReviewAgent>();
        services.AddSingleton<LiteratureAgent>();
        services.AddSingleton<JudgePositionStats>();
        services.AddSingleton(new JudgeOrder(Random.Shared));
        services.AddSingleton<CycleSupervisor>();
        services.AddSingleton<CycleAdmission>();
        // Several instances share live research through Redis; one keeps it in memory and needs no Redis at all.
        services.AddSingleton<IResearchRelay>(sp => sp.GetRequiredService<Distributed.ScaleOut>().UsesRedis
            ? new Distributed.RedisResearchRelay(sp.GetRequiredService<Distributed.RedisConnection>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<Distributed.RedisResearchRelay>>())
            : new LocalResearchRelay());
        services.AddSingleton<ResearchHost>();
        services.AddHostedService<ResearchRecoveryService>();
        AddLiterature(services);
        return services;
    }

    /// <summary>The operator's alerts: spend against the caps and the key's credit, to the log, the admin page and a webhook.</summary>
    private static void AddAlerts(IServiceCollection services)
    {
        services.AddOptions<Alerts.AlertOptions>().BindConfiguration(Alerts.AlertOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        // AttemptTimeout bounds each POST. No request logging: HttpClient's own log lines carry the address, whose path is the secret.
        services.AddHttpClient(Alerts.AlertSender.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan).RemoveAllLoggers();
        services.AddSingleton<Alerts.AlertSender>();
        services.AddSingleton<Alerts.KeyCreditWatch>();
        services.AddSingleton<Alerts.SpendAlerts>();
        services.AddHostedService(sp => sp.GetRequiredService<Alerts.SpendAlerts>());
    }

    /// <summary>
    /// The literature sources: polite, cached clients that answer with a reason instead of failing, and the verifier of the
    /// model's references built on them.
    /// </summary>
    private static void AddLiterature(IServiceCollection services)
    {
        services.AddOptions<LiteratureOptions>().BindConfiguration(LiteratureOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<LiteratureCache>();
        services.AddSingleton<LiteratureStats>();
        foreach (var name in new[] { "arxiv", "europepmc", "crossref" })
            services.AddHttpClient(name, http => http.Timeout = Timeout.InfiniteTimeSpan); // literature:timeout_seconds bounds each attempt
        // Singletons, because each holds its source's server-wide pacer; with Redis, the pace is the whole site's.
        services.AddSingleton<IPaceSchedule>(sp => sp.GetRequiredService<Distributed.ScaleOut>().UsesRedis
            ? new RedisPaceSchedule(sp.GetRequiredService<Distributed.RedisConnection>())
            : new LocalPaceSchedule());
        services.AddSingleton(sp => new ArxivClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient("arxiv"),
            sp.GetRequiredService<IOptions<LiteratureOptions>>(), sp.GetRequiredService<LiteratureCache>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ArxivClient>>(), sp.GetRequiredService<LiteratureStats>(),
            sp.GetRequiredService<IPaceSchedule>()));
        services.AddSingleton(sp => new EuropePmcClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient("europepmc"),
            sp.GetRequiredService<IOptions<LiteratureOptions>>(), sp.GetRequiredService<LiteratureCache>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EuropePmcClient>>(), sp.GetRequiredService<LiteratureStats>(),
            sp.GetRequiredService<IPaceSchedule>()));
        services.AddSingleton(sp => new CrossrefClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient("crossref"),
            sp.GetRequiredService<IOptions<LiteratureOptions>>(), sp.GetRequiredService<LiteratureCache>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CrossrefClient>>(), sp.GetRequiredService<LiteratureStats>(),
            sp.GetRequiredService<IPaceSchedule>()));
        services.AddSingleton<ReferenceVerifier>();
    }
}
