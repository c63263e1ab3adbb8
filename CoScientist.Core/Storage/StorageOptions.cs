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

    public string LedgerPath => Path.Combine(Path.GetFullPath(DataDir), "ledger.db");

    public string ResearchPath => Path.Combine(Path.GetFullPath(DataDir), "research.db");
}
