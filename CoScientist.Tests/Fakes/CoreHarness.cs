using CoScientist.Core;
using CoScientist.Core.Embeddings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CoScientist.Tests.Fakes;

/// <summary>The real Core services, configured as the app would be, talking to the fake OpenRouter.</summary>
public static class CoreHarness
{
    /// <summary>The embedding model is loaded once for the whole test run, as the app loads it once.</summary>
    public static readonly MiniLmEmbeddingModel SharedEmbeddings = new(NullLogger<MiniLmEmbeddingModel>.Instance);

    /// <summary>A fresh, empty data directory, as a new deployment would have.</summary>
    public static string NewDataDir() => Path.Combine(Path.GetTempPath(), "coscientist-tests", Guid.NewGuid().ToString("N"));

    public static ServiceProvider Create(FakeOpenRouterServer server, IDictionary<string, string?>? settings = null, ILoggerProvider? logs = null,
        Action<IServiceCollection>? more = null) => Create(server.BaseUrl, settings, logs, more);

    /// <summary>The same services pointed at any OpenAI-compatible server, such as <see cref="FakeLocalServer"/>.</summary>
    public static ServiceProvider Create(string baseUrl, IDictionary<string, string?>? settings = null, ILoggerProvider? logs = null,
        Action<IServiceCollection>? more = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["openrouter_base_url"] = baseUrl,
            ["OPENROUTER_API_KEY"] = FakeOpenRouterServer.ValidKey,
            ["openrouter_initial_backoff_ms"] = "5",
            ["openrouter_max_backoff_ms"] = "50",
            ["llm_model"] = "google/gemini-2.5-flash",
            ["DATA_DIR"] = NewDataDir(),
            // The real literature sources are out of reach here; tests that search point them at FakeLiteratureServer.
            ["literature:enabled"] = "false",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
            values[k] = v;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Debug);
            if (logs is not null) b.AddProvider(logs);
        });
        services.AddCoScientistCore();
        services.AddSingleton<MiniLmEmbeddingModel>(SharedEmbeddings);
        services.AddSingleton<IEmbeddingModel>(SharedEmbeddings); // an instance, so disposing this provider leaves it loaded
        more?.Invoke(services);
        return services.BuildServiceProvider(validateScopes: true);
    }
}
