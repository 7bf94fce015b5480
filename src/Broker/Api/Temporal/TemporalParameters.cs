using System.Globalization;
using Broker.Api.Entities;
using Broker.Api.Http;
using Broker.Entities.Representation;
using Broker.Problems;
using Broker.Storage;
using Broker.Temporal;
using NodaTime.Text;

namespace Broker.Api.Temporal;

/// <summary>The temporal query (clause 4.11, 5.2.21 TemporalQuery) and the temporal representation options (clause 6.3.12) of a request.</summary>
public static class TemporalParameters
{
    /// <summary>The temporal query's members, from URL parameters or from the temporalQ of a Query payload.</summary>
    public sealed record TimeSelectors(string? TimeRel, string? TimeAt, string? EndTimeAt, string? TimeProperty, string? LastN);

    public sealed record Representation(TemporalFormat Format, bool SysAttrs, RepresentationOptions Instances);

    public static TimeSelectors FromUrl(HttpRequest http) => new(
        RequestParameters.Single(http, "timerel"),
        RequestParameters.Single(http, "timeAt"),
        RequestParameters.Single(http, "endTimeAt"),
        RequestParameters.Single(http, "timeproperty"),
        RequestParameters.Single(http, "lastN"));

    public static TimeFilter Time(TimeSelectors selectors)
    {
        var property = selectors.TimeProperty switch
        {
            null or "observedAt" => TimeProperty.ObservedAt,
            "createdAt" => TimeProperty.CreatedAt,
            "modifiedAt" => TimeProperty.ModifiedAt,
            "deletedAt" => TimeProperty.DeletedAt,
            var other => throw NgsiLdException.BadRequestData($"timeproperty '{other}' is not one of observedAt, createdAt, modifiedAt, deletedAt."),
        };
        TimeRelation? relation = selectors.TimeRel switch
        {
            null => null,
            "before" => TimeRelation.Before,
            "after" => TimeRelation.After,
            "between" => TimeRelation.Between,
            var other => throw NgsiLdException.BadRequestData($"timerel '{other}' is not one of before, after, between."),
        };
        if (relation is null)
        {
            if (selectors.TimeAt is not null || selectors.EndTimeAt is not null)
                throw NgsiLdException.BadRequestData("timeAt and endTimeAt need timerel (clause 4.11).");
            return new TimeFilter(property);
        }
        if (selectors.TimeAt is null)
            throw NgsiLdException.BadRequestData($"timerel={selectors.TimeRel} needs timeAt (clause 4.11).");
        var timeAt = Instant(selectors.TimeAt, "timeAt");
        DateTimeOffset? endTimeAt = null;
        if (relation == TimeRelation.Between)
        {
            if (selectors.EndTimeAt is null)
                throw NgsiLdException.BadRequestData("timerel=between needs endTimeAt (clause 4.11).");
            endTimeAt = Instant(selectors.EndTimeAt, "endTimeAt");
            if (endTimeAt <= timeAt)
                throw NgsiLdException.BadRequestData("endTimeAt must be after timeAt.");
        }
        else if (selectors.EndTimeAt is not null)
        {
            throw NgsiLdException.BadRequestData($"endTimeAt is only allowed with timerel=between, not with timerel={selectors.TimeRel}.");
        }
        return new TimeFilter(property, relation, timeAt, endTimeAt);
    }

