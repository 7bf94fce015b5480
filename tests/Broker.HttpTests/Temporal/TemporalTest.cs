using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>
/// Plumbing of the temporal API tests (clauses 5.6.11–5.6.16, 5.7.3, 5.7.4): paths of the temporal resources, attribute
/// instances written as JSON, and readers of the normalized and temporalValues representations that turn what the broker
/// answers into (value, instant) pairs, so that tests compare instants, never the text of timestamps.
/// </summary>
public abstract class TemporalTest<TFactory>(TFactory factory) : BrokerTest<TFactory>(factory)
    where TFactory : BrokerFactory
{
    public const string TemporalEntities = "/ngsi-ld/v1/temporal/entities";
    public const string TemporalQuery = "/ngsi-ld/v1/temporal/entityOperations/query";
    public const string NgsiLdNull = "urn:ngsi-ld:null";

    /// <summary>The instant the observations of the tests start at (a Friday, the first of a month: days and hours line up).</summary>
    protected static readonly DateTimeOffset T0 = new(2024, 3, 1, 0, 0, 0, TimeSpan.Zero);

    protected static string TemporalPath(string id) => $"{TemporalEntities}/{Uri.EscapeDataString(id).Replace("%3A", ":", StringComparison.Ordinal)}";

    protected static string TemporalAttrsPath(string id) => $"{TemporalPath(id)}/attrs";

    protected static string TemporalAttrPath(string id, string attr) => $"{TemporalAttrsPath(id)}/{Uri.EscapeDataString(attr)}";

    protected static string InstancePath(string id, string attr, string instanceId) => $"{TemporalAttrPath(id, attr)}/{Uri.EscapeDataString(instanceId)}";

    /// <summary>A type of the test's own, so that queries by type see only the test's entities.</summary>
    protected static string NewType(string prefix = "Sensor") => prefix + Guid.NewGuid().ToString("N")[..10];

    /// <summary>An instant as a URL parameter or observedAt: UTC, with as many fraction digits as it needs.</summary>
    protected static string Iso(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture) + "Z";

    protected static string Hours(double hours) => Iso(T0.AddHours(hours));

    protected static string Escaped(DateTimeOffset instant) => Uri.EscapeDataString(Iso(instant));

    protected static DateTimeOffset Instant(JsonNode? node) =>
        DateTimeOffset.Parse((string?)node ?? throw new Xunit.Sdk.XunitException("An instant is missing"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    /// <summary>A Property instance as JSON (value is any JSON text).</summary>
    protected static JsonObject Property(JsonNode? value, DateTimeOffset? observedAt = null, string? datasetId = null)
    {
        var property = new JsonObject { ["type"] = "Property", ["value"] = value?.DeepClone() };
        if (observedAt is { } at)
            property["observedAt"] = Iso(at);
        if (datasetId is not null)
            property["datasetId"] = datasetId;
        return property;
    }

    protected static JsonObject Entity(string id, string type, params (string Name, JsonNode Attribute)[] attributes)
    {
        var entity = new JsonObject { ["id"] = id, ["type"] = type };
        foreach (var (name, attribute) in attributes)
            entity[name] = attribute;
        return entity;
    }

    protected static JsonArray Array(params JsonNode[] items)
    {
        var array = new JsonArray();
        foreach (var item in items)
            array.Add(item);
        return array;
    }

    protected async Task SendExpectingAsync(HttpStatusCode expected, HttpMethod method, string uri, JsonNode? body = null)
    {
        var response = body is null ? await SendAsync(method, uri) : await SendAsync(method, uri, body);
        await AssertStatus(expected, response);
    }

    protected Task PatchAttrsAsync(string id, JsonObject fragment) => SendExpectingAsync(HttpStatusCode.NoContent, HttpMethod.Patch, AttrsPath(id), fragment);

    protected Task PatchValueAsync(string id, string attr, JsonNode? value, DateTimeOffset observedAt, string? datasetId = null) =>
        PatchAttrsAsync(id, new JsonObject { [attr] = Property(value, observedAt, datasetId) });

    /// <summary>Creates a temporal representation (POST /temporal/entities); 201 when it is new, 204 when it existed.</summary>
    protected async Task<HttpResponseMessage> PostTemporalAsync(JsonObject entity, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var response = await SendAsync(HttpMethod.Post, TemporalEntities, entity);
        await AssertStatus(expected, response);
        return response;
    }

    /// <summary>An entity whose attribute has the given values, observed at the given instants, through POST /temporal/entities.</summary>
    protected async Task<string> SeriesAsync(string type, string attr, IEnumerable<(DateTimeOffset At, JsonNode? Value)> points, string? id = null)
    {
        id ??= NewId(type);
        var instances = new JsonArray();
        foreach (var (at, value) in points)
            instances.Add(Property(value, at));
        await PostTemporalAsync(Entity(id, type, (attr, instances)));
        return id;
    }

    protected async Task<HttpResponseMessage> GetAsync(string uri) => await Client.GetAsync(new Uri(uri, UriKind.Relative));

    protected async Task<JsonObject> RetrieveTemporalAsync(string id, string query = "") =>
        Assert.IsType<JsonObject>(await GetJsonAsync(TemporalPath(id) + (query.Length == 0 ? "" : "?" + query)));

    protected async Task<JsonArray> QueryTemporalAsync(string query) =>
        Assert.IsType<JsonArray>(await GetJsonAsync($"{TemporalEntities}?{query}"));

    protected static List<string> IdsOf(JsonArray entities) => [.. entities.Select(e => (string)e!["id"]!)];

    /// <summary>The instances of an attribute in the normalized temporal representation (always an array).</summary>
    protected static List<JsonObject> Instances(JsonObject entity, string attr) =>
        entity[attr] is JsonArray array ? [.. array.Select(i => Assert.IsType<JsonObject>(i))] : throw new Xunit.Sdk.XunitException($"'{attr}' is not an array of instances: {entity.ToJsonString()}");

    /// <summary>(value, observedAt) of each instance of an attribute in the normalized representation, in the order given.</summary>
    protected static List<(JsonNode? Value, DateTimeOffset At)> Observed(JsonObject entity, string attr) =>
        [.. Instances(entity, attr).Select(i => (i["value"], Instant(i["observedAt"])))];

    /// <summary>The numbers of an attribute's instances in the normalized representation, in the order given.</summary>
    protected static List<double> Numbers(JsonObject entity, string attr) => [.. Instances(entity, attr).Select(i => (double)i["value"]!)];

    /// <summary>
    /// The series of the simplified temporal representation of an attribute (clause 4.5.9): one object, or an array of
    /// one object per datasetId; each with its type, datasetId and the [value, instant] pairs of its values member.
    /// </summary>
    protected static List<TemporalSeries> Series(JsonObject entity, string attr, string member = "values")
    {
        var node = entity[attr] ?? throw new Xunit.Sdk.XunitException($"'{attr}' is missing: {entity.ToJsonString()}");
        var objects = node is JsonArray array ? array.Select(o => Assert.IsType<JsonObject>(o)).ToList() : [Assert.IsType<JsonObject>(node)];
        return [.. objects.Select(o => new TemporalSeries(
            (string)o["type"]!,
            (string?)o["datasetId"],
            [.. Assert.IsType<JsonArray>(o[member]).Select(pair => (pair!.AsArray()[0], Instant(pair.AsArray()[1])))]))];
    }

    /// <summary>The single series (no datasetIds) of an attribute in the temporalValues representation.</summary>
    protected static List<(JsonNode? Value, DateTimeOffset At)> Values(JsonObject entity, string attr, string member = "values") =>
        Assert.Single(Series(entity, attr, member)).Points;

    protected static List<double> ValueNumbers(JsonObject entity, string attr) => [.. Values(entity, attr).Select(p => (double)p.Value!)];

    protected static void AssertNumbers(IEnumerable<double> expected, IEnumerable<double> actual) =>
        Assert.Equal(expected.ToList(), actual.ToList());
}

public sealed record TemporalSeries(string Type, string? DatasetId, List<(JsonNode? Value, DateTimeOffset At)> Points);
