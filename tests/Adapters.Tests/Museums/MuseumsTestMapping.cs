using Adapters.Museums;

namespace Adapters.Tests.Museums;

internal static class MuseumsTestMapping
{
    /// <summary>
    /// The museums of the samples whose records carry no position, at their real addresses: the Museum für Kunst und
    /// Gewerbe (Steintorplatz, Hamburg), the Deutsches Museum (Museumsinsel 1, Munich) and the Uffizi (Florence; the
    /// position the LIDO 1.1 example of La Primavera gives for the same gallery).
    /// </summary>
    public static MuseumsMapping Create() => new()
    {
        Positions =
        [
            new() { EntityId = "urn:ngsi-ld:Museum:DE-MUS-059918", Longitude = 10.0107, Latitude = 53.5516 },
            new() { EntityId = "urn:ngsi-ld:Museum:DE-MUS-097410", Longitude = 11.5834, Latitude = 48.1299 },
            new() { EntityId = "urn:ngsi-ld:Museum:name-galleria-degli-uffizi-pinacoteca-florence", Longitude = 11.2559, Latitude = 43.768439 },
        ],
    };
}
