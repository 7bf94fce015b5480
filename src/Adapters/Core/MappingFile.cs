using System.Globalization;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Adapters.Core;

/// <summary>The deployment's mapping file cannot be used: missing, unreadable, or not JSON or YAML.</summary>
public sealed class MappingFileException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The deployment's mapping file (<c>Mapping:Path</c>), JSON (<c>.json</c>) or YAML (any other name): one section per
/// source ("lorawan", "parking", "traffic", ...), read into the configuration so that each source binds its section
/// as it would from appsettings.json. Keys are flattened as configuration does ("lorawan:devices:0:devEui").
/// </summary>
public static class MappingFile
{
    public const string PathKey = "Mapping:Path";

    /// <summary>Adds the mapping file to the configuration.</summary>
    /// <exception cref="MappingFileException">The file is missing or is not valid JSON or YAML; the message says where.</exception>
    public static IConfigurationBuilder AddMappingFile(this IConfigurationBuilder configuration, string path)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var (values, sections) = Read(path);
        return configuration.Add(new MappingFileSource(path, values, sections));
    }

    /// <summary>The file's values as configuration keys and values.</summary>
    public static Dictionary<string, string?> Load(string path) => Read(path).Values;

    private static (Dictionary<string, string?> Values, List<string> Sections) Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MappingFileException($"The mapping file {path} ({PathKey}) does not exist.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MappingFileException($"The mapping file {path} ({PathKey}) cannot be read: {e.Message}", e);
        }
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var sections = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ReadJson(path, text, values) : ReadYaml(path, text, values);
        return (values, sections);
    }

    /// <summary>The source sections the file has (its top-level keys), to find a misspelt one.</summary>
    public static IEnumerable<string> Sections(IConfiguration configuration) =>
        Providers(configuration).OfType<MappingFileProvider>().SelectMany(provider => provider.Sections).Distinct(StringComparer.OrdinalIgnoreCase);

    private static IEnumerable<IConfigurationProvider> Providers(IConfiguration configuration)
    {
        if (configuration is not IConfigurationRoot root)
            yield break;
        foreach (var provider in root.Providers)
        {
            yield return provider;
            if (provider is ChainedConfigurationProvider chained)
            {
                foreach (var inner in Providers(chained.Configuration))
                    yield return inner;
            }
        }
    }

    private static List<string> ReadJson(string path, string text, Dictionary<string, string?> values)
    {
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new MappingFileException($"The mapping file {path} must hold a JSON object with one member per source, not {document.RootElement.ValueKind}.");
            Flatten(document.RootElement, null, values);
            return [.. document.RootElement.EnumerateObject().Select(member => member.Name)];
        }
        catch (JsonException e)
        {
            throw new MappingFileException(string.Create(CultureInfo.InvariantCulture,
                $"The mapping file {path} is not valid JSON: line {e.LineNumber + 1}, position {e.BytePositionInLine + 1}: {FirstSentence(e.Message)}"), e);
        }
    }

    private static void Flatten(JsonElement element, string? key, Dictionary<string, string?> values)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                    Flatten(member.Value, Join(key, member.Name), values);
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                    Flatten(item, Join(key, (index++).ToString(CultureInfo.InvariantCulture)), values);
                break;
            case JsonValueKind.Null:
                values[key!] = null;
                break;
            case JsonValueKind.String:
                values[key!] = element.GetString();
                break;
            default:
                values[key!] = element.GetRawText();
                break;
        }
    }

    private static List<string> ReadYaml(string path, string text, Dictionary<string, string?> values)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new MappingFileException(string.Create(CultureInfo.InvariantCulture,
                $"The mapping file {path} is not valid YAML: line {e.Start.Line}, column {e.Start.Column}: {e.Message}"), e);
        }
        if (stream.Documents.Count == 0)
            return [];
        if (stream.Documents.Count > 1)
            throw new MappingFileException($"The mapping file {path} holds {stream.Documents.Count} YAML documents: one is expected.");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var node = stream.Documents[0].RootNode;
            throw new MappingFileException(string.Create(CultureInfo.InvariantCulture,
                $"The mapping file {path} must hold a YAML mapping with one key per source (line {node.Start.Line}, column {node.Start.Column})."));
        }
        Flatten(path, root, null, values);
        return [.. root.Children.Keys.OfType<YamlScalarNode>().Select(key => key.Value!)];
    }

    private static void Flatten(string path, YamlNode node, string? key, Dictionary<string, string?> values)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (name, value) in mapping.Children)
                {
                    if (name is not YamlScalarNode { Value: { } scalar })
                    {
                        throw new MappingFileException(string.Create(CultureInfo.InvariantCulture,
                            $"The mapping file {path}: line {name.Start.Line}, column {name.Start.Column}: a key must be a plain value."));
                    }
                    Flatten(path, value, Join(key, scalar), values);
                }
                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                    Flatten(path, sequence.Children[i], Join(key, i.ToString(CultureInfo.InvariantCulture)), values);
                break;
            case YamlScalarNode scalar:
                values[key!] = scalar.Style == ScalarStyle.Plain && scalar.Value is "~" or "null" or "" ? null : scalar.Value;
                break;
            default:
                throw new MappingFileException(string.Create(CultureInfo.InvariantCulture,
                    $"The mapping file {path}: line {node.Start.Line}, column {node.Start.Column}: aliases are not supported."));
        }
    }

    private static string Join(string? key, string name) => key is null ? name : key + ConfigurationPath.KeyDelimiter + name;

    private static string FirstSentence(string message) => message.Split(" LineNumber:", 2)[0].TrimEnd();

    private sealed class MappingFileSource(string path, Dictionary<string, string?> values, List<string> sections) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder) => new MappingFileProvider(path, values, sections);
    }

    private sealed class MappingFileProvider(string path, Dictionary<string, string?> values, List<string> sections) : ConfigurationProvider
    {
        public IEnumerable<string> Sections => sections;

        public override void Load() => Data = new Dictionary<string, string?>(values, StringComparer.OrdinalIgnoreCase);

        public override string ToString() => $"mapping file {path}";
    }
}
