using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace CoScientist.Core.Embeddings;

/// <summary>Reads a managed resource out of an assembly file without loading the assembly.</summary>
internal static class EmbeddedResourceFile
{
    public static void Extract(string assemblyPath, string resourceName, string target)
    {
        using var file = new FileStream(assemblyPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        long start;
        using (var pe = new PEReader(file, PEStreamOptions.LeaveOpen))
        {
            var metadata = pe.GetMetadataReader();
            var handle = metadata.ManifestResources
                .Select(metadata.GetManifestResource)
                .Where(r => metadata.GetString(r.Name) == resourceName)
                .Select(r => (ManifestResource?)r)
                .FirstOrDefault() ?? throw new InvalidOperationException($"The embedded resource {resourceName} is missing from {assemblyPath}.");
            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            if (!pe.PEHeaders.TryGetDirectoryOffset(directory, out var directoryOffset))
                throw new InvalidOperationException($"{assemblyPath} has no resources section.");
            start = directoryOffset + handle.Offset;
        }

        file.Position = start;
        Span<byte> lengthBytes = stackalloc byte[4];
        file.ReadExactly(lengthBytes);
        var remaining = (long)BitConverter.ToUInt32(lengthBytes);
        var partial = target + "." + Guid.NewGuid().ToString("N") + ".part";
        using (var output = File.Create(partial))
        {
            var buffer = new byte[81920];
            while (remaining > 0)
            {
                var read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                if (read == 0) throw new EndOfStreamException($"{assemblyPath} ends inside the resource {resourceName}.");
                output.Write(buffer, 0, read);
                remaining -= read;
            }
        }
        File.Move(partial, target, overwrite: true);
    }
}
