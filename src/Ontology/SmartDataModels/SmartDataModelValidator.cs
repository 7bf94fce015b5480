using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Ontology.SmartDataModels;

/// <summary>One reason an entity does not conform to its schema.</summary>
/// <param name="InstancePath">A JSON Pointer into the keyValues form of the entity, e.g. "/status" ("" for the entity itself).</param>
public sealed record SchemaError(string InstancePath, string Message)
{
    public override string ToString() => $"{(InstancePath.Length == 0 ? "/" : InstancePath)}: {Message}";
}

public sealed record SchemaValidationResult(IReadOnlyList<SchemaError> Errors)
{
    public static SchemaValidationResult Valid { get; } = new([]);

    public bool IsValid => Errors.Count == 0;

    public override string ToString() => IsValid ? "valid" : string.Join("; ", Errors);
}

/// <summary>
/// Validates entities against the Smart Data Models JSON schemas embedded in this assembly (see
/// <see cref="SmartDataModelCatalog"/>), offline: the schemas the type schemas refer to by URL (common-schema.json,
/// device-schema.json, ...) are registered under their $id and the raw.githubusercontent.com URL some schemas use.
/// A type without a schema is an error, never valid by default. Thread-safe.
/// </summary>
public sealed class SmartDataModelValidator
{
    private const string PublishedBase = "https://smart-data-models.github.io/";
    private const string RawBase = "https://raw.githubusercontent.com/smart-data-models/";

    private static readonly Lazy<SmartDataModelValidator> Embedded = new(() => new SmartDataModelValidator());

    private readonly FrozenDictionary<(string DataModel, string Type), JsonSchema> _schemas;
    private readonly EvaluationOptions _quick;
    private readonly EvaluationOptions _detailed;

    /// <summary>
    /// "time" as the schemas mean it (their descriptions cite https://schema.org/Time, e.g. opening hours "11:00:00"):
    /// hh:mm[:ss[.fraction]] with an optional offset, where JSON Schema's own "time" (RFC 3339) demands the offset.
    /// </summary>
    private static readonly Format LocalTime = new RegexFormat("time", @"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?$");

    /// <summary>"uri" is an absolute URI (RFC 3986 "URI"), so that an empty or relative reference is not taken for an entity id.</summary>
    private static readonly Format AbsoluteUri = new PredicateFormat("uri", element =>
        element.ValueKind != JsonValueKind.String || Uri.TryCreate(element.GetString(), UriKind.Absolute, out _));

