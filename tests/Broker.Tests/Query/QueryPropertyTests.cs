using Broker.Query.Ast;
using Broker.Query.Evaluation;
using Broker.Query.Parsing;
using FsCheck;
using FsCheck.Fluent;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Query;

/// <summary>Properties of the parser and the evaluator over random queries (FsCheck).</summary>
public sealed class QueryPropertyTests
{
    private static readonly Lazy<List<Entity>> Corpus = new(() =>
        CorpusEntityLoader.Load(Path.Combine(AppContext.BaseDirectory, "Data", "QueryCorpus", "entities.json")));

    private static string Compact(string iri) =>
        iri.StartsWith(NgsiLd.DefaultContextVocab, StringComparison.Ordinal) ? iri[NgsiLd.DefaultContextVocab.Length..] : iri;

    private static readonly Gen<AttributePath> Paths =
        from name in Gen.Elements("status", "width", "name", "intensity", "availableSpotNumber", "address", "no2")
        from sub in Gen.Elements(Array.Empty<string>(), ["observedAt"], ["reliability"], ["reliability", "method"], ["datasetId"])
        from members in Gen.Elements(Array.Empty<string>(), ["en"], ["levels", "L1"])
        select new AttributePath(
            CorpusEntityLoader.Expand(name),
            sub.Select(s => SpecialMembers.IsSpecial(s) ? s : CorpusEntityLoader.Expand(s)).ToArray(),
            members,
            name);

    private static StringLiteral Str(string s)
    {
        var expanded = s.Length == 0 ? null : CorpusEntityLoader.Expand(s);
        return new StringLiteral(s, expanded == s ? null : expanded);
    }

    private static readonly Gen<Literal> Numbers =
        from n in Gen.Choose(-500, 500)
        from scale in Gen.Choose(0, 2)
        select (Literal)NumberLiteral.Of(n / (decimal)Math.Pow(10, scale));

    private static readonly Gen<Literal> Literals = Gen.OneOf(
        Numbers,
        Gen.Elements("free", "Holstentor car park", "say \"hi\"", "back\\slash", "a,b;c|d)", "2026-11-20").Select(s => (Literal)Str(s)),
        Gen.Elements(true, false).Select(b => (Literal)new BooleanLiteral(b)),
        Gen.Choose(0, 100000).Select(m => (Literal)new DateTimeLiteral(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(m * 7))),
        Gen.Choose(0, 3000).Select(d => (Literal)new DateLiteral(new DateOnly(2020, 1, 1).AddDays(d))),
        Gen.Choose(0, 86399).Select(s => (Literal)new TimeLiteral(TimeOnly.FromTimeSpan(TimeSpan.FromSeconds(s)))),
        Gen.Elements("urn:ngsi-ld:Device:aq-01", "urn:ngsi-ld:OnStreetParking:Holstenstrasse").Select(u => (Literal)new UriLiteral(u)));

    private static readonly Gen<Operand> Operands = Gen.OneOf(
        Literals.Select(l => (Operand)new SingleValueOperand(l)),
        from a in Numbers from b in Numbers select (Operand)new RangeOperand(a, b),
        Gen.NonEmptyListOf(Literals).Select(l => (Operand)new ValueListOperand(l.Count == 1 ? [l[0], l[0]] : l.ToArray())));

