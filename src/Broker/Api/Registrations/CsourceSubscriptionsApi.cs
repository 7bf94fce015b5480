using System.Globalization;
using System.Text.Json.Nodes;
using Broker.Api.Entities;
using Broker.Api.Http;
using Broker.Api.Subscriptions;
using Broker.Contexts;
using Broker.Federation;
using Broker.Problems;
using Broker.Subscriptions;

namespace Broker.Api.Registrations;

/// <summary>The context source registration subscription resources of clause 6.10–6.11 for registrations: /csourceSubscriptions and /csourceSubscriptions/{subscriptionId}.</summary>
public static class CsourceSubscriptionsApi
{
    private const string Resource = "/ngsi-ld/v1/csourceSubscriptions";

    private static readonly HashSet<string> NoParameters = [];
    private static readonly HashSet<string> QueryParameterNames = ["limit", "offset", "count", "options"];
    private static readonly HashSet<string> RetrieveParameters = ["options"];

    public static RouteGroupBuilder MapCsourceSubscriptionsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup(Resource);
        group.MapPost("/", CreateSubscription);
        group.MapGet("/", QuerySubscriptions);
        group.MapGet("/{subscriptionId}", RetrieveSubscription);
        group.MapPatch("/{subscriptionId}", UpdateSubscription);
        group.MapDelete("/{subscriptionId}", DeleteSubscription);
        return group;
    }

    private static async Task CreateSubscription(HttpContext http, CsourceSubscriptionService subscriptions, ContextRegistry contexts)
    {
        RequestParameters.RejectUnknown(http.Request, NoParameters);
        var request = await NgsiRequest.ReadAsync(http, withBody: true);
        var id = await subscriptions.CreateAsync(request.Tenant, BodyObject(request), SubscriptionsApi.ContextOf(http, request, contexts), http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status201Created;
        http.Response.Headers.Location = $"{Resource}/{EntitiesApi.EscapeId(id)}";
    }

    private static async Task QuerySubscriptions(HttpContext http, CsourceSubscriptionService subscriptions, BrokerOptions limits, TimeProvider clock)
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
        if (limit > 0 && offset > 0)
            http.Response.Headers.Append("Link", PageLink(Math.Max(0, offset - limit), limit, "prev", request.ResponseType));
        if (limit > 0 && offset + limit < total)
            http.Response.Headers.Append("Link", PageLink(offset + limit, limit, "next", request.ResponseType));
        var now = clock.GetUtcNow();
        var writeContext = NgsiResponse.ContextMemberWriter(request);
        await NgsiResponse.WriteJsonAsync(http, request, StatusCodes.Status200OK, json =>
        {
            json.WriteStartArray();
            foreach (var view in page)
                SubscriptionWriter.Write(json, view.Subscription, view.Status, request.Context, now, sysAttrs, writeContext, withTrigger: false);
            json.WriteEndArray();
        });
    }

    private static async Task RetrieveSubscription(HttpContext http, string subscriptionId, CsourceSubscriptionService subscriptions, TimeProvider clock)
    {
        RequestParameters.RejectUnknown(http.Request, RetrieveParameters);
        var id = SubscriptionId(subscriptionId);
        var request = await NgsiRequest.ReadAsync(http, withBody: false);
        var sysAttrs = SysAttrs(http);
        var view = await subscriptions.GetAsync(request.Tenant, id, http.RequestAborted);
        var writeContext = NgsiResponse.ContextMemberWriter(request);
        await NgsiResponse.WriteJsonAsync(http, request, StatusCodes.Status200OK,
            json => SubscriptionWriter.Write(json, view.Subscription, view.Status, request.Context, clock.GetUtcNow(), sysAttrs, writeContext, withTrigger: false));
    }

    private static async Task UpdateSubscription(HttpContext http, string subscriptionId, CsourceSubscriptionService subscriptions, ContextRegistry contexts)
    {
        RequestParameters.RejectUnknown(http.Request, NoParameters);
        var id = SubscriptionId(subscriptionId);
        var request = await NgsiRequest.ReadAsync(http, withBody: true, mergePatchAllowed: true);
        await subscriptions.UpdateAsync(request.Tenant, id, BodyObject(request), SubscriptionsApi.ContextOf(http, request, contexts), http.RequestAborted);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static async Task DeleteSubscription(HttpContext http, string subscriptionId, CsourceSubscriptionService subscriptions)
    {
        RequestParameters.RejectUnknown(http.Request, NoParameters);
        var id = SubscriptionId(subscriptionId);
        await subscriptions.DeleteAsync(NgsiRequest.ReadTenant(http.Request), id, http.RequestAborted);
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

    private static string PageLink(int offset, int limit, string rel, string mediaType) =>
        $"<{Resource}?limit={limit.ToString(CultureInfo.InvariantCulture)}&offset={offset.ToString(CultureInfo.InvariantCulture)}>;rel=\"{rel}\";type=\"{mediaType}\"";
}