    public static int? LastN(TimeSelectors selectors)
    {
        if (selectors.LastN is not { } text)
            return null;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var lastN) || lastN < 1)
            throw NgsiLdException.BadRequestData($"lastN must be a positive integer, not '{text}'.");
        return lastN;
    }

    private static DateTimeOffset Instant(string text, string name) =>
        Timestamps.TryParse(text, out var instant)
            ? Timestamps.Truncate(instant)
            : throw NgsiLdException.BadRequestData($"{name} '{text}' is not a date-time (ISO 8601 with a time zone, e.g. 2026-12-01T00:00:00Z).");

    /// <summary>options (temporalValues, aggregatedValues, sysAttrs; simplified and keyValues mean temporalValues), format, attrs/pick/omit, lang, datasetId; with aggregatedValues aggrMethods and aggrPeriodDuration.</summary>
    public static (Representation Representation, Aggregation? Aggregation) Options(HttpRequest http, Ontology.JsonLd.JsonLdContext context)
    {
        var format = TemporalFormat.Normalized;
        var sysAttrs = false;
        foreach (var option in RequestParameters.List(http, "options") ?? [])
        {
            switch (option)
            {
                case "temporalValues" or "simplified" or "keyValues":
                    format = format == TemporalFormat.AggregatedValues ? throw Exclusive() : TemporalFormat.TemporalValues;
                    break;
                case "aggregatedValues":
                    format = format == TemporalFormat.TemporalValues ? throw Exclusive() : TemporalFormat.AggregatedValues;
                    break;
                case "sysAttrs": sysAttrs = true; break;
                case "normalized" or "concise": break;
                default: throw NgsiLdException.InvalidRequest($"Unknown option '{option}'.");
            }
        }
        switch (RequestParameters.Single(http, "format"))
        {
            case null: break;
            case "temporalValues" or "simplified" or "keyValues": format = TemporalFormat.TemporalValues; break;
            case "aggregatedValues": format = TemporalFormat.AggregatedValues; break;
            case "normalized" or "concise": format = TemporalFormat.Normalized; break;
            case var other: throw NgsiLdException.InvalidRequest($"Unknown format '{other}': use normalized, temporalValues (simplified) or aggregatedValues.");
        }
        var lang = RequestParameters.Single(http, "lang");
        var datasetIds = RequestParameters.List(http, "datasetId");
        var instanceOptions = new RepresentationOptions(EntityFormat.Normalized, sysAttrs, lang)
        {
            Projection = RequestParameters.Projection(http, context),
            DatasetIds = datasetIds is null ? null : new HashSet<string>(datasetIds, StringComparer.Ordinal),
        };
        var representation = new Representation(format, sysAttrs, instanceOptions);
        var methods = RequestParameters.List(http, "aggrMethods");
        var duration = RequestParameters.Single(http, "aggrPeriodDuration");
        // format takes precedence over options (clause 6.3.12): aggrMethods of options=aggregatedValues overridden by format are not used.
        if (format != TemporalFormat.AggregatedValues)
            return (representation, null);
        if (methods is null || methods.Count == 0)
            throw NgsiLdException.BadRequestData("options=aggregatedValues needs aggrMethods (totalCount, distinctCount, sum, avg, min, max, stddev, sumsq).");
        return (representation, new Aggregation(Methods(methods), Duration(duration)));
    }

    /// <summary>orderBy of a temporal query (clause 4.23, allowed for temporal queries since NGSI-LD 1.9): as for GET /entities.</summary>
    public static Query.Ast.OrderBy? OrderBy(string? orderBy, Func<string, string> expand)
    {
        if (orderBy is null)
            return null;
        var parsed = Query.Parsing.OrderByParser.Parse(orderBy, expand);
        return parsed.Success ? parsed.Value! : throw NgsiLdException.BadRequestData(parsed.Error!.Message);
    }

    private static NgsiLdException Exclusive() => NgsiLdException.BadRequestData("options temporalValues and aggregatedValues exclude each other.");

    public static List<AggregationMethod> Methods(IEnumerable<string> names)
    {
        var methods = new List<AggregationMethod>();
        foreach (var name in names)
        {
            if (!AggregationMethods.TryParse(name, out var method))
                throw NgsiLdException.BadRequestData($"'{name}' is not an aggregation method: use totalCount, distinctCount, sum, avg, min, max, stddev or sumsq.");
            if (!methods.Contains(method))
                methods.Add(method);
        }
        return methods;
    }

    /// <summary>An ISO 8601 duration (aggrPeriodDuration, clause 4.5.19); P0D or none: the whole time range is one period.</summary>
    public static NodaTime.Period? Duration(string? text)
    {
        if (text is null)
            return null;
        var parsed = PeriodPattern.NormalizingIso.Parse(text);
        if (!parsed.Success || text.Length < 3)
            throw NgsiLdException.BadRequestData($"aggrPeriodDuration '{text}' is not an ISO 8601 duration (e.g. PT1H, P1D, P1M).");
        var period = parsed.Value;
        if (period.Equals(NodaTime.Period.Zero))
            return null;
        if (HasNegative(period))
            throw NgsiLdException.BadRequestData($"aggrPeriodDuration '{text}' must not be negative.");
        return period;
    }

    private static bool HasNegative(NodaTime.Period period) =>
        period.Years < 0 || period.Months < 0 || period.Weeks < 0 || period.Days < 0 || period.Hours < 0 || period.Minutes < 0
        || period.Seconds < 0 || period.Milliseconds < 0 || period.Ticks < 0 || period.Nanoseconds < 0;

    /// <summary>The temporal query of a request: the entity selection of <see cref="QueryParameters"/>, the time filter, lastN, the aggregation.</summary>
    public static TemporalQuery Build(EntityQuery entities, TimeSelectors time, Aggregation? aggregation, int instanceLimit, Representation representation) => new()
    {
        Entities = entities,
        DatasetIds = representation.Instances.DatasetIds,
        Time = Time(time),
        LastN = LastN(time),
        Aggregation = aggregation,
        InstanceLimit = instanceLimit,
    };
}
