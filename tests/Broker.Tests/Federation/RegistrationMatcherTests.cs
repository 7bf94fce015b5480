using System.Text.RegularExpressions;
using Broker.Federation;
using Broker.Query.Ast;
using Broker.Query.Parsing;
using Broker.Temporal;
using Xunit;

namespace Broker.Tests.Federation;

/// <summary>Which registrations answer which queries and writes (clause 5.12), as <see cref="RegistrationMatcher"/> decides.</summary>
public sealed class RegistrationMatcherTests
{
    private const string V = "https://example.org/vocab#";

    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private static string Expand(string term) => term.Contains(':', StringComparison.Ordinal) ? term : V + term;

    /// <summary>Vehicle A456 (speed, isParked); parkings matching .*downtown$ (availableSpotNumber).</summary>
    private static readonly ContextSourceRegistration Fleet = RegistrationReaderTests.Read("""
        {"type":"ContextSourceRegistration","information":[
            {"entities":[{"id":"urn:ngsi-ld:Vehicle:A456","type":"Vehicle"}],"propertyNames":["speed"],"relationshipNames":["isParked"]},
            {"entities":[{"idPattern":".*downtown$","type":"OffStreetParking"}],"propertyNames":["availableSpotNumber"]}],
         "endpoint":"http://cs.example.org","location":{"type":"Point","coordinates":[10.68,53.87]},"csourceProperty1":"aValue"}
        """, "urn:r:fleet");

    /// <summary>Every entity, only the attribute name and subCategory.</summary>
    private static readonly ContextSourceRegistration Names = RegistrationReaderTests.Read("""
        {"type":"ContextSourceRegistration","information":[{"propertyNames":["name","subCategory"]}],"endpoint":"http://cs.example.org"}
        """, "urn:r:names");

    /// <summary>Buildings, every attribute, history of 2021 only.</summary>
    private static readonly ContextSourceRegistration History = RegistrationReaderTests.Read("""
        {"type":"ContextSourceRegistration","information":[{"entities":[{"type":"Building"}]}],"endpoint":"http://cs.example.org",
         "observationInterval":{"startAt":"2021-01-01T00:00:00Z","endAt":"2021-12-31T00:00:00Z"}}
        """, "urn:r:history");

    private static readonly ContextSourceRegistration[] All = [Fleet, Names, History];

    private static IEnumerable<string> Ids(RegistrationQuery query) => RegistrationMatcher.MatchAll(All, query, Now).Select(m => m.Registration.Id);

    private static TypeSelector Type(string text) => TypeSelectorParser.Parse(text, Expand).Value!;

    [Fact]
    public void A_type_matches_the_registrations_of_that_type_and_those_without_entities()
    {
        Assert.Equal(["urn:r:fleet", "urn:r:names"], Ids(new RegistrationQuery { Types = Type("Vehicle") }));
        Assert.Equal(["urn:r:names"], Ids(new RegistrationQuery { Types = Type("Bus") }));
        Assert.Equal(["urn:r:fleet", "urn:r:names"], Ids(new RegistrationQuery { Types = Type("Bus|OffStreetParking") }));
    }

    [Fact]
    public void Attributes_match_the_names_registered_and_registrations_that_name_none()
    {
        Assert.Equal(["urn:r:fleet"], Ids(new RegistrationQuery { Types = Type("Vehicle"), Attributes = [V + "isParked"] }));
        Assert.Equal(["urn:r:names"], Ids(new RegistrationQuery { Types = Type("Vehicle"), Attributes = [V + "name"] }));
        Assert.Equal(["urn:r:names"], Ids(new RegistrationQuery { Attributes = [V + "subCategory"] }));
    }