    private static readonly Gen<QueryExpression> Leaves = Gen.OneOf(
        Paths.Select(p => (QueryExpression)new ExistsExpression(p)),
        Paths.Select(p => (QueryExpression)new NotExistsExpression(p)),
        from p in Paths
        from op in Gen.Elements(Enum.GetValues<ComparisonOperator>())
        from operand in Operands
        select (QueryExpression)new ComparisonExpression(p, op, op is ComparisonOperator.Equal or ComparisonOperator.NotEqual ? operand : new SingleValueOperand(operand is SingleValueOperand s ? s.Value : NumberLiteral.Of(1m))),
        from p in Paths
        from pattern in Gen.Elements("^f", "(?i)holstentor", "a|b", "x;y")
        from negated in Gen.Elements(true, false)
        select (QueryExpression)new PatternExpression(p, new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.None, QueryParser.DefaultRegexTimeout), negated));

    private static Gen<QueryExpression> Expressions(int depth, bool underOr) => depth == 0
        ? Leaves
        : Gen.OneOf(
            Leaves,
            Gen.Choose(2, 3).SelectMany(n => Gen.ListOf(Expressions(depth - 1, false), n)).Select(l => (QueryExpression)new AndExpression(l.ToArray())),
            underOr
                ? Leaves
                : Gen.Choose(2, 3).SelectMany(n => Gen.ListOf(Expressions(depth - 1, true), n)).Select(l => (QueryExpression)new OrExpression(l.ToArray())));

    [Fact]
    public void Printing_and_parsing_again_gives_the_same_expression()
    {
        Prop.ForAll(Expressions(3, false).ToArbitrary(), expression =>
        {
            var text = QueryParser.Print(expression, Compact);
            var parsed = QueryParser.Parse(text, CorpusEntityLoader.Expand);
            return parsed.Success && Same(expression, parsed.Value!);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Not_equal_is_exists_and_not_equal_on_every_corpus_entity()
    {
        var comparisons =
            from p in Paths
            from operand in Operands
            select (p, operand);
        Prop.ForAll(comparisons.ToArbitrary(), c =>
        {
            foreach (var entity in Corpus.Value)
            {
                var equal = QueryEvaluator.Matches(entity, new ComparisonExpression(c.p, ComparisonOperator.Equal, c.operand));
                var notEqual = QueryEvaluator.Matches(entity, new ComparisonExpression(c.p, ComparisonOperator.NotEqual, c.operand));
                var exists = QueryEvaluator.Matches(entity, new ExistsExpression(c.p));
                if (notEqual != (exists && !equal) || (equal && !exists))
                    return false;
                if (exists == QueryEvaluator.Matches(entity, new NotExistsExpression(c.p)))
                    return false;
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Reversed_ordering_is_the_negation_on_single_numbers()
    {
        var cases =
            from name in Gen.Elements("width", "availableSpotNumber", "lanternHeight", "batteryLevel", "totalSpotNumber", "averageVehicleSpeed")
            from op in Gen.Elements(ComparisonOperator.Greater, ComparisonOperator.GreaterOrEqual, ComparisonOperator.Less, ComparisonOperator.LessOrEqual)
            from literal in Numbers
            select (AttributePath.Of(CorpusEntityLoader.Expand(name)), op, literal);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (path, op, literal) = c;
            foreach (var entity in Corpus.Value)
            {
                var instances = entity.Attributes.Get(path.Attribute);
                if (instances is not [{ Value: System.Text.Json.Nodes.JsonValue v }] || v.GetValueKind() != System.Text.Json.JsonValueKind.Number)
                    continue;
                var direct = QueryEvaluator.Matches(entity, new ComparisonExpression(path, op, new SingleValueOperand(literal)));
                var reversed = QueryEvaluator.Matches(entity, new ComparisonExpression(path, op.Reverse(), new SingleValueOperand(literal)));
                if (direct == reversed)
                    return false;
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    private static bool Same(QueryExpression a, QueryExpression b) => (a, b) switch
    {
        (AndExpression x, AndExpression y) => x.Operands.Count == y.Operands.Count && x.Operands.Zip(y.Operands).All(p => Same(p.First, p.Second)),
        (OrExpression x, OrExpression y) => x.Operands.Count == y.Operands.Count && x.Operands.Zip(y.Operands).All(p => Same(p.First, p.Second)),
        (ComparisonExpression x, ComparisonExpression y) => x.Path == y.Path && x.Operator == y.Operator && SameOperand(x.Operand, y.Operand),
        _ => a.Equals(b),
    };

    private static bool SameOperand(Operand a, Operand b) => (a, b) switch
    {
        (SingleValueOperand x, SingleValueOperand y) => x.Value.Equals(y.Value),
        (RangeOperand x, RangeOperand y) => x.Min.Equals(y.Min) && x.Max.Equals(y.Max),
        (ValueListOperand x, ValueListOperand y) => x.Equals(y),
        _ => false,
    };
}
