using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace CoScientist.Core.Storage;

public sealed class StorageOptions
{
    /// <summary>Where the spend ledger lives (env DATA_DIR). On Hugging Face, point it at a mounted bucket.</summary>
    [ConfigurationKeyName("DATA_DIR"), Display(Name = "DATA_DIR"), Required(AllowEmptyStrings = false)]
    public string DataDir { get; set; } = "./data";

    public string LedgerPath => Path.Combine(Path.GetFullPath(DataDir), "ledger.db");
}
