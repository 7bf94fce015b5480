using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.TestSupport;

/// <summary>
/// The query corpus (tests/Broker.Tests/Data/QueryCorpus, copied next to the test assembly) read once: its entities,
/// its cases by name, and the query URL of a case. Linked into every test project that runs the corpus over HTTP.
/// </summary>
public static class QueryCorpus
{
    public static readonly string[] Parameters = ["type", "q", "scopeQ", "georel", "geometry", "coordinates", "geoproperty"];

    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Data", "QueryCorpus");

    private static readonly Lazy<Dictionary<string, JsonObject>> LoadedCases = new(LoadCases);

    public static IReadOnlyDictionary<string, JsonObject> Cases => LoadedCases.Value;

    public static string EntitiesJson() => File.ReadAllText(Path.Combine(Folder, "entities.json"));

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Keys)
            data.Add(name);
        return data;
    }

    /// <summary>GET /entities for the case: ids only, every match on one page, with the count.</summary>
    public static string QueryPath(JsonObject corpusCase)
    {
        var query = new StringBuilder("/ngsi-ld/v1/entities?limit=1000&count=true&options=keyValues&pick=id");
        foreach (var parameter in Parameters)
        {
            if (corpusCase[parameter] is { } value)
                query.Append('&').Append(parameter).Append('=').Append(Uri.EscapeDataString(value.GetValue<string>()));
        }
        return query.ToString();
    }

    public static List<string> ExpectedIds(JsonObject corpusCase) =>
        [.. corpusCase["expected"]!.AsArray().Select(id => id!.GetValue<string>()).Order(StringComparer.Ordinal)];

    private static Dictionary<string, JsonObject> LoadCases()
    {
        var cases = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(Folder, "cases*.json").Order(StringComparer.Ordinal))
        {
            foreach (var item in JsonNode.Parse(File.ReadAllText(file))!.AsArray())
            {
                var corpusCase = item!.AsObject();
                cases.Add(corpusCase["name"]!.GetValue<string>(), corpusCase);
            }
        }
        return cases;
    }
}
