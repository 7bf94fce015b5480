using Broker.Api.Http;
using Broker.Entities.Representation;
using Broker.Problems;
using Microsoft.Extensions.Primitives;
using Ontology.JsonLd;

namespace Broker.Api.Entities;

/// <summary>Reads the URL parameters shared by the entity operations (clause 6.3.7, 6.3.10, 6.3.13, 4.21).</summary>
public static class RequestParameters
{
    public static void RejectUnknown(HttpRequest request, IReadOnlySet<string> known, IReadOnlySet<string>? notImplemented = null)
    {
        foreach (var (name, _) in request.Query)
        {
            if (notImplemented is not null && notImplemented.Contains(name))
                throw new NgsiLdException(ErrorType.NotImplemented, $"The parameter '{name}' is not supported by this broker yet.");
            if (!known.Contains(name))
                throw NgsiLdException.InvalidRequest($"Unknown query parameter '{name}'.");
        }
    }

    public static string? Single(HttpRequest request, string name)
    {
        if (!request.Query.TryGetValue(name, out var values))
            return null;
        if (values.Count > 1)
            throw NgsiLdException.BadRequestData($"The parameter '{name}' is given more than once.");
        return values[0];
    }

    public static IReadOnlyList<string>? List(HttpRequest request, string name)
    {
        var raw = Single(request, name);
        if (raw is null)
            return null;
        var items = raw.Split(',', StringSplitOptions.TrimEntries);
        if (items.Any(string.IsNullOrEmpty))
            throw NgsiLdException.BadRequestData($"The parameter '{name}' has an empty item.");
        return items;
    }

