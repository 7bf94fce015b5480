using System.Text.RegularExpressions;
using Broker.Query.Ast;

namespace Broker.Storage;

/// <summary>
/// A query for entities (clause 5.7.2) with every name expanded. A store pushes down what it can and must give the
/// same answer as <see cref="EntityQueryMatcher"/>, the in-memory reference.
/// </summary>
public sealed record EntityQuery
{
    public IReadOnlyList<string>? Ids { get; init; }

    public Regex? IdPattern { get; init; }

    /// <summary>The entity type selection (clause 4.17); null for any type.</summary>
    public TypeSelector? Types { get; init; }

    /// <summary>Entities must have at least one of these attributes (the attrs parameter); null for no condition.</summary>
    public IReadOnlyList<string>? Attrs { get; init; }

    /// <summary>The q filter (clause 4.9).</summary>
    public QueryExpression? Q { get; init; }

    /// <summary>The scopeQ filter (clause 4.19).</summary>
    public ScopeExpression? ScopeQ { get; init; }

    /// <summary>The geo-query (clause 4.10).</summary>
    public GeoQuery? Geo { get; init; }

    /// <summary>The entities the client's role reaches; null when it reaches every entity.</summary>
    public EntityRestriction? Restriction { get; init; }

    public int Limit { get; init; } = 20;

    public int Offset { get; init; }

    public bool Count { get; init; }
}
