using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace MeinLuebeck;

/// <summary>The Broker section: the NGSI-LD broker the app subscribes to.</summary>
public sealed class BrokerConnection
{
    public Uri? Url { get; set; }

    /// <summary>Sent as NGSILD-Tenant.</summary>
    public string? Tenant { get; set; }
}

/// <summary>The App section.</summary>
public sealed class AppOptions
{
    /// <summary>The app's base URL as the broker reaches it: notifications go to its /notify.</summary>
    public Uri PublicUrl { get; set; } = new("http://localhost:8091");
}

/// <summary>
/// At start-up: replaces the app's subscription to every parking entity, then reads the parking entities once (in that
/// order, so no change falls between); tries again every few seconds while the broker cannot be reached or refuses.
/// </summary>
public sealed class ParkingSubscriber(HttpClient http, BrokerConnection broker, AppOptions app, ParkingBoard board, ILogger<ParkingSubscriber> logger) : BackgroundService
{
    public const string SubscriptionId = "urn:ngsi-ld:Subscription:mein-luebeck:parking";

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsReady => _started.Task.IsCompletedSuccessfully;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SubscribeAsync(stoppingToken);
                board.Update(await ReadPlacesAsync(stoppingToken));
                _started.TrySetResult();
                return;
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Could not subscribe to the broker, trying again in {Delay}: {Reason}", RetryDelay, e.Message);
            }
            await Task.Delay(RetryDelay, stoppingToken);
        }
    }

    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        using (var deleted = await SendAsync(HttpMethod.Delete, $"ngsi-ld/v1/subscriptions/{Uri.EscapeDataString(SubscriptionId)}", null, cancellationToken))
        {
            if (deleted.StatusCode != HttpStatusCode.NotFound)
                await EnsureSuccessAsync(deleted, cancellationToken);
        }
        var subscription = new JsonObject
        {
            ["id"] = SubscriptionId,
            ["type"] = "Subscription",
            ["description"] = "MeinLübeck: free parking",
            ["entities"] = new JsonArray([.. ParkingPlace.EntityTypes.Select(type => (JsonNode)new JsonObject { ["type"] = type })]),
            ["notification"] = new JsonObject
            {
                ["format"] = "keyValues",
                ["attributes"] = new JsonArray("name", "availableSpotNumber", "totalSpotNumber", "status", "location"),
                ["endpoint"] = new JsonObject { ["uri"] = new Uri(app.PublicUrl, "notify").ToString(), ["accept"] = "application/json" },
            },
        };
        using var created = await SendAsync(HttpMethod.Post, "ngsi-ld/v1/subscriptions", subscription, cancellationToken);
        await EnsureSuccessAsync(created, cancellationToken);
    }

    private const string NonexistentTenant = "https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant";

    private async Task<List<ParkingPlace>> ReadPlacesAsync(CancellationToken cancellationToken)
    {
        const int pageSize = 500;
        var places = new List<ParkingPlace>();
        for (var offset = 0; ; offset += pageSize)
        {
            var path = $"ngsi-ld/v1/entities?type={string.Join(',', ParkingPlace.EntityTypes)}&options=keyValues&limit={pageSize}&offset={offset}";
            using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
            // A tenant that holds no entities yet (only the app's subscription) has no places: they arrive as notifications.
            if (response.StatusCode == HttpStatusCode.NotFound && (await response.Content.ReadAsStringAsync(cancellationToken)).Contains(NonexistentTenant, StringComparison.Ordinal))
                return places;
            await EnsureSuccessAsync(response, cancellationToken);
            var page = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) as JsonArray
                ?? throw new InvalidOperationException("The broker's answer to a query is not a JSON array.");
            places.AddRange(page.OfType<JsonObject>().Select(ParkingPlace.FromEntity).OfType<ParkingPlace>());
            if (page.Count < pageSize)
                return places;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(broker.Url!, path));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (!string.IsNullOrEmpty(broker.Tenant))
            request.Headers.Add("NGSILD-Tenant", broker.Tenant);
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return await http.SendAsync(request, cancellationToken);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"The broker answered {(int)response.StatusCode} to {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }
}
