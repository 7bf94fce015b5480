using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Adapters.Core;

namespace Adapters.Tests.Core;

/// <summary>An <see cref="HttpMessageHandler"/> that answers as a broker would, as <see cref="Answer"/> says, and keeps every request.</summary>
internal sealed class FakeBroker : HttpMessageHandler
{
    public sealed record Request(HttpMethod Method, Uri Uri, string? Link, string? Tenant, string? ContentType, string Body)
    {
        public JsonArray Entities => JsonNode.Parse(Body)!.AsArray();
    }

    private readonly Lock _gate = new();
    private readonly List<Request> _requests = [];

    /// <summary>The answer to an upsert or a query; by default 204. The context registration always answers 201.</summary>
    public Func<Request, int, HttpResponseMessage> Answer { get; set; } = (_, _) => new HttpResponseMessage(HttpStatusCode.NoContent);

    public IReadOnlyList<Request> Requests
    {
        get
        {
            lock (_gate)
                return [.. _requests];
        }
    }

    public IReadOnlyList<Request> Upserts => [.. Requests.Where(request => request.Uri.AbsolutePath.EndsWith("/entityOperations/upsert", StringComparison.Ordinal))];

    public IReadOnlyList<Request> Queries => [.. Requests.Where(request => request.Uri.AbsolutePath.EndsWith("/entityOperations/query", StringComparison.Ordinal))];

    public static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        var recorded = new Request(
            request.Method,
            request.RequestUri!,
            request.Headers.TryGetValues("Link", out var link) ? string.Join(",", link) : null,
            request.Headers.TryGetValues("NGSILD-Tenant", out var tenant) ? string.Join(",", tenant) : null,
            request.Content?.Headers.ContentType?.ToString(),
            body);
        int attempt;
        lock (_gate)
        {
            _requests.Add(recorded);
            attempt = _requests.Count(r => r.Uri == recorded.Uri && r.Body == recorded.Body);
        }
        if (request.RequestUri!.AbsolutePath.EndsWith("/jsonldContexts", StringComparison.Ordinal))
        {
            var response = new HttpResponseMessage(HttpStatusCode.Created);
            response.Headers.Location = new Uri($"/ngsi-ld/v1/jsonldContexts/context-{attempt}-{JsonNode.Parse(body)!["@context"]!.AsObject().Count}", UriKind.Relative);
            return response;
        }
        return Answer(recorded, attempt);
    }

    public static NgsiLdClientOptions Options(int batchSize = 1000, int retries = 3) => new()
    {
        Url = new Uri("http://broker.test:1026"),
        BatchSize = batchSize,
        Retries = retries,
        RetryDelay = TimeSpan.FromMilliseconds(5),
        AttemptTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>A ParkingSpot that its schema accepts.</summary>
    public static AdapterEntity ParkingSpot(string localId, string status = "free", string observedAt = "2026-12-03T10:00:00Z") => new(new JsonObject
    {
        ["id"] = $"urn:ngsi-ld:ParkingSpot:{localId}",
        ["type"] = "ParkingSpot",
        ["status"] = new JsonObject { ["type"] = "Property", ["value"] = status, ["observedAt"] = observedAt },
        ["location"] = new JsonObject { ["type"] = "GeoProperty", ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(10.8702, 53.9606) } },
        ["category"] = new JsonObject { ["type"] = "Property", ["value"] = new JsonArray("onStreet") },
        ["refParkingSite"] = new JsonObject { ["type"] = "Relationship", ["object"] = "urn:ngsi-ld:OnStreetParking:travemuende-strandbahnhof" },
    }, "dataModel.Parking");

    /// <summary>A Device with the few attributes its schema requires.</summary>
    public static AdapterEntity Device(string localId) => new(new JsonObject
    {
        ["id"] = $"urn:ngsi-ld:Device:{localId}",
        ["type"] = "Device",
        ["controlledProperty"] = new JsonObject { ["type"] = "Property", ["value"] = new JsonArray("occupancy") },
    }, "dataModel.Device");
}
