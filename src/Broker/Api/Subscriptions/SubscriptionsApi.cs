using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Api.Entities;
using Broker.Api.Http;
using Broker.Contexts;
using Broker.Problems;
using Broker.Subscriptions;
using Ontology.JsonLd;

namespace Broker.Api.Subscriptions;

/// <summary>The subscription resources of clause 6.10–6.11: /subscriptions and /subscriptions/{subscriptionId}.</summary>
public static class SubscriptionsApi
{
    private const string Resource = "/ngsi-ld/v1/subscriptions";

    private static readonly HashSet<string> NoParameters = [];
    private static readonly HashSet<string> QueryParameterNames = ["limit", "offset", "count", "options", "local"];
    private static readonly HashSet<string> RetrieveParameters = ["options", "local"];

    public static RouteGroupBuilder MapSubscriptionsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup(Resource);
        group.MapPost("/", CreateSubscription);
        group.MapGet("/", QuerySubscriptions);
        group.MapGet("/{subscriptionId}", RetrieveSubscription);
        group.MapPatch("/{subscriptionId}", UpdateSubscription);
        group.MapDelete("/{subscriptionId}", DeleteSubscription);
        return group;
    }

    private static async Task CreateSubscription(HttpContext http, SubscriptionService subscriptions, ContextRegistry contexts)
    {
        RequestParameters.RejectUnknown(http.Request, NoParameters);
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var body = BodyObject(request);
        var id = await subscriptions.CreateAsync(request.Tenant, body, ContextOf(http, request, contexts), http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status201Created;
        http.Response.Headers.Location = $"{Resource}/{EntitiesApi.EscapeId(id)}";
    }

    private static async Task QuerySubscriptions(HttpContext http, SubscriptionService subscriptions, BrokerOptions limits, TimeProvider clock)
    {
        RequestParameters.RejectUnknown(http.Request, QueryParameterNames);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var sysAttrs = SysAttrs(http);
        var limit = RequestParameters.Integer(http.Request, "limit", limits.DefaultLimit, 0, limits.MaxLimit);
        var offset = RequestParameters.Integer(http.Request, "offset", 0, 0, int.MaxValue);
        var count = RequestParameters.Boolean(http.Request, "count");
        if (limit == 0 && !count)
            throw NgsiLdException.BadRequestData("limit=0 is only allowed together with count=true.");
        var (page, total) = await subscriptions.ListAsync(request.Tenant, offset, limit, http.RequestAborted);
        if (count)
            http.Response.Headers[NgsiResponse.CountHeader] = total.ToString(CultureInfo.InvariantCulture);
        AddPageLinks(http, request, offset, limit, total);
        var now = clock.GetUtcNow();
        var writeContext = NgsiResponse.ContextMemberWriter(request);
        await NgsiResponse.WriteJsonAsync(http, request, StatusCodes.Status200OK, json =>
        {
            json.WriteStartArray();
            foreach (var view in page)
                SubscriptionWriter.Write(json, view.Subscription, view.Status, request.Context, now, sysAttrs, writeContext);
            json.WriteEndArray();
        });
    }

    private static async Task RetrieveSubscription(HttpContext http, string subscriptionId, SubscriptionService subscriptions, TimeProvider clock)
    {
        RequestParameters.RejectUnknown(http.Request, RetrieveParameters);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var sysAttrs = SysAttrs(http);
        var view = await subscriptions.GetAsync(request.Tenant, SubscriptionId(subscriptionId), http.RequestAborted);
        var writeContext = NgsiResponse.ContextMemberWriter(request);
        await NgsiResponse.WriteJsonAsync(http, request, StatusCodes.Status200OK,
            json => SubscriptionWriter.Write(json, view.Subscription, view.Status, request.Context, clock.GetUtcNow(), sysAttrs, writeContext));
    }

    private static async Task UpdateSubscription(HttpContext http, string subscriptionId, SubscriptionService subscriptions, ContextRegistry contexts)
    {
        RequestParameters.RejectUnknown(http.Request, NoParameters);
        var id = SubscriptionId(subscriptionId);
        var request = await NgsiRequest.ReadAsync(http, withBody: true, mergePatchAllowed: true);
        var fragment = BodyObject(request);
        await subscriptions.UpdateAsync(request.Tenant, id, fragment, ContextOf(http, request, contexts), http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task DeleteSubscription(HttpContext http, string subscriptionId, SubscriptionService subscriptions)
    {
        RequestParameters.RejectUnknown(http.Request, NoParameters);
        var id = SubscriptionId(subscriptionId);
        var tenant = NgsiRequest.ReadTenant(http.Request);
        await subscriptions.DeleteAsync(tenant, id, http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static string SubscriptionId(string raw)
    {
        var id = RequestParameters.PathSegment(raw);
        RequestParameters.RequireUri(id, "subscription id");
        return id;
    }

    private static JsonObject BodyObject(NgsiRequest request) =>
        request.Body as JsonObject ?? throw NgsiLdException.BadRequestData("A subscription must be a JSON object.");

    private static bool SysAttrs(HttpContext http)
    {
        var sysAttrs = false;
        foreach (var option in RequestParameters.List(http.Request, "options") ?? [])
        {
            if (option != "sysAttrs")
                throw NgsiLdException.InvalidRequest($"Unknown option '{option}': subscriptions take sysAttrs.");
            sysAttrs = true;
        }
        return sysAttrs;
    }

    /// <summary>
    /// The request's @context as the subscription keeps it: the URL of a Link header; an inline @context, with the URL of
    /// the one document it names beside the core context, or else of a copy hosted by this broker (ImplicitlyCreated,
    /// clause 5.13), so that JSON notifications can link to it.
    /// </summary>
    internal static RequestContext ContextOf(HttpContext http, NgsiRequest request, ContextRegistry contexts)
    {
        if (request.ContextUrl is { } url)
            return new RequestContext(request.Context, JsonValue.Create(url), url);
        if (request.InlineContext is not { } inline)
            return new RequestContext(request.Context, null, null);
        if (inline is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            return new RequestContext(request.Context, inline, value.GetValue<string>());
        if (inline is JsonArray array && array.All(item => item is JsonValue v && v.GetValueKind() == JsonValueKind.String))
        {
            var own = array.Select(item => item!.GetValue<string>()).Where(u => !JsonLdContext.IsCoreContextUrl(u)).ToList();
            if (own.Count <= 1)
                return new RequestContext(request.Context, inline, own.Count == 0 ? null : own[0]);
        }
        var hosted = contexts.RegisterImplicit(JsonSerializer.SerializeToElement(inline, JsonNodeContext.Default.JsonNode), request.Tenant);
        var brokerBase = $"{http.Request.Scheme}://{http.Request.Host}";
        return new RequestContext(request.Context, inline, ContextRegistry.UrlOf(hosted.LocalId, brokerBase));
    }

    /// <summary>Pagination links (clause 5.5.9, 6.3.10): the previous and the next page, if there are.</summary>
    private static void AddPageLinks(HttpContext http, NgsiRequest request, int offset, int limit, long total)
    {
        if (limit == 0)
            return;
        var links = new List<string>();
        if (offset > 0)
            links.Add(PageLink(Math.Max(0, offset - limit), limit, "prev", request.ResponseType));
        if (offset + limit < total)
            links.Add(PageLink(offset + limit, limit, "next", request.ResponseType));
        foreach (var link in links)
            http.Response.Headers.Append("Link", link);
    }

    private static string PageLink(int offset, int limit, string rel, string mediaType) =>
        $"<{Resource}?limit={limit.ToString(CultureInfo.InvariantCulture)}&offset={offset.ToString(CultureInfo.InvariantCulture)}>;rel=\"{rel}\";type=\"{mediaType}\"";
}
