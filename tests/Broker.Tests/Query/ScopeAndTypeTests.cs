using Broker.Query.Ast;
using Broker.Query.Evaluation;
using Broker.Query.Parsing;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Query;

public sealed class ScopeAndTypeTests
{
    [Theory]
    [InlineData("/Madrid/Gardens", "/Madrid/Gardens", true)]
    [InlineData("/Madrid/Gardens", "/Madrid/Gardens/ParqueNorte", false)]
    [InlineData("/Madrid/Gardens", "/Madrid", false)]
    [InlineData("/Madrid/#", "/Madrid", true)]
    [InlineData("/Madrid/#", "/Madrid/Gardens/ParqueNorte", true)]
    [InlineData("/Madrid/#", "/MadridNorte", false)]
    [InlineData("/Madrid/+", "/Madrid/Gardens", true)]
    [InlineData("/Madrid/+", "/Madrid", false)]
    [InlineData("/Madrid/+", "/Madrid/Gardens/ParqueNorte", false)]
    [InlineData("/+/Gardens", "/Madrid/Gardens", true)]
    [InlineData("/#", "/Anything/at/all", true)]
    [InlineData("/Madrid/Gardens", "/Madrid/Gardens/", true)]
    public void Scope_patterns(string scopeQ, string scope, bool expected)
    {
        var parsed = ScopeQueryParser.Parse(scopeQ);
        Assert.True(parsed.Success, parsed.Error?.Message);
        Assert.Equal(expected, ScopeEvaluator.Matches(new Entity { Id = "urn:x", Scopes = [scope] }, parsed.Value!));
    }

    [Fact]
    public void Entity_without_scopes_matches_no_pattern()
    {
        Assert.False(ScopeEvaluator.Matches(new Entity { Id = "urn:x" }, ScopeQueryParser.Parse("/#").Value!));
    }

    [Fact]
    public void Scope_and_binds_tighter_than_or_and_bar_is_or()
    {
        var or = Assert.IsType<ScopeOr>(ScopeQueryParser.Parse("/a|/b;/c").Value);
        Assert.IsType<ScopeAnd>(or.Operands[1]);
    }

    [Theory]
    [InlineData("A", "A", true)]
    [InlineData("A", "B", false)]
    [InlineData("A,B", "B", true)]
    [InlineData("A|B", "B", true)]
    [InlineData("A;B", "A B", true)]
    [InlineData("A;B", "A", false)]
    [InlineData("(A;B),C", "C", true)]
    [InlineData("(A;B),C", "B", false)]
    [InlineData("A;(B|C)", "A C", true)]
    public void Type_selection(string selector, string types, bool expected)
    {
        var parsed = TypeSelectorParser.Parse(selector, CorpusEntityLoader.Expand);
        Assert.True(parsed.Success, parsed.Error?.Message);
        var expanded = types.Split(' ').Select(CorpusEntityLoader.Expand).ToList();
        Assert.Equal(expected, parsed.Value!.Matches(expanded));
    }

    [Fact]
    public void Types_are_expanded()
    {
        var name = Assert.IsType<TypeName>(TypeSelectorParser.Parse("Museum", CorpusEntityLoader.Expand).Value);
        Assert.Equal(NgsiLd.DefaultContextVocab + "Museum", name.ExpandedType);
    }
}
