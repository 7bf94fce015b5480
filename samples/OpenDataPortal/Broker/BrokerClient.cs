using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace OpenDataPortal.Broker;

/// <summary>The few NGSI-LD requests the portal makes: replacing its subscriptions, reading entities and their history.</summary>
public sealed class BrokerClient(HttpClient http, BrokerConnection connection)
{
    private int PageSize => connection.PageSize;

    /// <summary>Deletes the subscription of the same id, if there is one, and creates this one: a changed configuration takes effect.</summary>
    public async Task ReplaceSubscriptionAsync(JsonObject subscription, CancellationToken cancellationToken)
    {
        var id = subscription["id"]!.GetValue<string>();
        using (var deleted = await SendAsync(HttpMethod.Delete, $"ngsi-ld/v1/subscriptions/{Uri.EscapeDataString(id)}", null, cancellationToken))
        {
            if (deleted.StatusCode != HttpStatusCode.NotFound)
                await EnsureSuccessAsync(deleted, "delete the subscription " + id, cancellationToken);
        }
        using var created = await SendAsync(HttpMethod.Post, "ngsi-ld/v1/subscriptions", subscription, cancellationToken);
        await EnsureSuccessAsync(created, "create the subscription " + id, cancellationToken);
    }

    /// <summary>Every entity of the types, normalized, page by page.</summary>
    public async Task<List<JsonObject>> EntitiesAsync(IEnumerable<string> types, CancellationToken cancellationToken)
    {
        var entities = new List<JsonObject>();
        var type = Uri.EscapeDataString(string.Join(',', types));
        while (true)
        {
            using var response = await SendAsync(HttpMethod.Get, $"ngsi-ld/v1/entities?type={type}&limit={PageSize}&offset={entities.Count}", null, cancellationToken);
            var page = await ReadArrayAsync(response, "read the entities of " + type, cancellationToken);
            entities.AddRange(page);
            if (page.Count < PageSize)
                return entities;
        }
    }

    /// <summary>
    /// The history of every entity of the types between two instants (temporal API, normalized), all of it. Entities come
    /// in pages of <see cref="BrokerConnection.PageSize"/> (limit, offset); a page answered 206 holds every instance of its
    /// entities up to the end of its Content-Range only. The entities a query selects are those with instances in its
    /// range, so the range is not narrowed page by page: after the last page, the whole range is read again from the
    /// earliest such end on. An instance read twice is the same observation, which the catalog keeps once.
    /// </summary>
    public async Task<List<JsonObject>> HistoryOfTypesAsync(IReadOnlyCollection<string> types, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var histories = new List<JsonObject>();
        var type = Uri.EscapeDataString(string.Join(',', types));
        var what = "read the history of " + string.Join(", ", types);
        while (from < to)
        {
            DateTimeOffset? completeUntil = null;
            for (var offset = 0; ; offset += PageSize)
            {
                var path = $"ngsi-ld/v1/temporal/entities?type={type}&timerel=between&timeAt={Instant(from)}&endTimeAt={Instant(to)}&limit={PageSize}&offset={offset}";
                using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
                var page = await ReadArrayAsync(response, what, cancellationToken);
                histories.AddRange(page);
                if (response.StatusCode == HttpStatusCode.PartialContent)
                {
                    var end = RangeEnd(response) ?? throw new BrokerException($"Could not {what}: a partial answer (206) without a date-time Content-Range.");
                    if (completeUntil is null || end < completeUntil)
                        completeUntil = end;
                }
                if (page.Count < PageSize)
                    break;
            }
            if (completeUntil is not { } next)
                return histories;
            if (next <= from)
                throw new BrokerException($"Could not {what}: the broker's pages do not get past {from:O} (more instances at that instant than it answers at once).");
            from = next;
        }
        return histories;
    }

    private static string Instant(DateTimeOffset instant) =>
        Uri.EscapeDataString(instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));

    /// <summary>The end of "Content-Range: date-time &lt;start&gt;-&lt;end&gt;/&lt;size&gt;" (both instants end in Z, so the '-' between them follows a Z).</summary>
    private static DateTimeOffset? RangeEnd(HttpResponseMessage response)
    {
        if (!response.Content.Headers.TryGetValues("Content-Range", out var values) && !response.Headers.TryGetValues("Content-Range", out values))
            return null;
        var range = values.First();
        var separator = range.IndexOf("Z-", StringComparison.Ordinal);
        var slash = range.LastIndexOf('/');
        if (separator < 0 || slash < separator)
            return null;
        return DateTimeOffset.TryParse(range[(separator + 2)..slash], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var end) ? end : null;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(connection.Url!, path));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (!string.IsNullOrEmpty(connection.Tenant))
            request.Headers.Add("NGSILD-Tenant", connection.Tenant);
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return await http.SendAsync(request, cancellationToken);
    }

    private static async Task<List<JsonObject>> ReadArrayAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        await EnsureSuccessAsync(response, what, cancellationToken);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) as JsonArray
            ?? throw new BrokerException($"Could not {what}: the broker's answer is not a JSON array.");
        return [.. body.OfType<JsonObject>()];
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var detail = await response.Content.ReadAsStringAsync(cancellationToken);
        throw new BrokerException($"Could not {what}: the broker answered {(int)response.StatusCode} {detail}");
    }
}

public sealed class BrokerException(string message) : Exception(message);
