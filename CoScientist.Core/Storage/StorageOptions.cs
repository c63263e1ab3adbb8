using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CoScientist.Core.Storage;

public sealed class StorageOptions
{
    /// <summary>Where the spend ledger and saved research live (env DATA_DIR). On Hugging Face, point it at a mounted bucket.</summary>
    [ConfigurationKeyName("DATA_DIR"), Display(Name = "DATA_DIR"), Required(AllowEmptyStrings = false)]
    public string DataDir { get; set; } = "./data";

    /// <summary>
    /// Research nobody shared and the operator did not pin is deleted after this many days without activity
    /// (env storage__retention_days). The key sits under config.yaml's storage section while DATA_DIR stays
    /// at the root, where hosting platforms set it.
    /// </summary>
    [ConfigurationKeyName("storage:retention_days"), Display(Name = "storage:retention_days"), Range(1, 3650)]
    public int RetentionDays { get; set; } = 30;

    /// <summary>
    /// How similar (cosine of the goals' sentence embeddings) shared research must be to a blocked visitor's goal to be
    /// offered instead (env storage__fallback_similarity).
    /// </summary>
    [ConfigurationKeyName("storage:fallback_similarity"), Display(Name = "storage:fallback_similarity"), Range(0.0, 1.0)]
    public double FallbackSimilarity { get; set; } = 0.5;

    public string LedgerPath => Path.Combine(Path.GetFullPath(DataDir), "ledger.db");

    public string ResearchPath => Path.Combine(Path.GetFullPath(DataDir), "research.db");
}
