using Broker.Query.Ast;

namespace Broker.Query.Parsing;

/// <summary>Parses orderBy (clause 4.23): <c>key[;asc|;desc]</c>, separated by commas, where a key is id, type or an attribute path.</summary>
public static class OrderByParser
{
    public static ParseResult<OrderBy> Parse(string text, Func<string, string> expandTerm)
    {
        var keys = new List<OrderKey>();
        foreach (var item in text.Split(','))
        {
            var parts = item.Split(';');
            if (parts.Length > 2)
                return Fail($"orderBy item '{item}' has more than one direction.");
            var descending = false;
            if (parts.Length == 2)
            {
                if (parts[1] is not ("asc" or "desc"))
                    return Fail($"orderBy item '{item}' has the direction '{parts[1]}'; use asc or desc.");
                descending = parts[1] == "desc";
            }
            var key = parts[0].Trim();
            if (key.Length == 0)
                return Fail("orderBy has an empty item.");
            OrderTarget target;
            if (key is "id" or "@id")
            {
                target = OrderTarget.Id;
            }
            else if (key is "type" or "@type")
            {
                target = OrderTarget.Type;
            }
            else
            {
                var path = QueryParser.ParsePath(key, expandTerm);
                if (!path.Success)
                    return Fail($"orderBy item '{key}' is not an attribute path: {path.Error?.Message}");
                target = new PathTarget(path.Value!);
            }
            keys.Add(new OrderKey(target, descending));
        }
        return ParseResult<OrderBy>.Ok(new OrderBy(keys));
    }

    private static ParseResult<OrderBy> Fail(string message) => ParseResult<OrderBy>.Fail(new ParseError(0, "an orderBy item", message));
}
