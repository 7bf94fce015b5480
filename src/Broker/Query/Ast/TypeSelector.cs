namespace Broker.Query.Ast;

/// <summary>
/// An entity type selection (clause 4.17): <c>A,B</c> or <c>A|B</c> for or, <c>A;B</c> for and, parentheses to group.
/// Types are expanded IRIs. An entity matches when its type list satisfies the expression.
/// </summary>
public abstract record TypeSelector
{
    /// <summary>Whether an entity with these expanded types is selected.</summary>
    public abstract bool Matches(IReadOnlyList<string> expandedTypes);
}

public sealed record TypeName(string ExpandedType) : TypeSelector
{
    public override bool Matches(IReadOnlyList<string> expandedTypes)
    {
        for (var i = 0; i < expandedTypes.Count; i++)
        {
            if (string.Equals(expandedTypes[i], ExpandedType, StringComparison.Ordinal))
                return true;
        }
        return false;
    }
}

public sealed record TypeAnd(IReadOnlyList<TypeSelector> Operands) : TypeSelector
{
    public override bool Matches(IReadOnlyList<string> expandedTypes)
    {
        for (var i = 0; i < Operands.Count; i++)
        {
            if (!Operands[i].Matches(expandedTypes))
                return false;
        }
        return true;
    }
}

public sealed record TypeOr(IReadOnlyList<TypeSelector> Operands) : TypeSelector
{
    public override bool Matches(IReadOnlyList<string> expandedTypes)
    {
        for (var i = 0; i < Operands.Count; i++)
        {
            if (Operands[i].Matches(expandedTypes))
                return true;
        }
        return false;
    }
}
