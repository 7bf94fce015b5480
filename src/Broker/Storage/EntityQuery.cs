using System.Text.RegularExpressions;

namespace Broker.Storage;

/// <summary>
/// A query for entities (clause 5.7.2) with every name expanded. A store pushes down what it can and must give the
/// same answer as the in-memory evaluator.
/// </summary>
public sealed record EntityQuery
{
    public IReadOnlyList<string>? Ids { get; init; }

    public Regex? IdPattern { get; init; }

    /// <summary>Expanded types, any of which matches; null for any type.</summary>
    public IReadOnlyList<string>? Types { get; init; }

    /// <summary>Entities must have at least one of these attributes (the attrs parameter); null for no condition.</summary>
    public IReadOnlyList<string>? Attrs { get; init; }

    public int Limit { get; init; } = 20;

    public int Offset { get; init; }

    public bool Count { get; init; }
}
