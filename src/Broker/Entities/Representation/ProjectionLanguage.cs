using Broker.Problems;

namespace Broker.Entities.Representation;

/// <summary>
/// The attribute projection language of pick and omit (clause 4.21): a comma-separated list of members, where a
/// relationship may carry the projection of the entities it links to in braces (clause 4.5.23):
/// <c>id,locatedAt{id,name,isInCountry{description}}</c>.
/// </summary>
public static class ProjectionLanguage
{
    private sealed record Item(string Name, List<Item>? Linked);

    /// <summary>pick: only the members named are shown, at each level of linked entities.</summary>
    public static AttributeProjection ParsePick(string text, Func<string, string> expand) => Pick(Parse(text, "pick"), expand);

    /// <summary>omit: the members named are left out; a relationship with braces stays and its linked entities omit what the braces name.</summary>
    public static AttributeProjection ParseOmit(string text, Func<string, string> expand) => Omit(Parse(text, "omit"), expand);

    private static AttributeProjection Pick(List<Item> items, Func<string, string> expand)
    {
        var include = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, AttributeProjection>? linked = null;
        foreach (var item in items)
        {
            var name = Expand(item.Name, expand);
            include.Add(name);
            if (item.Linked is { } nested)
                (linked ??= new(StringComparer.Ordinal))[name] = Pick(nested, expand);
        }
        return new AttributeProjection(include, null, strict: true, linked);
    }

    private static AttributeProjection Omit(List<Item> items, Func<string, string> expand)
    {
        var exclude = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, AttributeProjection>? linked = null;
        foreach (var item in items)
        {
            var name = Expand(item.Name, expand);
            if (item.Linked is { } nested)
                (linked ??= new(StringComparer.Ordinal))[name] = Omit(nested, expand);
            else
                exclude.Add(name);
        }
        return new AttributeProjection(null, exclude, strict: false, linked);
    }

    private static string Expand(string name, Func<string, string> expand) => name is "id" or "type" ? name : expand(name);

    private static List<Item> Parse(string text, string parameter)
    {
        var position = 0;
        var items = ParseList(text, ref position, parameter, depth: 0);
        if (position != text.Length)
            throw Invalid(parameter, text, $"'{text[position]}' at position {position + 1} closes no brace");
        return items;
    }

    private static List<Item> ParseList(string text, ref int position, string parameter, int depth)
    {
        if (depth > 16)
            throw Invalid(parameter, text, "nests linked entities more than 16 levels deep");
        var items = new List<Item>();
        while (true)
        {
            var start = position;
            while (position < text.Length && text[position] is not (',' or '{' or '}'))
                position++;
            var name = text[start..position].Trim();
            if (name.Length == 0)
                throw Invalid(parameter, text, "has an empty member name");
            if (!Uris.IsValidName(name))
                throw Invalid(parameter, text, $"'{name}' is not a valid attribute name");
            List<Item>? linked = null;
            if (position < text.Length && text[position] == '{')
            {
                if (name is "id" or "type")
                    throw Invalid(parameter, text, $"'{name}' links to no entity, so it cannot have braces");
                position++;
                linked = ParseList(text, ref position, parameter, depth + 1);
                if (position >= text.Length || text[position] != '}')
                    throw Invalid(parameter, text, $"the braces after '{name}' are not closed");
                position++;
            }
            items.Add(new Item(name, linked));
            if (position < text.Length && text[position] == ',')
            {
                position++;
                continue;
            }
            return items;
        }
    }

    private static NgsiLdException Invalid(string parameter, string text, string reason) =>
        NgsiLdException.BadRequestData($"The {parameter} parameter '{text}' {reason}.");
}
