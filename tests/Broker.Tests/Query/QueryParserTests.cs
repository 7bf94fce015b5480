using Broker.Query.Ast;
using Broker.Query.Parsing;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Query;

public sealed class QueryParserTests
{
    private const string Vocab = NgsiLd.DefaultContextVocab;

    private static QueryExpression Parse(string text)
    {
        var result = QueryParser.Parse(text, CorpusEntityLoader.Expand);
        Assert.True(result.Success, result.Error?.Message);
        return result.Value!;
    }

    [Fact]
    public void Attribute_and_sub_attributes_are_expanded_but_special_members_and_compound_members_are_not()
    {
        var comparison = Assert.IsType<ComparisonExpression>(Parse("status.reliability.observedAt[x][y]>1"));

        Assert.Equal(Vocab + "status", comparison.Path.Attribute);
        Assert.Equal([Vocab + "reliability", "observedAt"], comparison.Path.SubAttributes);
        Assert.Equal(["x", "y"], comparison.Path.Members);
        Assert.Equal(ComparisonOperator.Greater, comparison.Operator);
    }

    [Fact]
    public void Dotted_members_in_brackets_are_the_same_path_as_repeated_brackets()
    {
        var dotted = Assert.IsType<ExistsExpression>(Parse("rawdata[airquality.particulate]")).Path;
        var repeated = Assert.IsType<ExistsExpression>(Parse("rawdata[airquality][particulate]")).Path;
        Assert.Equal(["airquality", "particulate"], dotted.Members);
        Assert.Equal(dotted, repeated);
    }

    [Theory]
    [InlineData("observedAt")]
    [InlineData("createdAt")]
    [InlineData("modifiedAt")]
    [InlineData("unitCode")]
    [InlineData("datasetId")]
    public void Special_members_are_recognized(string member)
    {
        var exists = Assert.IsType<ExistsExpression>(Parse("a." + member));
        Assert.Equal([member], exists.Path.SubAttributes);
    }

    [Fact]
    public void And_binds_tighter_than_or()
    {
        var or = Assert.IsType<OrExpression>(Parse("a==1|b==2;c==3"));
        Assert.IsType<ComparisonExpression>(or.Operands[0]);
        var and = Assert.IsType<AndExpression>(or.Operands[1]);
        Assert.Equal(2, and.Operands.Count);
    }

    [Fact]
    public void Parentheses_group()
    {
        var and = Assert.IsType<AndExpression>(Parse("(a==1|b==2);c"));
        Assert.IsType<OrExpression>(and.Operands[0]);
        Assert.IsType<ExistsExpression>(and.Operands[1]);
    }

    [Fact]
    public void Not_exists_and_not_equal_are_told_apart()
    {
        Assert.IsType<NotExistsExpression>(Parse("!a"));
        Assert.Equal(ComparisonOperator.NotEqual, Assert.IsType<ComparisonExpression>(Parse("a!=1")).Operator);
        Assert.True(Assert.IsType<PatternExpression>(Parse("a!~=x")).Negated);
        Assert.False(Assert.IsType<PatternExpression>(Parse("a~=x")).Negated);
    }

    [Theory]
    [InlineData("a==42", typeof(NumberLiteral))]
    [InlineData("a==-3.5e2", typeof(NumberLiteral))]
    [InlineData("a==\"x\"", typeof(StringLiteral))]
    [InlineData("a==true", typeof(BooleanLiteral))]
    [InlineData("a==2026-11-20T08:00:00Z", typeof(DateTimeLiteral))]
    [InlineData("a==2026-11-20T08:00:00+01:00", typeof(DateTimeLiteral))]
    [InlineData("a==2026-11-20", typeof(DateLiteral))]
    [InlineData("a==12:30:00Z", typeof(TimeLiteral))]
    [InlineData("a==urn:ngsi-ld:Museum:1", typeof(UriLiteral))]
    [InlineData("a==https://example.org/x", typeof(UriLiteral))]
    public void Literals_are_typed(string text, Type type)
    {
        var single = Assert.IsType<SingleValueOperand>(Assert.IsType<ComparisonExpression>(Parse(text)).Operand);
        Assert.IsType(type, single.Value);
    }

    [Fact]
    public void Ranges_and_value_lists()
    {
        var range = Assert.IsType<RangeOperand>(Assert.IsType<ComparisonExpression>(Parse("a==1..10")).Operand);
        Assert.Equal(1m, ((NumberLiteral)range.Min).Exact);
        Assert.Equal(10m, ((NumberLiteral)range.Max).Exact);
        var list = Assert.IsType<ValueListOperand>(Assert.IsType<ComparisonExpression>(Parse("a!=\"x\",\"y\",3")).Operand);
        Assert.Equal(3, list.Values.Count);
    }

    [Fact]
    public void Quoted_strings_unescape_quote_and_backslash_and_keep_the_expanded_form()
    {
        var single = (SingleValueOperand)((ComparisonExpression)Parse("a==\"say \\\"hi\\\" \\\\ o\"")).Operand;
        Assert.Equal("say \"hi\" \\ o", ((StringLiteral)single.Value).Value);
        var vocab = (StringLiteral)((SingleValueOperand)((ComparisonExpression)Parse("a==\"moderate\"")).Operand).Value;
        Assert.Equal(Vocab + "moderate", vocab.Expanded);
    }

    [Fact]
    public void Unquoted_regex_runs_to_a_semicolon_outside_groups_and_includes_bars()
    {
        var and = Assert.IsType<AndExpression>(Parse("a~=^(x;y|z)[;)]$;b"));
        Assert.Equal("^(x;y|z)[;)]$", ((PatternExpression)and.Operands[0]).Pattern.ToString());
        var grouped = Assert.IsType<AndExpression>(Parse("(a~=x|y);b"));
        Assert.Equal("x|y", ((PatternExpression)grouped.Operands[0]).Pattern.ToString());
    }

    [Fact]
    public void Regex_gets_the_configured_timeout()
    {
        var pattern = (PatternExpression)QueryParser.Parse("a~=x", CorpusEntityLoader.Expand, TimeSpan.FromMilliseconds(7)).Value!;
        Assert.Equal(TimeSpan.FromMilliseconds(7), pattern.Pattern.MatchTimeout);
        Assert.Equal(QueryParser.DefaultRegexTimeout, ((PatternExpression)Parse("a~=x")).Pattern.MatchTimeout);
    }

    [Fact]
    public void Reverse_is_an_involution_and_negates_orderings()
    {
        foreach (var op in Enum.GetValues<ComparisonOperator>())
            Assert.Equal(op, op.Reverse().Reverse());
        Assert.Equal(ComparisonOperator.LessOrEqual, ComparisonOperator.Greater.Reverse());
    }
}
