using System.Diagnostics;

namespace CoScientist.Tests.Fakes;

/// <summary>
/// A data directory that refuses writes as a real disk does. The tests run as root, whom file modes do
/// not stop, so "read-only" is the immutable attribute (chattr +i) and "full" is a tiny tmpfs filled up.
/// Dispose puts everything back.
/// </summary>
public sealed class BrokenDisk : IDisposable
{
    private readonly List<string> _immutable = [];
    private string? _mount;

    private BrokenDisk(string path) => Path = path;

    public string Path { get; }

    /// <summary>A fresh directory on a tmpfs of <paramref name="kilobytes"/> KB.</summary>
    public static BrokenDisk SmallVolume(int kilobytes = 256)
    {
        var path = CoreHarness.NewDataDir();
        Directory.CreateDirectory(path);
        Run("mount", "-t", "tmpfs", "-o", $"size={kilobytes}k", "tmpfs", path);
        return new BrokenDisk(path) { _mount = path };
    }

    public static BrokenDisk At(string path) => new(path);

    /// <summary>
    /// Makes the directory and every file in it unwritable, even for root. SQLite's shared-memory index
    /// (*-shm) is left alone: it is mapped into memory, and a mapping that loses its file crashes the process,
    /// which is not what a read-only disk does to an open database.
    /// </summary>
    public void MakeReadOnly()
    {
        Directory.CreateDirectory(Path);
        foreach (var entry in Directory.EnumerateFileSystemEntries(Path).Where(e => !e.EndsWith("-shm", StringComparison.Ordinal)).Append(Path))
        {
            Run("chattr", "+i", entry);
            _immutable.Add(entry);
        }
    }

    /// <summary>Fills the volume until no byte fits.</summary>
    public void Fill()
    {
        var filler = System.IO.Path.Combine(Path, "filler.bin");
        try
        {
            using var stream = File.OpenWrite(filler);
            var block = new byte[4096];
            while (true) stream.Write(block);
        }
        catch (IOException)
        {
        }
    }

    private static void Run(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{command} {string.Join(' ', args)} failed: {error}. These tests need root (as CI runs them).");
    }

    public void Dispose()
    {
        foreach (var entry in _immutable.AsEnumerable().Reverse())
            try { Run("chattr", "-i", entry); } catch (InvalidOperationException) { }
        if (_mount is not null)
            try { Run("umount", "-l", _mount); } catch (InvalidOperationException) { }
    }
}
