using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Registrations;

/// <summary>
/// Context source registration (clause 5.9.2–5.9.4) and discovery (clause 5.10.1–5.10.2) over HTTP: the payloads, their
/// @context, the errors, the query parameters, tenants and the exclusive-registration conflicts.
/// </summary>
public sealed class RegistrationApiTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    private const string Registrations = "/ngsi-ld/v1/csourceRegistrations";
    private const string Parking = StubContextLoader.ParkingType;
    private const string Spots = StubContextLoader.SpotsIri;

    private static string LinkTo(string url) => $"<{url}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"";

    private static string RegistrationPath(string id) => $"{Registrations}/{Uri.EscapeDataString(id)}";

    private static string NewRegistrationId() => NewId("ContextSourceRegistration");

    /// <summary>A registration of parkings (with the parking @context: Parking, spots) and of one vehicle.</summary>
    private static string ParkingRegistration(string id, string members = "") => $$"""
        {"id":"{{id}}","type":"ContextSourceRegistration",
         "information":[{"entities":[{"idPattern":".*downtown$","type":"Parking"}],"propertyNames":["spots"]},
                        {"entities":[{"id":"urn:ngsi-ld:Vehicle:A456","type":"Vehicle"}],"relationshipNames":["isParked"]}],
         "endpoint":"http://parking.example.org:1026"{{members}}}
        """;

    private async Task<HttpResponseMessage> PostAsync(string body, string? link = StubContextLoader.ParkingContextUrl, HttpClient? client = null)
    {
        var request = Request(HttpMethod.Post, Registrations, body);
        if (link is not null)
            request.Headers.Add("Link", LinkTo(link));
        return await (client ?? Client).SendAsync(request);
    }

    private async Task<string> RegisterAsync(string body, string? link = StubContextLoader.ParkingContextUrl)
    {
        var response = await PostAsync(body, link);
        await AssertStatus(HttpStatusCode.Created, response);
        return Uri.UnescapeDataString(response.Headers.Location!.OriginalString[(Registrations.Length + 1)..]);
    }

    private async Task<HttpResponseMessage> GetAsync(string uri, string? link = StubContextLoader.ParkingContextUrl, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (link is not null)
            request.Headers.Add("Link", LinkTo(link));
        if (accept is not null)
            request.Headers.Add("Accept", accept);
        return await Client.SendAsync(request);
    }

    private async Task<JsonArray> QueryAsync(string parameters, string? link = StubContextLoader.ParkingContextUrl)
    {
        var response = await GetAsync($"{Registrations}?{parameters}", link);
        await AssertStatus(HttpStatusCode.OK, response);
        return Assert.IsType<JsonArray>(await ReadJsonAsync(response));
    }

    private static List<string> IdsOf(JsonArray registrations) => [.. registrations.Select(r => (string)r!["id"]!)];

    [Fact]
    public async Task A_registration_is_created_with_its_location_and_retrieved_compacted_with_the_requests_context()
    {
        var id = NewRegistrationId();
        const string times = ""","expiresAt":"2099-01-01T00:00:00Z","observationInterval":{"startAt":"2020-08-01T22:07:00Z","endAt":"2021-08-01T21:07:00.5Z"}""";

        var response = await PostAsync(ParkingRegistration(id, times));

        await AssertStatus(HttpStatusCode.Created, response);
        Assert.Equal(RegistrationPath(id).Replace("%3A", ":", StringComparison.Ordinal), response.Headers.Location!.OriginalString);
        var compacted = await GetAsync(RegistrationPath(id));
        await AssertStatus(HttpStatusCode.OK, compacted);
        var expected = JsonNode.Parse(ParkingRegistration(id, times.Replace(".5Z", ".500Z", StringComparison.Ordinal) + ""","mode":"inclusive","operations":["federationOps"]"""))!;
        AssertJsonEqual(expected, await ReadJsonAsync(compacted));
        Assert.Contains(StubContextLoader.ParkingContextUrl, string.Join(' ', compacted.Headers.GetValues("Link")), StringComparison.Ordinal);

        var expanded = await ReadJsonAsync(await GetAsync(RegistrationPath(id), link: null));
        Assert.Equal(Parking, (string?)expanded["information"]![0]!["entities"]![0]!["type"]);
        Assert.Equal(Spots, (string?)expanded["information"]![0]!["propertyNames"]![0]);
        Assert.Equal("Vehicle", (string?)expanded["information"]![1]!["entities"]![0]!["type"]);
    }

    [Fact]
    public async Task JSON_LD_bodies_carry_their_context_and_sysAttrs_shows_the_system_times()
    {
        var id = NewRegistrationId();
        var body = JsonNode.Parse(ParkingRegistration(id))!.AsObject();
        body["@context"] = new JsonArray(StubContextLoader.ParkingContextUrl);
        await AssertStatus(HttpStatusCode.Created, await Client.SendAsync(Request(HttpMethod.Post, Registrations, body.ToJsonString(), "application/ld+json")));

        var response = await GetAsync(RegistrationPath(id) + "?options=sysAttrs", accept: "application/ld+json");

        var registration = await ReadJsonAsync(response);
        Assert.Equal("application/ld+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(StubContextLoader.ParkingContextUrl, (string?)registration["@context"]);
        Assert.Equal("Parking", (string?)registration["information"]![0]!["entities"]![0]!["type"]);
        Assert.NotNull((string?)registration["createdAt"]);
        Assert.NotNull((string?)registration["modifiedAt"]);
    }

    [Fact]
    public async Task A_registration_without_id_gets_one_and_a_second_with_the_same_id_is_AlreadyExists()
    {
        var response = await PostAsync("""{"type":"ContextSourceRegistration","information":[{"propertyNames":["spots"]}],"endpoint":"http://p.example.org"}""");
        await AssertStatus(HttpStatusCode.Created, response);
        Assert.StartsWith(Registrations + "/urn:ngsi-ld:ContextSourceRegistration:", response.Headers.Location!.OriginalString, StringComparison.Ordinal);

        var id = await RegisterAsync(ParkingRegistration(NewRegistrationId()));
        await AssertProblem(await PostAsync(ParkingRegistration(id)), HttpStatusCode.Conflict, "AlreadyExists");
    }

    public static TheoryData<string> InvalidBodies => new()
    {
        """{"type":"ContextSourceRegistration","information":[{"propertyNames":["spots"]}]}""",
        """{"type":"Registration","information":[{"propertyNames":["spots"]}],"endpoint":"http://p.example.org"}""",
        """{"type":"ContextSourceRegistration","information":null,"endpoint":"http://p.example.org"}""",
        """{"type":"ContextSourceRegistration","information":[{"entities":[{"id":"urn:x:1"}]}],"endpoint":"http://p.example.org"}""",
        """{"type":"ContextSourceRegistration","information":[{"propertyNames":["spots"]}],"endpoint":"http://p.example.org","expiresAt":"2001-01-01T00:00:00Z"}""",
        """{"type":"ContextSourceRegistration","information":[{"propertyNames":["spots"]}],"endpoint":"http://p.example.org","location":{"type":"Point"}}""",
        """{"type":"ContextSourceRegistration","information":[{"propertyNames":["spots"]}],"endpoint":"http://p.example.org","mode":"exclusive"}""",
        """[{"type":"ContextSourceRegistration"}]""",
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task An_invalid_registration_is_400_BadRequestData(string body)
    {
        await AssertProblem(await PostAsync(body), HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task Ids_in_the_path_must_be_URIs_unknown_ones_are_404_and_a_missing_one_405()
    {
        await AssertProblem(await GetAsync(Registrations + "/not-a-uri"), HttpStatusCode.BadRequest, "BadRequestData");
        await AssertProblem(await Client.DeleteAsync(new Uri(Registrations + "/not-a-uri", UriKind.Relative)), HttpStatusCode.BadRequest, "BadRequestData");
        await AssertProblem(await GetAsync(RegistrationPath(NewRegistrationId())), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await SendAsync(HttpMethod.Patch, RegistrationPath(NewRegistrationId()), """{"endpoint":"http://q.example.org"}"""), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertProblem(await Client.DeleteAsync(new Uri(RegistrationPath(NewRegistrationId()), UriKind.Relative)), HttpStatusCode.NotFound, "ResourceNotFound");
        await AssertStatus(HttpStatusCode.MethodNotAllowed, await SendAsync(HttpMethod.Patch, Registrations + "/", """{"endpoint":"http://q.example.org"}"""));
    }

    [Fact]
    public async Task An_update_replaces_the_members_it_gives_removes_those_given_as_null_and_keeps_the_rest()
    {
        var id = await RegisterAsync(ParkingRegistration(NewRegistrationId(), ""","expiresAt":"2099-01-01T00:00:00Z","registrationName":"Parking" """));
        var patch = Request(HttpMethod.Patch, RegistrationPath(id), """{"endpoint":"http://new.example.org","expiresAt":null,"information":[{"entities":[{"type":"Parking"}]}]}""");
        patch.Headers.Add("Link", LinkTo(StubContextLoader.ParkingContextUrl));

        await AssertStatus(HttpStatusCode.NoContent, await Client.SendAsync(patch));

        var updated = await ReadJsonAsync(await GetAsync(RegistrationPath(id), link: null));
        Assert.Equal("http://new.example.org", (string?)updated["endpoint"]);
        Assert.Null(updated["expiresAt"]);
        Assert.Equal("Parking", (string?)updated["registrationName"]);
        Assert.Equal(Parking, (string?)Assert.Single(updated["information"]!.AsArray())!["entities"]![0]!["type"]);
    }

    [Theory]
    [InlineData("""{"information":null}""")]
    [InlineData("""{"type":"Building"}""")]
    [InlineData("""{"endpoint":"not a uri"}""")]
    [InlineData("""{"expiresAt":"2001-01-01T00:00:00Z"}""")]
    public async Task An_update_that_leaves_an_invalid_registration_is_400_and_changes_nothing(string fragment)
    {
        var id = await RegisterAsync(ParkingRegistration(NewRegistrationId()));

        await AssertProblem(await SendAsync(HttpMethod.Patch, RegistrationPath(id), fragment), HttpStatusCode.BadRequest, "BadRequestData");

        var unchanged = await ReadJsonAsync(await GetAsync(RegistrationPath(id)));
        Assert.Equal("http://parking.example.org:1026", (string?)unchanged["endpoint"]);
        Assert.Equal(2, unchanged["information"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_deleted_registration_is_gone()
    {
        var id = await RegisterAsync(ParkingRegistration(NewRegistrationId()));

        await AssertStatus(HttpStatusCode.NoContent, await Client.DeleteAsync(new Uri(RegistrationPath(id), UriKind.Relative)));

        await AssertProblem(await GetAsync(RegistrationPath(id)), HttpStatusCode.NotFound, "ResourceNotFound");
    }

    [Fact]
    public async Task Discovery_matches_types_attributes_and_entity_ids_against_the_information()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var parking = await RegisterAsync(ParkingRegistration(NewRegistrationId(), $$""","marker":"{{marker}}" """));
        var names = await RegisterAsync($$"""{"type":"ContextSourceRegistration","information":[{"propertyNames":["name"]}],"endpoint":"http://names.example.org","marker":"{{marker}}"}""");

        Assert.Equal(Sorted(parking, names), Sorted(IdsOf(await QueryAsync("type=Parking" + Q(marker)))));
        Assert.Equal([parking], IdsOf(await QueryAsync("type=Parking&attrs=spots" + Q(marker))));
        Assert.Equal([names], IdsOf(await QueryAsync("attrs=name" + Q(marker))));
        Assert.Equal(Sorted(parking, names), Sorted(IdsOf(await QueryAsync("type=Parking&idPattern=.*downtown%24" + Q(marker)))));
        Assert.Equal(Sorted(parking, names), Sorted(IdsOf(await QueryAsync("id=urn:ngsi-ld:Vehicle:A456&type=Vehicle" + Q(marker), link: null))));
        Assert.Equal([names], IdsOf(await QueryAsync("id=urn:ngsi-ld:Vehicle:B1&type=Vehicle" + Q(marker), link: null)));
    }

    /// <summary>Context Source properties of the registrations of this test only (each test has its own marker).</summary>
    private static string Q(string marker) => "&csf=" + Uri.EscapeDataString($"marker==\"{marker}\"");

    private static List<string> Sorted(params IEnumerable<string> ids) => [.. ids.Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Discovery_filters_on_Context_Source_properties_geo_queries_and_time_intervals()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var here = await RegisterAsync($$"""
            {"type":"ContextSourceRegistration","information":[{"entities":[{"type":"Building"}]}],"endpoint":"http://a.example.org",
             "marker":"{{marker}}","floors":4,"location":{"type":"Point","coordinates":[10.6797,53.8660]}
            }
            """);
        var history = await RegisterAsync($$"""
            {"type":"ContextSourceRegistration","information":[{"entities":[{"type":"Building"}]}],"endpoint":"http://b.example.org",
             "marker":"{{marker}}","observationInterval":{"startAt":"2021-01-01T00:00:00Z","endAt":"2021-12-31T00:00:00Z"}
            }
            """);

        Assert.Equal([here], IdsOf(await QueryAsync("type=Building" + Q(marker))));
        Assert.Equal([here], IdsOf(await QueryAsync("type=Building&q=floors%3E3" + Q(marker))));
        Assert.Empty(await QueryAsync("type=Building&q=floors%3E4" + Q(marker)));
        Assert.Equal([here], IdsOf(await QueryAsync("type=Building&georel=near%3BmaxDistance%3D%3D2000&geometry=Point&coordinates=%5B10.68%2C53.866%5D" + Q(marker))));
        Assert.Empty(await QueryAsync("type=Building&georel=near%3BmaxDistance%3D%3D2000&geometry=Point&coordinates=%5B-8.5%2C41.2%5D" + Q(marker)));
        Assert.Equal([history], IdsOf(await QueryAsync("type=Building&timerel=before&timeAt=2021-08-01T22:00:00Z" + Q(marker))));
        Assert.Empty(await QueryAsync("type=Building&timerel=after&timeAt=2022-01-01T00:00:00Z" + Q(marker)));
    }

    [Fact]
    public async Task Discovery_pages_with_limit_and_offset_and_counts_with_count()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
            ids.Add(await RegisterAsync(ParkingRegistration(NewRegistrationId(), $$""","marker":"{{marker}}" """)));
        ids.Sort(StringComparer.Ordinal);

        var response = await GetAsync($"{Registrations}?type=Parking&limit=2&count=true{Q(marker)}");

        await AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal("3", response.Headers.GetValues("NGSILD-Results-Count").Single());
        Assert.Equal(ids[..2], IdsOf(Assert.IsType<JsonArray>(await ReadJsonAsync(response))));
        Assert.Contains(response.Headers.GetValues("Link"), link => link.Contains("offset=2", StringComparison.Ordinal) && link.Contains("rel=\"next\"", StringComparison.Ordinal));
        Assert.Equal(ids[2..], IdsOf(await QueryAsync($"type=Parking&limit=2&offset=2{Q(marker)}")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("?limit=5")]
    [InlineData("?id=not-a-uri")]
    [InlineData("?q=(invalid")]
    [InlineData("?type=Parking&georel=within")]
    [InlineData("?type=Parking&timerel=before")]
    [InlineData("?type=Parking&limit=0")]
    public async Task A_query_without_a_filter_or_with_an_invalid_one_is_400_BadRequestData(string parameters)
    {
        await AssertProblem(await GetAsync(Registrations + parameters), HttpStatusCode.BadRequest, "BadRequestData");
    }

    [Fact]
    public async Task An_unknown_query_parameter_is_400_InvalidRequest()
    {
        await AssertProblem(await GetAsync(Registrations + "?type=Parking&colour=red"), HttpStatusCode.BadRequest, "InvalidRequest");
    }

    [Fact]
    public async Task Registrations_belong_to_the_tenant_they_were_created_in()
    {
        var id = await RegisterAsync(ParkingRegistration(NewRegistrationId()));
        using var other = Factory.CreateClient();
        other.DefaultRequestHeaders.Add("NGSILD-Tenant", Tenant + "-other");

        var response = await other.GetAsync(new Uri(RegistrationPath(id), UriKind.Relative));

        await AssertStatus(HttpStatusCode.NotFound, response);
        await AssertStatus(HttpStatusCode.Created, await PostAsync(ParkingRegistration(id), client: other));
    }

    [Fact]
    public async Task An_exclusive_registration_may_not_overlap_another_exclusive_one_nor_an_entity_held_here()
    {
        var vehicle = NewId("Vehicle");
        string Exclusive(string attribute, string entity) => $$"""
            {"type":"ContextSourceRegistration","mode":"exclusive","information":[{"entities":[{"id":"{{entity}}","type":"Vehicle"}],"propertyNames":["{{attribute}}"]}],
             "endpoint":"http://fleet.example.org"}
            """;
        await RegisterAsync(Exclusive("speed", vehicle), link: null);

        var problem = await AssertProblem(await PostAsync(Exclusive("speed", vehicle), link: null), HttpStatusCode.Conflict, "AlreadyExists");
        Assert.Contains(vehicle, (string?)problem["detail"], StringComparison.Ordinal);
        await AssertStatus(HttpStatusCode.Created, await PostAsync(Exclusive("fuel", vehicle), link: null));

        var held = NewId("Vehicle");
        await CreateAsync(new JsonObject { ["id"] = held, ["type"] = "Vehicle", ["speed"] = new JsonObject { ["type"] = "Property", ["value"] = 30 } });
        await AssertProblem(await PostAsync(Exclusive("speed", held), link: null), HttpStatusCode.Conflict, "AlreadyExists");
        await AssertStatus(HttpStatusCode.Created, await PostAsync(Exclusive("fuel", held), link: null));
    }

    [Fact]
    public async Task An_exclusive_registration_by_idPattern_is_accepted_and_conflicts_with_an_exclusive_one_for_an_id_it_covers()
    {
        var vehicle = NewId("Vehicle");
        var pattern = System.Text.RegularExpressions.Regex.Escape(vehicle) + ".*";
        await RegisterAsync($$"""
            {"type":"ContextSourceRegistration","mode":"exclusive","information":[{"entities":[{"idPattern":{{JsonValue.Create(pattern).ToJsonString()}},"type":"Vehicle"}],"propertyNames":["speed"]}],
             "endpoint":"http://fleet.example.org"}
            """, link: null);

        var byId = $$"""
            {"type":"ContextSourceRegistration","mode":"exclusive","information":[{"entities":[{"id":"{{vehicle}}:2","type":"Vehicle"}],"propertyNames":["speed"]}],
             "endpoint":"http://other-fleet.example.org"}
            """;
        var problem = await AssertProblem(await PostAsync(byId, link: null), HttpStatusCode.Conflict, "AlreadyExists");
        Assert.Contains(vehicle + ":2", (string?)problem["detail"], StringComparison.Ordinal);
        await AssertStatus(HttpStatusCode.Created, await PostAsync(byId.Replace("speed", "fuel", StringComparison.Ordinal), link: null));
    }

    [Fact]
    public async Task A_redirect_registration_may_claim_an_entity_held_here_but_not_what_an_exclusive_one_claims()
    {
        var held = NewId("Vehicle");
        await CreateAsync(new JsonObject { ["id"] = held, ["type"] = "Vehicle", ["speed"] = new JsonObject { ["type"] = "Property", ["value"] = 30 } });
        string Registration(string mode, string attribute) => $$"""
            {"type":"ContextSourceRegistration","mode":"{{mode}}","information":[{"entities":[{"id":"{{held}}","type":"Vehicle"}],"propertyNames":["{{attribute}}"]}],
             "endpoint":"http://fleet.example.org"}
            """;

        await AssertStatus(HttpStatusCode.Created, await PostAsync(Registration("redirect", "speed"), link: null));
        await AssertStatus(HttpStatusCode.Created, await PostAsync(Registration("exclusive", "fuel"), link: null));
        await AssertProblem(await PostAsync(Registration("redirect", "fuel"), link: null), HttpStatusCode.Conflict, "AlreadyExists");
    }
}
