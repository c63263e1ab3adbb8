using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace CoScientist.Core.Configuration;

/// <summary>
/// config.yaml as an ordinary configuration source: nested mappings become "a:b" keys and
/// sequences "a:0", so environment variables in ASP.NET's form (a__b=...) override any value.
/// </summary>
public sealed class YamlConfigurationSource(string path, bool optional) : IConfigurationSource
{
    public string Path { get; } = path;
    public bool Optional { get; } = optional;

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new YamlConfigurationProvider(this);
}

public sealed class YamlConfigurationProvider(YamlConfigurationSource source) : ConfigurationProvider
{
    public override void Load()
    {
        if (!File.Exists(source.Path))
        {
            if (source.Optional) return;
            throw new FileNotFoundException($"The configuration file {source.Path} was not found.", source.Path);
        }
        using var reader = new StreamReader(source.Path);
        Data = Parse(reader);
    }

    public static Dictionary<string, string?> Parse(TextReader reader)
    {
        var stream = new YamlStream();
        stream.Load(reader);
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (stream.Documents.Count > 0)
            Visit(stream.Documents[0].RootNode, null, data);
        return data;
    }

    private static void Visit(YamlNode node, string? prefix, Dictionary<string, string?> data)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                    Visit(value, Combine(prefix, ((YamlScalarNode)key).Value!), data);
                break;
            case YamlSequenceNode list:
                for (var i = 0; i < list.Children.Count; i++)
                    Visit(list.Children[i], Combine(prefix, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), data);
                break;
            case YamlScalarNode scalar when prefix is not null:
                data[prefix] = scalar.Value is "~" or "null" ? null : scalar.Value;
                break;
        }
    }

    private static string Combine(string? prefix, string key) => prefix is null ? key : prefix + ConfigurationPath.KeyDelimiter + key;
}

public static class YamlConfigurationExtensions
{
    /// <summary>
    /// Adds config.yaml underneath every other source, so appsettings.{Environment}.json and
    /// environment variables override it. The file is looked for at CONFIG_PATH, then in the
    /// content root, its parent (the repository root under `dotnet run`), then next to the app.
    /// </summary>
    public static IConfigurationBuilder AddCoScientistYaml(this IConfigurationBuilder builder, string contentRoot, string? explicitPath)
    {
        var candidates = new[]
        {
            explicitPath,
            System.IO.Path.Combine(contentRoot, "config.yaml"),
            System.IO.Path.Combine(contentRoot, "..", "config.yaml"),
            System.IO.Path.Combine(AppContext.BaseDirectory, "config.yaml"),
        };
        var path = candidates.FirstOrDefault(p => !string.IsNullOrWhiteSpace(p) && File.Exists(p));
        var source = new YamlConfigurationSource(path ?? System.IO.Path.Combine(contentRoot, "config.yaml"), optional: explicitPath is null);
        if (builder.Sources is IList<IConfigurationSource> list)
            list.Insert(0, source);
        else
            builder.Add(source);
        return builder;
    }
}