    /// <summary>options and format (clause 6.3.7, 6.3.11): the representation and sysAttrs.</summary>
    public static RepresentationOptions Representation(HttpRequest request, JsonLdContext context, params string[] otherOptions)
    {
        var format = EntityFormat.Normalized;
        var sysAttrs = false;
        foreach (var option in List(request, "options") ?? [])
        {
            switch (option)
            {
                case "keyValues" or "simplified": format = EntityFormat.KeyValues; break;
                case "concise": format = EntityFormat.Concise; break;
                case "normalized": format = EntityFormat.Normalized; break;
                case "sysAttrs": sysAttrs = true; break;
                default:
                    if (!otherOptions.Contains(option))
                        throw NgsiLdException.InvalidRequest($"Unknown option '{option}'.");
                    break;
            }
        }
        var formatParameter = Single(request, "format");
        if (formatParameter is not null)
        {
            format = formatParameter switch
            {
                "keyValues" or "simplified" => EntityFormat.KeyValues,
                "concise" => EntityFormat.Concise,
                "normalized" => EntityFormat.Normalized,
                _ => throw NgsiLdException.InvalidRequest($"Unknown format '{formatParameter}': use normalized, concise, simplified or keyValues."),
            };
        }
        var lang = Single(request, "lang");
        if (lang is not null && (lang.Length == 0 || lang.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or ',' or ';' or '=' or '.' or '*' or ' '))))
            throw NgsiLdException.BadRequestData($"'{lang}' is not a language range.");
        var datasetIds = List(request, "datasetId");
        return new RepresentationOptions(format, sysAttrs, lang)
        {
            Projection = Projection(request, context),
            DatasetIds = datasetIds is null ? null : new HashSet<string>(datasetIds, StringComparer.Ordinal),
        };
    }

    public static bool HasOption(HttpRequest request, string option) =>
        request.Query.TryGetValue("options", out var values) && values.Any(v => v is not null && v.Split(',').Contains(option));

    /// <summary>attrs, pick and omit (clause 4.21); pick and omit exclude each other, attrs and pick too.</summary>
    public static AttributeProjection Projection(HttpRequest request, JsonLdContext context)
    {
        var attrs = List(request, "attrs");
        var pick = Single(request, "pick");
        var omit = Single(request, "omit");
        if (pick is not null && omit is not null)
            throw NgsiLdException.BadRequestData("pick and omit cannot be used together.");
        if (pick is not null && attrs is not null)
            throw NgsiLdException.BadRequestData("pick and attrs cannot be used together.");
        if (omit is not null && attrs is not null)
            throw NgsiLdException.BadRequestData("omit and attrs cannot be used together.");
        if (attrs is not null && attrs.Any(a => a is "id" or "type"))
            throw NgsiLdException.BadRequestData("attrs names attributes; id and type are not attributes (use pick).");
        if (pick is not null)
            return ProjectionLanguage.ParsePick(pick, context.ExpandTerm);
        if (omit is not null)
            return ProjectionLanguage.ParseOmit(omit, context.ExpandTerm);
        return attrs is null ? AttributeProjection.All : new AttributeProjection(ExpandNames(attrs, context), null);
    }

    /// <summary>join, joinLevel and containedBy (clause 4.5.23): joinLevel defaults to 1 and means nothing without join.</summary>
    public static JoinOptions Join(HttpRequest request)
    {
        var text = Single(request, "joinLevel");
        int? level = null;
        if (text is not null)
        {
            level = int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw NgsiLdException.BadRequestData($"joinLevel must be an integer from 1 to {JoinOptions.MaxLevel}.");
        }
        return Join(Single(request, "join"), level, List(request, "containedBy"));
    }

    public static JoinOptions Join(string? join, int? joinLevel, IReadOnlyList<string>? containedBy)
    {
        var kind = JoinOptions.ParseKind(join);
        var level = joinLevel ?? 1;
        if (level < 1 || level > JoinOptions.MaxLevel)
            throw NgsiLdException.BadRequestData($"joinLevel must be an integer from 1 to {JoinOptions.MaxLevel}.");
        foreach (var id in containedBy ?? [])
            RequireUri(id, "containedBy entity id");
        return kind == JoinKind.None
            ? JoinOptions.None
            : new JoinOptions(kind, level, containedBy is null ? null : new HashSet<string>(containedBy, StringComparer.Ordinal));
    }

    public static HashSet<string> ExpandNames(IEnumerable<string> names, JsonLdContext context)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!Uris.IsValidName(name))
                throw NgsiLdException.BadRequestData($"'{name}' is not a valid attribute name.");
            set.Add(name is "id" or "type" ? name : context.ExpandTerm(name));
        }
        return set;
    }

    public static int Integer(HttpRequest request, string name, int defaultValue, int min, int max)
    {
        var raw = Single(request, name);
        if (raw is null)
            return defaultValue;
        if (!int.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min)
            throw NgsiLdException.BadRequestData($"The parameter '{name}' must be an integer of at least {min}.");
        if (value > max)
            throw new NgsiLdException(ErrorType.TooManyResults, $"The parameter '{name}' may be at most {max}.");
        return value;
    }

    public static bool Boolean(HttpRequest request, string name)
    {
        var raw = Single(request, name);
        return raw switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw NgsiLdException.BadRequestData($"The parameter '{name}' must be true or false."),
        };
    }

    /// <summary>The entity id of a route, with an encoded '/' decoded, checked to be a URI.</summary>
    public static string EntityId(string raw)
    {
        var id = PathSegment(raw);
        RequireUri(id);
        return id;
    }

    public static void RequireUri(string id, string what = "entity id")
    {
        if (!Uris.IsAbsoluteUri(id))
            throw NgsiLdException.BadRequestData($"The {what} '{id}' is not a URI.");
    }

    /// <summary>Route values keep an encoded '/' (%2F) as it came; expanded IRIs in a path segment need it decoded.</summary>
    public static string PathSegment(string raw) =>
        raw.Contains('%', StringComparison.Ordinal) ? raw.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase) : raw;

    internal static StringValues Values(HttpRequest request, string name) => request.Query[name];
}
