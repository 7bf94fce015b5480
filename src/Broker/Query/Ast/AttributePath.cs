namespace Broker.Query.Ast;

/// <summary>
/// The target of a query term (clause 4.9: attrName, attrPathName <c>a.b.c</c>, compoundAttrName <c>a[b][c]</c>).
/// </summary>
/// <param name="Attribute">The attribute's expanded IRI.</param>
/// <param name="SubAttributes">
/// The expanded sub-attribute path after the first <c>.</c>; a segment may be one of the special members
/// (<see cref="SpecialMembers"/>), which are kept as the short name (observedAt, createdAt, modifiedAt, unitCode, datasetId).
/// </param>
/// <param name="Members">Members of the JSON value after <c>[</c>, not expanded (they index into the value).</param>
/// <param name="Text">The path as written, for messages.</param>
public sealed record AttributePath(string Attribute, IReadOnlyList<string> SubAttributes, IReadOnlyList<string> Members, string Text)
{
    public bool Equals(AttributePath? other) =>
        other is not null && Attribute == other.Attribute
        && SubAttributes.SequenceEqual(other.SubAttributes) && Members.SequenceEqual(other.Members);

    public override int GetHashCode() => HashCode.Combine(Attribute, SubAttributes.Count, Members.Count);

    public static AttributePath Of(string attribute) => new(attribute, [], [], attribute);
}

/// <summary>Members of an attribute that a path may name and that are not expanded (clause 4.9, clause 5.2.5).</summary>
public static class SpecialMembers
{
    public const string ObservedAt = "observedAt";
    public const string CreatedAt = "createdAt";
    public const string ModifiedAt = "modifiedAt";
    public const string UnitCode = "unitCode";
    public const string DatasetId = "datasetId";

    public static bool IsSpecial(string name) =>
        name is ObservedAt or CreatedAt or ModifiedAt or UnitCode or DatasetId;
}
