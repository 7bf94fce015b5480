using System.Text.Json.Nodes;
using Broker.Federation;
using Broker.Problems;
using Broker.Storage;
using Xunit;

namespace Broker.Tests.Federation;

/// <summary>Reading and checking registrations (CSourceRegistration, clause 5.2.9, 5.9.2), and the stored document that keeps their meaning.</summary>
public sealed class RegistrationReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private const string Vocabulary = "https://example.org/vocab#";

    private static string Expand(string term) => term.Contains(':', StringComparison.Ordinal) ? term : Vocabulary + term;

    private const string Valid = """
        {"type":"ContextSourceRegistration","information":[{"entities":[{"id":"urn:ngsi-ld:Vehicle:A456","type":"Vehicle"}],"propertyNames":["speed"],"relationshipNames":["isParked"]}],
         "endpoint":"http://cs.example.org:1026"}
        """;

    public static ContextSourceRegistration Read(string json, string id = "urn:ngsi-ld:ContextSourceRegistration:r1") =>
        RegistrationReader.Read(JsonNode.Parse(json)!.AsObject(), "t", id, Expand, Now, checkExpiry: true, Now, Now);

    private static string With(string members) => Valid.TrimEnd()[..^1] + "," + members + "}";

    public static TheoryData<string, string> Invalid => new()
    {
        { """{"information":[{"entities":[{"type":"V"}]}],"endpoint":"http://cs.example.org"}""", "type" },
        { """{"type":"building","information":[{"entities":[{"type":"V"}]}],"endpoint":"http://cs.example.org"}""", "type" },
        { """{"type":"ContextSourceRegistration","endpoint":"http://cs.example.org"}""", "information" },
        { """{"type":"ContextSourceRegistration","information":null,"endpoint":"http://cs.example.org"}""", "information" },
        { """{"type":"ContextSourceRegistration","information":[],"endpoint":"http://cs.example.org"}""", "information" },
        { """{"type":"ContextSourceRegistration","information":[{}],"endpoint":"http://cs.example.org"}""", "information" },
        { """{"type":"ContextSourceRegistration","information":[{"entities":[{"id":"urn:x:1"}]}],"endpoint":"http://cs.example.org"}""", "information.entities.type" },
        { """{"type":"ContextSourceRegistration","information":[{"entities":[{"id":"nope","type":"V"}]}],"endpoint":"http://cs.example.org"}""", "information.entities.id" },
        { """{"type":"ContextSourceRegistration","information":[{"entities":[{"idPattern":"(","type":"V"}]}],"endpoint":"http://cs.example.org"}""", "information.entities.idPattern" },
        { """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}],"propertyNames":[]}],"endpoint":"http://cs.example.org"}""", "information.propertyNames" },
        { """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}],"colour":"red"}],"endpoint":"http://cs.example.org"}""", "information" },
        { """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}]}""", "endpoint" },
        { """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"cs.example.org"}""", "endpoint" },
        { """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":"ftp://cs.example.org"}""", "endpoint" },
        { With("\"expiresAt\":\"2020-01-01T00:00:00Z\""), "expiresAt" },
        { With("\"expiresAt\":\"soon\""), "expiresAt" },
        { With("\"mode\":\"sometimes\""), "mode" },
        { With("\"operations\":[\"queryEverything\"]"), "operations" },
        { With("\"operations\":[]"), "operations" },
        { With("\"location\":{\"type\":\"Point\",\"coordinates\":[190,53]}"), "location" },
        { With("\"observationSpace\":\"here\""), "observationSpace" },
        { With("\"observationInterval\":{\"endAt\":\"2026-01-01T00:00:00Z\"}"), "observationInterval.startAt" },
        { With("\"managementInterval\":{\"startAt\":\"2026-02-01T00:00:00Z\",\"endAt\":\"2026-01-01T00:00:00Z\"}"), "managementInterval.endAt" },
        { With("\"contextSourceInfo\":[{\"key\":\"a\"}]"), "contextSourceInfo" },
        { With("\"scope\":\"no scope\""), "scope" },
        { With("\"refreshRate\":\"often\""), "refreshRate" },
        { With("\"management\":{\"timeout\":0}"), "management.timeout" },
        { With("\"management\":{\"retries\":3}"), "management" },
        { With("\"datasetId\":[\"nope\"]"), "datasetId" },
        { With("\"registrationName\":\"\""), "registrationName" },
        { With("\"id\":\"urn:ngsi-ld:ContextSourceRegistration:other\""), "id" },
        { """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":5}]}],"endpoint":"http://cs.example.org"}""", "information.entities.type" },
        { """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":[]}]}],"endpoint":"http://cs.example.org"}""", "information.entities.type" },
        { """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V","id":"urn:x:1","idPattern":".*"}]}],"endpoint":"http://cs.example.org"}""", "information.entities" },
        { """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}],"propertyNames":[5]}],"endpoint":"http://cs.example.org"}""", "information.propertyNames" },
        { """{"type":"ContextSourceRegistration","information":[{"entities":[{"type":"V"}]}],"endpoint":5}""", "endpoint" },
        { """{"type":"ContextSourceRegistration","information":"all","endpoint":"http://cs.example.org"}""", "information" },
        { With("\"contextSourceInfo\":[{\"key\":1,\"value\":\"x\"}]"), "contextSourceInfo" },
        { With("\"contextSourceInfo\":{\"key\":\"a\",\"value\":\"x\"}"), "contextSourceInfo" },
        { With("\"management\":\"none\""), "management" },
        { With("\"management\":{\"localOnly\":\"yes\"}"), "management.localOnly" },
        { With("\"operations\":\"federationOps\""), "operations" },
        { With("\"scope\":5"), "scope" },
        { With("\"observationInterval\":{\"startAt\":5}"), "observationInterval.startAt" },
        { With("\"observationInterval\":{\"startAt\":\"2026-01-01T00:00:00Z\",\"length\":\"P1D\"}"), "observationInterval" },
        { With("\"tenant\":[\"a\"]"), "tenant" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void An_invalid_registration_is_BadRequestData_naming_the_member(string json, string member)
    {
        var e = Assert.Throws<NgsiLdException>(() => Read(json));

        Assert.Equal(ErrorType.BadRequestData, e.Type);
        Assert.Contains("registration's " + member + " ", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_in_information_and_Context_Source_properties_are_expanded_and_defaults_apply()
    {
        var registration = Read(With("\"csourceProperty1\":\"aValue\""));

        var info = Assert.Single(registration.Information);
        Assert.Equal([Vocabulary + "Vehicle"], info.Entities![0].Types);
        Assert.Equal([Vocabulary + "speed"], info.PropertyNames);
        Assert.Equal([Vocabulary + "isParked"], info.RelationshipNames);
        Assert.Equal("aValue", (string?)registration.Properties[Vocabulary + "csourceProperty1"]);
        Assert.Equal(RegistrationMode.Inclusive, registration.Mode);
        Assert.Null(registration.GivenMode);
        Assert.Equal([RegistrationOperations.FederationOps], registration.Operations);
        Assert.Contains(RegistrationOperations.QueryEntity, registration.SupportedOperations);
        Assert.DoesNotContain(RegistrationOperations.CreateEntity, registration.SupportedOperations);
    }

    [Fact]
    public void Operation_groups_stand_for_their_members()
    {
        var registration = Read(With("\"operations\":[\"redirectionOps\",\"mergeBatch\"]"));

        Assert.Contains(RegistrationOperations.CreateEntity, registration.SupportedOperations);
        Assert.Contains(RegistrationOperations.QueryTemporal, registration.SupportedOperations);
        Assert.Contains(RegistrationOperations.MergeBatch, registration.SupportedOperations);
        Assert.DoesNotContain(RegistrationOperations.CreateSubscription, registration.SupportedOperations);
    }

    [Theory]
    [InlineData("""{"type":"ContextSourceRegistration","mode":"exclusive","information":[{"entities":[{"id":"urn:x:1","type":"V"}]}],"endpoint":"http://cs.example.org"}""")]
    [InlineData("""{"type":"ContextSourceRegistration","mode":"exclusive","information":[{"propertyNames":["speed"]}],"endpoint":"http://cs.example.org"}""")]
    public void An_exclusive_registration_must_name_entities_and_attributes(string json)
    {
        var e = Assert.Throws<NgsiLdException>(() => Read(json));

        Assert.Equal(ErrorType.BadRequestData, e.Type);
        Assert.Contains("exclusive", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_exclusive_registration_may_name_its_entities_by_idPattern()
    {
        var registration = Read("""{"type":"ContextSourceRegistration","mode":"exclusive","information":[{"entities":[{"idPattern":".*","type":"V"}],"propertyNames":["speed"]}],"endpoint":"http://cs.example.org"}""");

        Assert.Equal(RegistrationMode.Exclusive, registration.Mode);
        Assert.Equal(".*", Assert.Single(Assert.Single(registration.Information).Entities!).IdPatternText);
    }

    [Fact]
    public void An_expired_registration_can_be_read_from_the_store()
    {
        var expired = RegistrationReader.Read(JsonNode.Parse(With("\"expiresAt\":\"2020-01-01T00:00:00Z\""))!.AsObject(), "t", "urn:r:1", Expand, Now, checkExpiry: false, Now, Now);

        Assert.False(expired.ActiveAt(Now));
    }

    [Fact]
    public void A_stored_document_reads_back_to_the_same_meaning_without_the_context()
    {
        var registration = Read(With("""
            "registrationName":"Fleet","description":"the buses","mode":"exclusive","operations":["retrieveOps","updateOps"],
            "location":{"type":"Point","coordinates":[10.68,53.87]},"observationInterval":{"startAt":"2026-01-01T00:00:00Z"},
            "managementInterval":{"startAt":"2026-01-01T00:00:00Z","endAt":"2026-06-01T00:00:00Z"},
            "expiresAt":"2030-01-01T00:00:00Z","contextSourceInfo":[{"key":"Authorization","value":"Bearer x"}],"scope":["/Luebeck/Altstadt"],
            "tenant":"fleet","refreshRate":"PT10S","management":{"localOnly":true,"timeout":500},"datasetId":["@none"],"csourceProperty1":{"nested":[1,2]}
            """));

        var stored = new StoredRegistration("t", registration.Id, RegistrationDocument.Write(registration));
        var read = RegistrationDocument.Read(stored);

        Assert.Equal(RegistrationDocument.Write(registration), RegistrationDocument.Write(read));
        Assert.Equal(RegistrationMode.Exclusive, read.Mode);
        Assert.Equal([Vocabulary + "speed"], read.Information[0].PropertyNames);
        Assert.Equal(new TimeInterval(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), null), read.ObservationInterval);
        Assert.Equal("fleet", read.SourceTenant);
        Assert.Equal(Now, read.CreatedAt);
        Assert.True(read.Location!.Geometry.EqualsExact(registration.Location!.Geometry));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"nested":[1,2]}"""), read.Properties[Vocabulary + "csourceProperty1"]));
    }

    [Fact]
    public void A_new_registration_without_id_gets_a_urn()
    {
        var id = RegistrationReader.IdOf(JsonNode.Parse(Valid)!.AsObject());

        Assert.StartsWith("urn:ngsi-ld:ContextSourceRegistration:", id, StringComparison.Ordinal);
        Assert.Throws<NgsiLdException>(() => RegistrationReader.IdOf(JsonNode.Parse("""{"id":"no uri"}""")!.AsObject()));
    }
}
