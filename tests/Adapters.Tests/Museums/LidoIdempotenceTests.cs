using System.Text.Json.Nodes;
using Adapters.Museums;
using Xunit;

namespace Adapters.Tests.Museums;

public sealed class LidoIdempotenceTests
{
    public static TheoryData<string> Samples => LidoSamples.All;

    [Theory]
    [MemberData(nameof(Samples))]
    public void Translating_a_sample_again_gives_the_same_entities(string sample)
    {
        Assert.True(JsonNode.DeepEquals(LidoSamples.Translate(sample), LidoSamples.Translate(sample)));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_entity_is_normalized_with_a_URN_of_its_type_and_refers_to_a_museum_of_the_same_record(string sample)
    {
        using var stream = File.OpenRead(ReferenceData.SourceFormat(sample));
        foreach (var record in LidoReader.Read(stream))
        {
            var entities = LidoTranslator.Translate(record.Element, record.WrapLanguage);
            foreach (var entity in entities.All)
            {
                Assert.StartsWith($"urn:ngsi-ld:{entity.Type}:", entity.Id, StringComparison.Ordinal);
                Assert.True(Uri.IsWellFormedUriString(entity.Id, UriKind.Absolute), entity.Id);
                Assert.DoesNotContain('/', entity.Id);
                foreach (var (name, attribute) in entity.Body)
                {
                    if (name is "id" or "type")
                        continue;
                    var kind = (string?)attribute!["type"];
                    var member = kind switch
                    {
                        "Property" or "GeoProperty" => "value",
                        "Relationship" => "object",
                        "LanguageProperty" => "languageMap",
                        _ => throw new Xunit.Sdk.XunitException($"{entity.Id} {name}: attribute type {kind}"),
                    };
                    Assert.NotNull(attribute[member]);
                }
            }
            var refMuseum = (string?)entities.CollectionObject.Body["refMuseum"]?["object"];
            Assert.Equal(entities.Museum?.Id, refMuseum);
        }
    }

    [Fact]
    public void The_ids_of_a_museum_agree_however_its_ISIL_is_written()
    {
        var ids = new[] { "DE-Mb112", "info:isil/DE-Mb112", "https://ld.zdb-services.de/resource/organisations/DE-Mb112", "http://ld.zdb-services.de/resource/organisations/DE-Mb112/" }
            .Select(MuseumIds.MuseumFromLegalBodyId).Distinct();
        Assert.Equal(["urn:ngsi-ld:Museum:DE-Mb112"], ids);
    }

    [Theory]
    [InlineData("Heimatmuseum Müllrose im Haus des Gastes", "urn:ngsi-ld:Museum:name-heimatmuseum-muellrose-im-haus-des-gastes")]
    [InlineData("Galleria degli Uffizi — Pinacoteca (Florence)", "urn:ngsi-ld:Museum:name-galleria-degli-uffizi-pinacoteca-florence")]
    [InlineData("Musée d'Orsay", "urn:ngsi-ld:Museum:name-musee-d-orsay")]
    public void A_museum_without_an_id_is_named_by_a_slug_of_its_name(string name, string id)
    {
        Assert.Equal(id, MuseumIds.MuseumFromName(name));
    }

    [Theory]
    [InlineData("DE-Mb112/lido-obj00154983", "urn:ngsi-ld:CollectionObject:DE-Mb112%2Flido-obj00154983")]
    [InlineData("a b#c?d%e", "urn:ngsi-ld:CollectionObject:a%20b%23c%3Fd%25e")]
    [InlineData("Kö/1", "urn:ngsi-ld:CollectionObject:K%C3%B6%2F1")]
    public void Collection_object_ids_encode_what_is_not_safe_in_a_URI_path_segment(string lidoRecId, string id)
    {
        Assert.Equal(id, MuseumIds.CollectionObject(lidoRecId));
    }
}