    private SmartDataModelValidator()
    {
        var registry = new SchemaRegistry { Fetch = (_, _) => null };
        var build = new BuildOptions { SchemaRegistry = registry };
        var schemaPaths = SmartDataModelCatalog.Paths.Where(path => path.EndsWith(".json", StringComparison.Ordinal)).ToList();

        // A schema's references must be registered before it is built: common first, then the shared schemas of a
        // data model (e.g. dataModel.Device/device-schema.json), then the type schemas (dataModel.X/Type/schema.json).
        foreach (var path in schemaPaths.Where(IsSharedSchema).OrderBy(path => path.StartsWith("common/", StringComparison.Ordinal) ? 0 : 1).ThenBy(path => path, StringComparer.Ordinal))
        {
            var schema = Build(path, build);
            if (schema.BaseUri.AbsoluteUri.StartsWith(PublishedBase, StringComparison.Ordinal))
                registry.Register(new Uri(RawBase + RawPath(schema.BaseUri.AbsoluteUri[PublishedBase.Length..])), schema);
        }
        var schemas = new Dictionary<(string, string), JsonSchema>();
        foreach (var path in schemaPaths.Where(path => !IsSharedSchema(path)))
        {
            var segments = path.Split('/');
            if (segments is [var dataModel, var type, "schema.json"])
                schemas[(dataModel, type)] = Build(path, build);
        }
        _schemas = schemas.ToFrozenDictionary();
        var formats = new FormatRegistry();
        formats.Register(LocalTime);
        formats.Register(AbsoluteUri);
        _quick = new EvaluationOptions { OutputFormat = OutputFormat.Flag, RequireFormatValidation = true, FormatRegistry = formats };
        _detailed = new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical, RequireFormatValidation = true, FormatRegistry = formats };
    }

    /// <summary>The validator over the schemas embedded in this assembly, built once.</summary>
    public static SmartDataModelValidator Shared => Embedded.Value;

    /// <summary>The (data model, type) pairs that have a schema.</summary>
    public IEnumerable<(string DataModel, string Type)> Types => _schemas.Keys;

    /// <summary>Validates a normalized entity: its keyValues form (<see cref="KeyValuesForm"/>) against the schema of its type in <paramref name="dataModel"/>.</summary>
    public SchemaValidationResult Validate(string dataModel, JsonObject normalizedEntity)
    {
        ArgumentNullException.ThrowIfNull(normalizedEntity);
        return ValidateKeyValues(dataModel, KeyValuesForm.Of(normalizedEntity));
    }

    /// <summary>Validates an entity in keyValues form against the schema of its "type" in <paramref name="dataModel"/>.</summary>
    public SchemaValidationResult ValidateKeyValues(string dataModel, JsonObject keyValues)
    {
        ArgumentNullException.ThrowIfNull(keyValues);
        if (keyValues["type"] is not JsonValue typeValue || !typeValue.TryGetValue<string>(out var type))
            return new SchemaValidationResult([new SchemaError("/type", "the entity has no type (a string)")]);
        if (!_schemas.TryGetValue((dataModel, type), out var schema))
            return new SchemaValidationResult([new SchemaError("/type", $"there is no schema for the type '{type}' in the data model '{dataModel}'")]);

        using var document = JsonSerializer.SerializeToDocument(keyValues, SchemaJsonContext.Default.JsonObject);
        if (schema.Evaluate(document.RootElement, _quick).IsValid)
            return SchemaValidationResult.Valid;
        return new SchemaValidationResult(ErrorsOf(schema.Evaluate(document.RootElement, _detailed)));
    }

    /// <summary>
    /// The errors on the failing path of a hierarchical result. A failed anyOf/oneOf is one error that lists why each
    /// alternative failed (a GeoJSON location tried against each geometry type would otherwise give a dozen errors).
    /// </summary>
    private static List<SchemaError> ErrorsOf(EvaluationResults results)
    {
        var errors = new List<SchemaError>();
        Collect(results, errors);
        if (errors.Count == 0)
            errors.Add(new SchemaError("", "the entity does not conform to its schema"));
        return errors;
    }

    private static void Collect(EvaluationResults node, List<SchemaError> errors)
    {
        if (node.IsValid)
            return;
        foreach (var (keyword, message) in node.Errors ?? [])
            Add(errors, new SchemaError(node.InstanceLocation.ToString(), $"{message} ({keyword} at {node.EvaluationPath})"));
        Dictionary<string, List<EvaluationResults>>? alternatives = null;
        foreach (var child in node.Details ?? [])
        {
            if (AlternativesKeyword(child) is { } keywordPath)
            {
                alternatives ??= [];
                if (!alternatives.TryGetValue(keywordPath, out var branches))
                    alternatives[keywordPath] = branches = [];
                branches.Add(child);
            }
            else
            {
                Collect(child, errors);
            }
        }
        foreach (var (keywordPath, branches) in alternatives ?? [])
        {
            var matching = branches.Count(branch => branch.IsValid);
            var keyword = keywordPath[(keywordPath.LastIndexOf('/') + 1)..];
            if (matching == 0)
            {
                var reasons = branches.Select(branch =>
                {
                    var branchErrors = new List<SchemaError>();
                    Collect(branch, branchErrors);
                    return string.Join(", ", branchErrors.Select(e => e.InstancePath == node.InstanceLocation.ToString() ? MessageOnly(e) : $"{e.InstancePath}: {MessageOnly(e)}"));
                });
                Add(errors, new SchemaError(node.InstanceLocation.ToString(), $"matches none of the {branches.Count} alternatives ({keyword} at {keywordPath}): {string.Join(" | ", reasons)}"));
            }
            else if (matching > 1 && keyword == "oneOf")
            {
                Add(errors, new SchemaError(node.InstanceLocation.ToString(), $"matches {matching} alternatives where exactly one must match (oneOf at {keywordPath})"));
            }
        }
    }

    private static void Add(List<SchemaError> errors, SchemaError error)
    {
        if (!errors.Contains(error))
            errors.Add(error);
    }

    private static string MessageOnly(SchemaError error)
    {
        var where = error.Message.LastIndexOf(" (", StringComparison.Ordinal);
        return where < 0 ? error.Message : error.Message[..where];
    }

    /// <summary>The path of the anyOf/oneOf keyword if <paramref name="node"/> is one of its alternatives (".../anyOf/1").</summary>
    private static string? AlternativesKeyword(EvaluationResults node)
    {
        var path = node.EvaluationPath.ToString();
        var last = path.LastIndexOf('/');
        if (last <= 0)
            return null;
        var keywordPath = path[..last];
        return keywordPath.EndsWith("/anyOf", StringComparison.Ordinal) || keywordPath.EndsWith("/oneOf", StringComparison.Ordinal) ? keywordPath : null;
    }

    private static JsonSchema Build(string path, BuildOptions options) =>
        JsonSchema.FromText(SmartDataModelCatalog.Read(path)!, options, new Uri(PublishedBase + path));

    /// <summary>A schema beside the type folders (common/..., dataModel.X/x-schema.json) that type schemas refer to.</summary>
    private static bool IsSharedSchema(string path) => path.Split('/').Length == 2;

    /// <summary>"data-models/common-schema.json" → "data-models/master/common-schema.json", the layout of raw.githubusercontent.com.</summary>
    private static string RawPath(string publishedPath)
    {
        var slash = publishedPath.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? publishedPath : $"{publishedPath[..slash]}/master{publishedPath[slash..]}";
    }
}
