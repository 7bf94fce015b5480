namespace Broker.Query.Ast;

/// <summary>
/// The orderBy parameter of a query (clause 4.23): keys in order of precedence, each ascending unless <c>;desc</c>.
/// A key is the entity's id or type, or an attribute path as q reads it (the entity's createdAt and modifiedAt, an
/// attribute's value, a sub-attribute's value, an attribute's createdAt, modifiedAt or observedAt).
/// </summary>
public sealed record OrderBy(IReadOnlyList<OrderKey> Keys);

public sealed record OrderKey(OrderTarget Target, bool Descending);

public abstract record OrderTarget
{
    public static readonly OrderTarget Id = new EntityMember("id");

    public static readonly OrderTarget Type = new EntityMember("type");
}

/// <summary>The entity's id or type.</summary>
public sealed record EntityMember(string Name) : OrderTarget;

/// <summary>What an attribute path resolves to, as for q.</summary>
public sealed record PathTarget(AttributePath Path) : OrderTarget;
