using System.Text.Json.Nodes;
using Broker.Query.Evaluation;
using Broker.Query.Parsing;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Query;

/// <summary>Every case of Data/QueryCorpus through the in-memory evaluator; expected ids were worked out by hand.</summary>
public sealed class QueryCorpusTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Data", "QueryCorpus");
    private static readonly Lazy<List<Entity>> Entities = new(() => CorpusEntityLoader.Load(Path.Combine(Directory, "entities.json")));

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in LoadCases().Keys)
            data.Add(name);
        return data;
    }

    private static Dictionary<string, JsonObject> LoadCases()
    {
        var cases = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var file in System.IO.Directory.GetFiles(Directory, "cases*.json").Order(StringComparer.Ordinal))
        {
            foreach (var node in JsonNode.Parse(File.ReadAllText(file))!.AsArray())
                cases.Add((string)node!["name"]!, node.AsObject());
        }
        return cases;
    }

    [Fact]
    public void Corpus_has_at_least_150_cases_and_40_entities()
    {
        Assert.True(LoadCases().Count >= 150, $"only {LoadCases().Count} cases");
        Assert.True(Entities.Value.Count >= 40);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Case(string name)
    {
        var testCase = LoadCases()[name];
        var expected = testCase["expected"]!.AsArray().Select(n => (string)n!).Order(StringComparer.Ordinal).ToList();
        var actual = new List<string>();
        foreach (var entity in Entities.Value)
        {
            if (Matches(entity, testCase))
                actual.Add(entity.Id);
        }
        actual.Sort(StringComparer.Ordinal);
        Assert.Equal(expected, actual);
    }

    private static bool Matches(Entity entity, JsonObject testCase)
    {
        if ((string?)testCase["type"] is { } type)
        {
            var parsed = TypeSelectorParser.Parse(type, CorpusEntityLoader.Expand);
            Assert.True(parsed.Success, parsed.Error?.Message);
            if (!parsed.Value!.Matches(entity.Types))
                return false;
        }
        if ((string?)testCase["q"] is { } q)
        {
            var parsed = QueryParser.Parse(q, CorpusEntityLoader.Expand);
            Assert.True(parsed.Success, parsed.Error?.Message);
            if (!QueryEvaluator.Matches(entity, parsed.Value!))
                return false;
        }
        if ((string?)testCase["scopeQ"] is { } scopeQ)
        {
            var parsed = ScopeQueryParser.Parse(scopeQ);
            Assert.True(parsed.Success, parsed.Error?.Message);
            if (!ScopeEvaluator.Matches(entity, parsed.Value!))
                return false;
        }
        if ((string?)testCase["georel"] is { } georel)
        {
            var parsed = GeoQueryParser.Parse(georel, (string)testCase["geometry"]!, (string)testCase["coordinates"]!, (string?)testCase["geoproperty"], CorpusEntityLoader.Expand);
            Assert.True(parsed.Success, parsed.Error?.Message);
            if (!GeoEvaluator.Matches(entity, parsed.Value!))
                return false;
        }
        return true;
    }
}