    [Fact]
    public void Ids_and_id_patterns_match_entity_ids_patterns_and_registrations_of_any_id()
    {
        var match = RegistrationMatcher.Match(Fleet, new RegistrationQuery { EntityIds = ["urn:ngsi-ld:OffStreetParking:downtown"] }, Now)!;
        Assert.Equal([V + "availableSpotNumber"], Assert.Single(match.Information).PropertyNames);

        Assert.Null(RegistrationMatcher.Match(Fleet, new RegistrationQuery { EntityIds = ["urn:ngsi-ld:Vehicle:B1"] }, Now));
        Assert.NotNull(RegistrationMatcher.Match(Fleet, new RegistrationQuery { IdPattern = new Regex("A4.*") }, Now));
        Assert.NotNull(RegistrationMatcher.Match(Fleet, new RegistrationQuery { Types = Type("OffStreetParking"), IdPattern = new Regex(".*uptown$") }, Now));
        Assert.Null(RegistrationMatcher.Match(Fleet, new RegistrationQuery { Types = Type("Vehicle"), IdPattern = new Regex("B.*") }, Now));
    }

    [Fact]
    public void Context_source_filters_are_evaluated_on_the_registrations_own_properties()
    {
        var filter = QueryParser.Parse("csourceProperty1==\"aValue\"", Expand).Value!;
        var other = QueryParser.Parse("csourceProperty1==\"other\"", Expand).Value!;

        Assert.Equal(["urn:r:fleet"], Ids(new RegistrationQuery { ContextSourceFilters = [filter] }));
        Assert.Empty(Ids(new RegistrationQuery { ContextSourceFilters = [other] }));
    }

    [Fact]
    public void A_geo_query_excludes_registrations_whose_location_does_not_match_but_not_those_without_location()
    {
        var near = GeoQueryParser.Parse("near;maxDistance==2000", "Point", "[10.69,53.87]", null, Expand).Value!;
        var far = GeoQueryParser.Parse("near;maxDistance==2000", "Point", "[-8.5,41.2]", null, Expand).Value!;

        Assert.Equal(["urn:r:fleet", "urn:r:names"], Ids(new RegistrationQuery { Geo = near }));
        Assert.Equal(["urn:r:names"], Ids(new RegistrationQuery { Geo = far }));
    }

