using System.Collections.Concurrent;
using System.Text.Json;
using Ontology.JsonLd;

namespace Broker.HttpTests;

/// <summary>Serves user @context documents from memory; any other URL is not available, as if its server were down.</summary>
public sealed class StubContextLoader : IRemoteContextLoader
{
    /// <summary>A user context in the style of the Smart Data Models, served by default.</summary>
    public const string ParkingContextUrl = "https://contexts.example.org/parking.jsonld";

    public const string ParkingType = "https://smartdatamodels.org/dataModel.Parking/OffStreetParking";
    public const string SpotsIri = "https://example.org/spots";

    public const string ParkingContext = """
        {"@context":{"Parking":"https://smartdatamodels.org/dataModel.Parking/OffStreetParking","spots":"https://example.org/spots"}}
        """;

    private readonly ConcurrentDictionary<string, string> _documents = new(StringComparer.Ordinal)
    {
        [ParkingContextUrl] = ParkingContext,
    };

    private int _loads;

    public int Loads => _loads;

    public void Serve(string url, string document) => _documents[url] = document;

    public ValueTask<JsonDocument> LoadAsync(Uri url, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(url);
        Interlocked.Increment(ref _loads);
        if (_documents.TryGetValue(url.ToString(), out var document))
            return ValueTask.FromResult(JsonDocument.Parse(document));
        throw new JsonLdContextException(JsonLdContextError.ContextNotAvailable, $"The @context '{url}' is not available: the stub loader does not serve it.");
    }
}
