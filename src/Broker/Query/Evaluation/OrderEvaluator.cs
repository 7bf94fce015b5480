using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Query.Ast;
using Ontology.Model;

namespace Broker.Query.Evaluation;

/// <summary>
/// The order orderBy gives entities. A key's value is resolved as q resolves a path; of several values (an array, several
/// datasetIds) the least counts ascending and the greatest descending. Numbers compare by value, strings and timestamps
/// by their text (timestamps are UTC ISO 8601, which orders by time), booleans false first, and values of different kinds
/// by kind (numbers, then strings, then booleans, then anything else). An entity without a value for a key comes after
/// every entity with one, in either direction. Entities equal on every key are ordered by id.
/// </summary>
public sealed class OrderEvaluator(OrderBy orderBy)
{
    public List<Entity> Sort(IEnumerable<Entity> entities)
    {
        // Each key's value is resolved once per entity, not once per comparison.
        var keyed = entities.Select(entity => (Entity: entity, Values: orderBy.Keys.Select(key => ValueOf(entity, key)).ToArray())).ToList();
        keyed.Sort((a, b) => Compare(a.Entity, a.Values, b.Entity, b.Values));
        return [.. keyed.Select(k => k.Entity)];
    }

    private int Compare(Entity x, SortValue?[] xValues, Entity y, SortValue?[] yValues)
    {
        for (var i = 0; i < orderBy.Keys.Count; i++)
        {
            var (a, b) = (xValues[i], yValues[i]);
            if (a is null || b is null)
            {
                if (a is null && b is null)
                    continue;
                return a is null ? 1 : -1;
            }
            var order = a.Value.CompareTo(b.Value);
            if (order != 0)
                return orderBy.Keys[i].Descending ? -order : order;
        }
        return string.CompareOrdinal(x.Id, y.Id);
    }

    private static SortValue? ValueOf(Entity entity, OrderKey key)
    {
        switch (key.Target)
        {
            case EntityMember { Name: "id" }:
                return new SortValue(1, 0, entity.Id);
            case EntityMember:
                return entity.Types.Count == 0 ? null : new SortValue(1, 0, entity.Types.Min(StringComparer.Ordinal));
            case PathTarget path:
                SortValue? chosen = null;
                foreach (var target in QueryEvaluator.Resolve(entity, path.Path))
                {
                    var value = SortValue.Of(target.Value);
                    if (chosen is not { } current || (key.Descending ? value.CompareTo(current) > 0 : value.CompareTo(current) < 0))
                        chosen = value;
                }
                return chosen;
            default:
                return null;
        }
    }

    /// <summary>A value reduced to what ordering needs: its kind (0 number, 1 string, 2 boolean, 3 other), and its number or text.</summary>
    private readonly record struct SortValue(int Kind, double Number, string? Text) : IComparable<SortValue>
    {
        public static SortValue Of(JsonNode node) => node.GetValueKind() switch
        {
            JsonValueKind.Number => new SortValue(0, double.Parse(node.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture), null),
            JsonValueKind.String => new SortValue(1, 0, node.GetValue<string>()),
            JsonValueKind.True => new SortValue(2, 1, null),
            JsonValueKind.False => new SortValue(2, 0, null),
            _ => new SortValue(3, 0, node.ToJsonString()),
        };

        public int CompareTo(SortValue other)
        {
            if (Kind != other.Kind)
                return Kind.CompareTo(other.Kind);
            return Kind is 0 or 2 ? Number.CompareTo(other.Number) : string.CompareOrdinal(Text, other.Text);
        }
    }
}
