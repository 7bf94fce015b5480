using System.Reflection;
using System.Text.Json;
using Ontology.JsonLd;

namespace Benchmarks.Micro;

/// <summary>
/// The data of the micro benchmarks: a Smart Data Models AirQualityObserved entity (normalized, without its @context)
/// and the dataModel.Environment @context, served by a loader that never touches the network.
/// </summary>
internal static class Fixtures
{
    public const string ContextUrl = "https://smartdatamodels.org/dataModel.Environment/context.jsonld";

    public static byte[] Resource(string name)
    {
        using var stream = typeof(Fixtures).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded resource '{name}' is missing.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    public static byte[] AirQualityObserved => Resource("AirQualityObserved.json");

    /// <summary>The user context as the broker builds it for a request with a Link header: the Environment context, core applied last.</summary>
    public static JsonLdContext UserContext()
    {
        var resolver = new ContextResolver(new FixedLoader(Resource("environment-context.jsonld")), new RemoteContextOptions());
        return resolver.ResolveAsync(null, ContextUrl, CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    private sealed class FixedLoader(byte[] document) : IRemoteContextLoader
    {
        public ValueTask<JsonDocument> LoadAsync(Uri url, CancellationToken ct) => ValueTask.FromResult(JsonDocument.Parse(document));
    }
}
