using System.Text.RegularExpressions;
using Broker.Api.Http;
using Broker.Problems;
using Broker.Query.Ast;
using Broker.Query.Parsing;
using Broker.Storage;
using Ontology.JsonLd;

namespace Broker.Api.Entities;

/// <summary>The selectors of an entity query (clause 5.7.2, 6.4.3.2) from URL parameters or from a Query body (clause 5.2.23).</summary>
public static class QueryParameters
{
    public sealed record Selectors(
        IReadOnlyList<string>? Ids,
        string? IdPattern,
        string? Type,
        IReadOnlyList<string>? Attrs,
        string? Q,
        string? ScopeQ,
        string? GeoRel,
        string? Geometry,
        string? Coordinates,
        string? GeoProperty);

    public static EntityQuery Build(HttpRequest http, NgsiRequest request, BrokerOptions limits) =>
        Build(http, FromUrl(http), request.Context, limits);

    /// <summary>The selectors of a query in the URL, as given.</summary>
    public static Selectors FromUrl(HttpRequest http) =>
        new(
            RequestParameters.List(http, "id"),
            RequestParameters.Single(http, "idPattern"),
            RequestParameters.Single(http, "type"),
            RequestParameters.List(http, "attrs"),
            RequestParameters.Single(http, "q"),
            RequestParameters.Single(http, "scopeQ"),
            RequestParameters.Single(http, "georel"),
            RequestParameters.Single(http, "geometry"),
            RequestParameters.Single(http, "coordinates"),
            RequestParameters.Single(http, "geoproperty"));

    public static EntityQuery Build(HttpRequest http, Selectors selectors, JsonLdContext context, BrokerOptions limits, bool idsSuffice = false)
    {
        if (selectors.Ids is { } ids)
        {
            foreach (var id in ids)
                RequestParameters.RequireUri(id);
        }
        Regex? idPattern = null;
        if (selectors.IdPattern is { } pattern)
        {
            try
            {
                idPattern = new Regex(pattern, RegexOptions.CultureInvariant, QueryParser.DefaultRegexTimeout);
            }
            catch (ArgumentException)
            {
                throw NgsiLdException.BadRequestData($"idPattern '{pattern}' is not a valid regular expression.");
            }
        }
        TypeSelector? types = null;
        if (selectors.Type is { } typeText)
            types = Unwrap(TypeSelectorParser.Parse(typeText, context.ExpandTerm), "type");
        QueryExpression? q = null;
        if (selectors.Q is { } qText)
            q = Unwrap(QueryParser.Parse(qText, context.ExpandTerm), "q");
        ScopeExpression? scopeQ = null;
        if (selectors.ScopeQ is { } scopeText)
            scopeQ = Unwrap(ScopeQueryParser.Parse(scopeText), "scopeQ");
        GeoQuery? geo = null;
        if (selectors.GeoRel is not null || selectors.Geometry is not null || selectors.Coordinates is not null)
        {
            if (selectors.GeoRel is null || selectors.Geometry is null || selectors.Coordinates is null)
                throw NgsiLdException.BadRequestData("A geo-query needs georel, geometry and coordinates together (clause 4.10).");
            geo = Unwrap(GeoQueryParser.Parse(selectors.GeoRel, selectors.Geometry, selectors.Coordinates, selectors.GeoProperty, context.ExpandTerm), "geo-query");
        }
        var local = RequestParameters.Boolean(http, "local");
        if (types is null && idPattern is null && selectors.Attrs is null && q is null && geo is null && scopeQ is null && !local && !(idsSuffice && selectors.Ids is not null))
            throw NgsiLdException.BadRequestData("A query needs at least one of type, idPattern, attrs, q, scopeQ, a geo-query or local=true (clause 5.7.2); id alone is not enough.");
        var count = RequestParameters.Boolean(http, "count");
        var limit = RequestParameters.Integer(http, "limit", limits.DefaultLimit, 0, limits.MaxLimit);
        if (limit == 0 && !count)
            throw NgsiLdException.BadRequestData("limit=0 is only allowed together with count=true.");
        return new EntityQuery
        {
            Ids = selectors.Ids,
            IdPattern = idPattern,
            Types = types,
            Attrs = selectors.Attrs is null ? null : [.. RequestParameters.ExpandNames(selectors.Attrs, context)],
            Q = q,
            ScopeQ = scopeQ,
            Geo = geo,
            Limit = limit,
            Offset = RequestParameters.Integer(http, "offset", 0, 0, int.MaxValue),
            Count = count,
        };
    }

    /// <summary>
    /// pick without id or type shows only attributes, so an entity with none of them would be empty: such entities are
    /// not part of the result (clause 4.21), which the attrs condition expresses in every store.
    /// </summary>
    public static EntityQuery WithPick(EntityQuery query, Broker.Entities.Representation.RepresentationOptions options)
    {
        var projection = options.Projection;
        if (!projection.Strict || projection.Include is not { } pick || pick.Any(name => name is "id" or "type" or "@id" or "@type"))
            return query;
        var attributes = pick.Where(name => projection.Exclude is null || !projection.Exclude.Contains(name)).ToList();
        var attrs = query.Attrs is null ? attributes : [.. query.Attrs.Intersect(attributes)];
        return query with { Attrs = attrs };
    }

    private static T Unwrap<T>(ParseResult<T> result, string what) =>
        result.Success ? result.Value! : throw NgsiLdException.BadRequestData(result.Error?.Message ?? $"The {what} could not be parsed.");
}
