using CoScientist.Core.Literature;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CoScientist.Tests.Fakes;

/// <summary>
/// Puts the literature clients (their pacing, retry pauses and request timeouts) on a clock the test drives, the rest
/// of the services keeping theirs. A whole cycle against the fake libraries then spends no real seconds in arXiv's
/// 3-second spacing or Crossref's; that the spacing holds is LiteratureClientTests' and LiteraturePolitenessTests' to
/// prove. Only these clients, not the whole container: a fake clock that jumps by a pacer's turn while an LLM call is
/// on its way could fire that call's deadline, which no real run would do.
/// </summary>
public static class LiteratureClock
{
    public static IServiceCollection UseLiteratureClock(this IServiceCollection services, TimeProvider clock)
    {
        // The same registrations as AddCoScientistCore's, with the test's clock; registered later, they are the ones resolved.
        services.AddSingleton(sp => new ArxivClient(Http(sp, "arxiv"), Options(sp), sp.GetRequiredService<LiteratureCache>(), clock,
            sp.GetRequiredService<ILogger<ArxivClient>>(), sp.GetRequiredService<LiteratureStats>(), sp.GetRequiredService<IPaceSchedule>()));
        services.AddSingleton(sp => new EuropePmcClient(Http(sp, "europepmc"), Options(sp), sp.GetRequiredService<LiteratureCache>(), clock,
            sp.GetRequiredService<ILogger<EuropePmcClient>>(), sp.GetRequiredService<LiteratureStats>(), sp.GetRequiredService<IPaceSchedule>()));
        services.AddSingleton(sp => new CrossrefClient(Http(sp, "crossref"), Options(sp), sp.GetRequiredService<LiteratureCache>(), clock,
            sp.GetRequiredService<ILogger<CrossrefClient>>(), sp.GetRequiredService<LiteratureStats>(), sp.GetRequiredService<IPaceSchedule>()));
        return services;
    }

    private static HttpClient Http(IServiceProvider services, string name) => services.GetRequiredService<IHttpClientFactory>().CreateClient(name);

    private static IOptions<LiteratureOptions> Options(IServiceProvider services) => services.GetRequiredService<IOptions<LiteratureOptions>>();
}
