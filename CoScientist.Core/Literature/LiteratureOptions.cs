using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CoScientist.Core.Literature;

/// <summary>config.yaml's "literature" section: where the literature sources live and how long to wait for them.</summary>
public sealed class LiteratureOptions
{
    public const string Section = "literature";

    [ConfigurationKeyName("enabled"), Display(Name = "literature:enabled")]
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Whether a cycle on a local model (a server without prices: llama.cpp, Ollama) searches the literature too. Off by
    /// default: the searches, written from the goal, and the reference checks would take the goal off the machine.
    /// </summary>
    [ConfigurationKeyName("search_with_local_models"), Display(Name = "literature:search_with_local_models")]
    public bool SearchWithLocalModels { get; set; }

    [ConfigurationKeyName("arxiv_base_url"), Display(Name = "literature:arxiv_base_url"), Required, Url]
    public string ArxivBaseUrl { get; set; } = "https://export.arxiv.org/api/query";

    [ConfigurationKeyName("europepmc_base_url"), Display(Name = "literature:europepmc_base_url"), Required, Url]
    public string EuropePmcBaseUrl { get; set; } = "https://www.ebi.ac.uk/europepmc/webservices/rest";

    [ConfigurationKeyName("crossref_base_url"), Display(Name = "literature:crossref_base_url"), Required, Url]
    public string CrossrefBaseUrl { get; set; } = "https://api.crossref.org";

    /// <summary>Sent to Crossref as mailto and in the User-Agent, which puts requests in its polite pool.</summary>
    [ConfigurationKeyName("contact_email"), Display(Name = "literature:contact_email"), EmailAddress]
    public string? ContactEmail { get; set; }

    [ConfigurationKeyName("max_papers"), Display(Name = "literature:max_papers"), Range(1, 50)]
    public int MaxPapers { get; set; } = 8;

    /// <summary>The most one request to a source may take; queueing behind the politeness limits is not counted.</summary>
    [ConfigurationKeyName("timeout_seconds"), Display(Name = "literature:timeout_seconds"), Range(1, 120)]
    public int TimeoutSeconds { get; set; } = 10;

    internal string UserAgent => string.IsNullOrWhiteSpace(ContactEmail)
        ? "CoScientist/1.0 (https://github.com/LLNL/open-ai-co-scientist)"
        : $"CoScientist/1.0 (mailto:{ContactEmail})";
}
