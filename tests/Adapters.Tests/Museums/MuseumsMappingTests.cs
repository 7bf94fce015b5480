using System.Xml.Linq;
using Adapters.Museums;
using Xunit;

namespace Adapters.Tests.Museums;

public sealed class MuseumsMappingTests
{
    private const string Ns = "http://www.lido-schema.org";

    [Fact]
    public void The_test_deployment_mapping_is_valid()
    {
        Assert.Empty(MuseumsTestMapping.Create().Validate("museums"));
    }

    [Fact]
    public void Every_problem_is_listed_with_its_path()
    {
        var mapping = new MuseumsMapping
        {
            Positions =
            [
                new() { EntityId = "urn:ngsi-ld:Museum:", Longitude = 181, Latitude = 53.5 },
                new() { EntityId = "urn:ngsi-ld:Museum:DE-MUS-059918", Latitude = -91 },
                new() { EntityId = "urn:ngsi-ld:Museum:DE-MUS-059918", Longitude = 10, Latitude = 53 },
                new() { Longitude = 10, Latitude = 53 },
            ],
        };

        Assert.Equal(
            [
                "museums.positions[0].entityId: 'urn:ngsi-ld:Museum:' does not start with urn:ngsi-ld:Museum: followed by a local id",
                "museums.positions[0].longitude: 181 is outside -180..180",
                "museums.positions[1].longitude: missing",
                "museums.positions[1].latitude: -91 is outside -90..90",
                "museums.positions[2].entityId: 'urn:ngsi-ld:Museum:DE-MUS-059918' is mapped twice",
                "museums.positions[3].entityId: missing",
            ],
            mapping.Validate("museums"));
    }

    [Fact]
    public void A_museum_whose_record_has_no_position_gets_the_mapped_one_and_a_position_in_the_record_wins()
    {
        var mapping = new MuseumsMapping { Positions = [new() { EntityId = "urn:ngsi-ld:Museum:DE-MUS-059918", Longitude = 10.0107, Latitude = 53.5516 }] };

        var unplaced = LidoTranslator.Translate(Record(""), mapping: mapping).Museum!.Body;
        var placed = LidoTranslator.Translate(Record("<lido:repositoryLocation><lido:gml><gml:Point><gml:pos>53.55 10.01</gml:pos></gml:Point></lido:gml></lido:repositoryLocation>"), mapping: mapping).Museum!.Body;

        Assert.Equal("[10.0107,53.5516]", unplaced["location"]!["value"]!["coordinates"]!.ToJsonString());
        Assert.Equal("[10.01,53.55]", placed["location"]!["value"]!["coordinates"]!.ToJsonString());
        Assert.Null(LidoTranslator.Translate(Record("")).Museum!.Body["location"]);
    }

    private static XElement Record(string repositoryLocation) => XElement.Parse($"""
        <lido:lido xmlns:lido="{Ns}" xmlns:gml="http://www.opengis.net/gml">
          <lido:lidoRecID>DE-MUS-059918/1</lido:lidoRecID>
          <lido:descriptiveMetadata xml:lang="de"><lido:objectIdentificationWrap>
            <lido:titleWrap><lido:titleSet><lido:appellationValue>Krug</lido:appellationValue></lido:titleSet></lido:titleWrap>
            <lido:repositoryWrap><lido:repositorySet>
              <lido:repositoryName><lido:legalBodyID>DE-MUS-059918</lido:legalBodyID>
                <lido:legalBodyName><lido:appellationValue>Museum für Kunst und Gewerbe Hamburg</lido:appellationValue></lido:legalBodyName></lido:repositoryName>
              {repositoryLocation}
            </lido:repositorySet></lido:repositoryWrap>
          </lido:objectIdentificationWrap></lido:descriptiveMetadata>
        </lido:lido>
        """);
}
