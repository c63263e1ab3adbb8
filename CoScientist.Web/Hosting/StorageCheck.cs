namespace CoScientist.Web.Hosting;

/// <summary>
/// A Space's own disk is wiped on restart: the ledger (and with it today's spend against the caps)
/// survives only on a mounted volume such as a Storage Bucket. This tells whether DATA_DIR is on one.
/// </summary>
public static class StorageCheck
{
    /// <summary>Null when fine; otherwise the warning the admin page shows.</summary>
    public static string? Warning(string dataDir, bool production, string mountInfoPath = "/proc/self/mountinfo")
    {
        if (!production || !File.Exists(mountInfoPath))
            return null;
        var full = Path.GetFullPath(dataDir).TrimEnd('/') + "/";
        var mountPoints = File.ReadLines(mountInfoPath)
            .Select(line => line.Split(' '))
            .Where(parts => parts.Length > 4)
            .Select(parts => parts[4].Replace("\\040", " ").TrimEnd('/') + "/");
        var longest = mountPoints.Where(m => full.StartsWith(m, StringComparison.Ordinal)).MaxBy(m => m.Length) ?? "/";
        return longest == "/"
            ? $"DATA_DIR ({dataDir}) is not on a mounted volume: the spend ledger resets whenever the app restarts. The caps then count from OpenRouter's figure for the key alone (none while OpenRouter cannot be reached), and the per-visitor hourly limit, the kill switch and the spend history are lost. Mount persistent storage (a Storage Bucket) there."
            : null;
    }
}
