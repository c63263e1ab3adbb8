using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace CoScientist.Core.Storage;

/// <summary>How research records are stored: JSON for their fields, raw float32 for embeddings.</summary>
public static class ResearchJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // Only nulls are left out: a record's default (an Elo of 1200) is not the type's default (0).
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { DataOnly } },
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Read<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException($"Stored {typeof(T).Name} is null.");

    /// <summary>
    /// Computed properties (a report's total cost, a match's loser) are derived on reading, so storing them would
    /// only cost space and could contradict the data they come from.
    /// </summary>
    private static void DataOnly(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object) return;
        for (var i = info.Properties.Count - 1; i >= 0; i--)
            if (info.Properties[i].Set is null)
                info.Properties.RemoveAt(i);
    }

    // 384 floats as text would take ~3.5 KB; as float32 bytes they take 1.5 KB and round-trip exactly.
    // The byte order is the machine's: .NET runs little-endian on every platform we deploy to.
    public static byte[] ToBlob(float[] vector) => MemoryMarshal.AsBytes(vector.AsSpan()).ToArray();

    public static float[] FromBlob(byte[] blob) => MemoryMarshal.Cast<byte, float>(blob).ToArray();
}
