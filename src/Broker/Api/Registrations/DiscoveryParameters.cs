using System.Text.RegularExpressions;
using Broker.Api.Entities;
using Broker.Api.Temporal;
using Broker.Federation;
using Broker.Problems;
using Broker.Query.Ast;
using Broker.Query.Parsing;
using Ontology.JsonLd;

namespace Broker.Api.Registrations;

/// <summary>The URL parameters of query context source registrations (clause 5.10.2, 6.8.3.2) as a <see cref="RegistrationQuery"/>.</summary>
public static class DiscoveryParameters
{
    /// <summary>
    /// The entity selectors, attrs, q and csf (both matched against the registrations' Context Source properties: a
    /// registration holds no entity values to evaluate q on), scopeQ, the geo-query and the temporal query. At least one
    /// of them is required (clause 5.10.2).
    /// </summary>
    public static RegistrationQuery Build(HttpRequest http, JsonLdContext context)
    {
        var ids = RequestParameters.List(http, "id");
        foreach (var id in ids ?? [])
            RequestParameters.RequireUri(id);
        var idPatternText = RequestParameters.Single(http, "idPattern");
        Regex? idPattern = null;
        if (idPatternText is not null)
        {
            try
            {
                idPattern = new Regex(idPatternText, RegexOptions.CultureInvariant, QueryParser.DefaultRegexTimeout);
            }
            catch (ArgumentException)
            {
                throw NgsiLdException.BadRequestData($"idPattern '{idPatternText}' is not a valid regular expression.");
            }
        }
        var typeText = RequestParameters.Single(http, "type");
        var types = typeText is null ? null : Unwrap(TypeSelectorParser.Parse(typeText, context.ExpandTerm), "type");
        // attrs= (empty) names no attribute: the same as no attrs.
        var attrs = RequestParameters.Single(http, "attrs") is { Length: > 0 } ? RequestParameters.ExpandNames(RequestParameters.List(http, "attrs")!, context) : null;
        var filters = new List<QueryExpression>();
        foreach (var name in (string[])["q", "csf"])
        {
            if (RequestParameters.Single(http, name) is { } text)
                filters.Add(Unwrap(QueryParser.Parse(text, context.ExpandTerm), name));
        }
        var scopeText = RequestParameters.Single(http, "scopeQ");
        var scopeQ = scopeText is null ? null : Unwrap(ScopeQueryParser.Parse(scopeText), "scopeQ");
        GeoQuery? geo = null;
        var georel = RequestParameters.Single(http, "georel");
        var geometry = RequestParameters.Single(http, "geometry");
        var coordinates = RequestParameters.Single(http, "coordinates");
        if (georel is not null || geometry is not null || coordinates is not null)
        {
            if (georel is null || geometry is null || coordinates is null)
                throw NgsiLdException.BadRequestData("A geo-query needs georel, geometry and coordinates together (clause 4.10).");
            var geoproperty = RequestParameters.Single(http, "geoproperty") is { Length: > 0 } named ? named : null;
            geo = Unwrap(GeoQueryParser.Parse(georel, geometry, coordinates, geoproperty, context.ExpandTerm), "geo-query");
        }
        var time = TemporalParameters.Time(TemporalParameters.FromUrl(http));
        if (ids is null && idPattern is null && types is null && attrs is null && filters.Count == 0 && scopeQ is null && geo is null && time.Relation is null)
            throw NgsiLdException.BadRequestData("A query of registrations needs at least one of id, idPattern, type, attrs, q, csf, scopeQ, a geo-query or a temporal query (clause 5.10.2).");
        return new RegistrationQuery
        {
            EntityIds = ids,
            IdPattern = idPattern,
            Types = types,
            Attributes = attrs is null ? null : [.. attrs],
            ContextSourceFilters = filters,
            ScopeQ = scopeQ,
            Geo = geo,
            Time = time,
        };
    }

    private static T Unwrap<T>(ParseResult<T> result, string what) =>
        result.Success ? result.Value! : throw NgsiLdException.BadRequestData(result.Error?.Message ?? $"The {what} could not be parsed.");
}
