using System.Collections.Frozen;
using System.Reflection;

namespace Ontology.SmartDataModels;

/// <summary>
/// The Smart Data Models files embedded in this assembly, named as in SmartDataModels/: <c>{dataModel}/context.jsonld</c>,
/// <c>{dataModel}/{Type}/schema.json</c>, and the schemas the type schemas share (<c>common/common-schema.json</c>,
/// <c>{dataModel}/{name}-schema.json</c>).
/// </summary>
public static class SmartDataModelCatalog
{
    private const string Prefix = "SmartDataModels/";

    private static readonly Assembly Assembly = typeof(SmartDataModelCatalog).Assembly;

    /// <summary>Resource path (without the prefix, '/' separated) → manifest resource name.</summary>
    private static readonly FrozenDictionary<string, string> Resources = Assembly.GetManifestResourceNames()
        .Where(name => name.StartsWith(Prefix, StringComparison.Ordinal))
        .ToFrozenDictionary(name => name[Prefix.Length..].Replace('\\', '/'), name => name, StringComparer.Ordinal);

    /// <summary>Every embedded file's path, e.g. "dataModel.Parking/ParkingSpot/schema.json".</summary>
    public static IEnumerable<string> Paths => Resources.Keys;

    /// <summary>The data models that have an embedded @context.</summary>
    public static IEnumerable<string> DataModels =>
        Resources.Keys.Where(path => path.EndsWith("/context.jsonld", StringComparison.Ordinal) && path.Count(c => c == '/') == 1)
            .Select(path => path[..path.IndexOf('/', StringComparison.Ordinal)]);

    /// <summary>The @context document (<c>{"@context": {...}}</c>) of a data model, or null if there is none.</summary>
    public static string? Context(string dataModel) => Read($"{dataModel}/context.jsonld");

    /// <summary>The text of an embedded file, or null if there is none at that path.</summary>
    public static string? Read(string path)
    {
        if (!Resources.TryGetValue(path, out var name))
            return null;
        using var stream = Assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
