namespace Broker.Entities.Representation;

/// <summary>The representations of clause 4.5: normalized (4.5.1), concise (4.5.2.3) and simplified / keyValues (4.5.4).</summary>
public enum EntityFormat
{
    Normalized,
    Concise,
    KeyValues,
}

/// <summary>Which members of an entity a response shows (attrs / pick / omit, clause 4.21). Names are expanded.</summary>
public sealed class AttributeProjection
{
    public static readonly AttributeProjection All = new(null, null);

    public AttributeProjection(IReadOnlySet<string>? include, IReadOnlySet<string>? exclude, bool strict = false,
        IReadOnlyDictionary<string, AttributeProjection>? linked = null)
    {
        Include = include;
        Exclude = exclude;
        Strict = strict;
        Linked = linked;
    }

    /// <summary>
    /// The projections of linked entities (clause 4.21 with 4.5.23): pick=rel{a,b} or omit=rel{a} apply to the entities
    /// that the relationship rel links to. Keyed by the relationship's expanded name.
    /// </summary>
    public IReadOnlyDictionary<string, AttributeProjection>? Linked { get; }

    /// <summary>How entities linked through <paramref name="relationship"/> are shown: whole unless the projection names them.</summary>
    public AttributeProjection ForLinked(string relationship) =>
        Linked is not null && Linked.TryGetValue(relationship, out var linked) ? linked : All;

    /// <summary>pick (clause 4.21) shows only the members named, id and type included; attrs always shows id and type.</summary>
    public bool Strict { get; }

    /// <summary>True when the projection leaves nothing of the entity: the spec then answers ResourceNotFound.</summary>
    public bool LeavesNothing(Ontology.Model.Entity entity)
    {
        if (ShowsIdMember || ShowsType)
            return false;
        foreach (var name in entity.Attributes.Names)
        {
            if (Shows(name))
                return false;
        }
        return !(entity.Scopes is { Count: > 0 } && Shows(Ontology.Model.NgsiLd.Scope));
    }

    /// <summary>The attributes to keep, or null for all. May contain "id" and "type" (pick=id,type).</summary>
    public IReadOnlySet<string>? Include { get; }

    public IReadOnlySet<string>? Exclude { get; }

    public bool ShowsId => Include is null || Include.Contains("id") || Include.Contains("@id") || (!Strict && HasAttributesOnly(Include));

    public bool ShowsType => (Include is null || Include.Contains("type") || Include.Contains("@type") || (!Strict && HasAttributesOnly(Include)))
        && (Exclude is null || !(Exclude.Contains("type") || Exclude.Contains("@type")));

    public bool ShowsIdMember => ShowsId && (Exclude is null || !(Exclude.Contains("id") || Exclude.Contains("@id")));

    public bool Shows(string expandedName) =>
        (Include is null || Include.Contains(expandedName)) && (Exclude is null || !Exclude.Contains(expandedName));

    // attrs=a,b (without id/type) still returns id and type, as in NGSI-LD before pick/omit existed.
    private static bool HasAttributesOnly(IReadOnlySet<string> include)
    {
        foreach (var name in include)
        {
            if (name is "id" or "type" or "@id" or "@type")
                return false;
        }
        return true;
    }
}

public sealed record RepresentationOptions(EntityFormat Format = EntityFormat.Normalized, bool SysAttrs = false, string? Lang = null)
{
    public static readonly RepresentationOptions Default = new();

    public AttributeProjection Projection { get; init; } = AttributeProjection.All;

    /// <summary>The datasetId parameter (clause 4.5.5): only these instances are shown; "@none" names the default instance.</summary>
    public IReadOnlySet<string>? DatasetIds { get; init; }
}