    [Fact]
    public void Without_a_temporal_query_only_registrations_of_latest_information_match_and_with_one_only_overlapping_intervals()
    {
        Assert.DoesNotContain("urn:r:history", Ids(new RegistrationQuery { Types = Type("Building") }));

        var before = new TimeFilter(TimeProperty.ObservedAt, TimeRelation.Before, new DateTimeOffset(2021, 8, 1, 22, 0, 0, TimeSpan.Zero));
        var after = new TimeFilter(TimeProperty.ObservedAt, TimeRelation.After, new DateTimeOffset(2022, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var managed = before with { Property = TimeProperty.ModifiedAt };
        Assert.Equal(["urn:r:history"], Ids(new RegistrationQuery { Types = Type("Building"), Time = before }));
        Assert.Empty(Ids(new RegistrationQuery { Types = Type("Building"), Time = after }));
        Assert.Empty(Ids(new RegistrationQuery { Types = Type("Building"), Time = managed }));
    }

    [Fact]
    public void Operations_modes_and_expiry_limit_the_matches()
    {
        var redirect = RegistrationReaderTests.Read("""
            {"type":"ContextSourceRegistration","mode":"redirect","operations":["redirectionOps"],"information":[{"entities":[{"type":"Vehicle"}]}],
             "endpoint":"http://cs.example.org","expiresAt":"2026-12-05T00:00:00Z"}
            """, "urn:r:redirect");

        Assert.Empty(RegistrationMatcher.MatchEntity([Fleet], "urn:ngsi-ld:Vehicle:A456", [V + "Vehicle"], [V + "speed"], RegistrationOperations.CreateEntity, Now));
        Assert.Single(RegistrationMatcher.MatchEntity([Fleet, redirect], "urn:ngsi-ld:Vehicle:A456", [V + "Vehicle"], [V + "speed"], RegistrationOperations.CreateEntity, Now));
        Assert.Single(RegistrationMatcher.MatchEntity([Fleet], "urn:ngsi-ld:Vehicle:A456", [V + "Vehicle"], null, RegistrationOperations.RetrieveEntity, Now));
        Assert.Empty(RegistrationMatcher.MatchAll([redirect], new RegistrationQuery { Types = Type("Vehicle") }, Now.AddDays(1)));
        Assert.Empty(RegistrationMatcher.MatchAll([Fleet, redirect], new RegistrationQuery { Types = Type("Vehicle"), Modes = new HashSet<RegistrationMode> { RegistrationMode.Exclusive } }, Now));
    }

    private static Broker.Subscriptions.Subscription Subscription(string members) =>
        Broker.Subscriptions.SubscriptionReader.Read(System.Text.Json.Nodes.JsonNode.Parse("{\"type\":\"Subscription\"," + members
            + ",\"notification\":{\"endpoint\":{\"uri\":\"http://r.example.org/n\"}}}")!.AsObject(),
            "t", "urn:s:1", _ => Expand, Now, checkExpiry: false, Now, Now, null);

    [Fact]
    public void A_subscription_to_registrations_selects_them_by_entities_watched_attributes_q_and_geoQ_whatever_their_intervals()
    {
        bool Matches(ContextSourceRegistration registration, string members) => RegistrationMatcher.MatchesSubscription(registration, Subscription(members), Now);

        Assert.True(Matches(Fleet, "\"entities\":[{\"type\":\"Bus\"},{\"type\":\"Vehicle\"}]"));
        Assert.False(Matches(Fleet, "\"entities\":[{\"type\":\"Bus\"}]"));
        Assert.True(Matches(Fleet, "\"entities\":[{\"id\":\"urn:ngsi-ld:Vehicle:A456\",\"type\":\"Vehicle\"}]"));
        Assert.False(Matches(Fleet, "\"entities\":[{\"id\":\"urn:ngsi-ld:Vehicle:B1\",\"type\":\"Vehicle\"}]"));
        Assert.True(Matches(Fleet, "\"watchedAttributes\":[\"isParked\"]"));
        Assert.False(Matches(Fleet, "\"watchedAttributes\":[\"name\"]"));
        Assert.True(Matches(Names, "\"watchedAttributes\":[\"name\"]"));
        Assert.True(Matches(Fleet, "\"entities\":[{\"type\":\"Vehicle\"}],\"q\":\"csourceProperty1==%22aValue%22\""));
        Assert.False(Matches(Fleet, "\"entities\":[{\"type\":\"Vehicle\"}],\"q\":\"csourceProperty1==%22other%22\""));
        Assert.False(Matches(Fleet, "\"entities\":[{\"type\":\"Vehicle\"}],\"geoQ\":{\"geometry\":\"Point\",\"coordinates\":[-8.5,41.2],\"georel\":\"near;maxDistance==2000\"}"));
        Assert.True(Matches(History, "\"entities\":[{\"type\":\"Building\"}]"));
    }

    [Fact]
    public void An_exclusive_registration_overlaps_one_that_covers_one_of_its_entity_attributes()
    {
        var exclusive = RegistrationReaderTests.Read("""
            {"type":"ContextSourceRegistration","mode":"exclusive","information":[{"entities":[{"id":"urn:ngsi-ld:Vehicle:A456","type":"Vehicle"}],"propertyNames":["fuel","speed"]}],
             "endpoint":"http://other.example.org"}
            """, "urn:r:exclusive");
        var elsewhere = RegistrationReaderTests.Read("""
            {"type":"ContextSourceRegistration","mode":"exclusive","information":[{"entities":[{"id":"urn:ngsi-ld:Vehicle:A456","type":"Vehicle"}],"propertyNames":["fuel"]}],
             "endpoint":"http://other.example.org"}
            """, "urn:r:elsewhere");

        Assert.Equal(new RegistrationOverlap("urn:ngsi-ld:Vehicle:A456", V + "speed"), RegistrationMatcher.Overlap(exclusive, Fleet, Now));
        Assert.Null(RegistrationMatcher.Overlap(elsewhere, Fleet, Now));
        Assert.Equal(new RegistrationOverlap("urn:ngsi-ld:Vehicle:A456", V + "fuel"), RegistrationMatcher.Overlap(elsewhere, exclusive, Now));
        Assert.Null(RegistrationMatcher.Overlap(elsewhere, History, Now));
    }
}
