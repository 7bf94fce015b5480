using Broker.Query.Parsing;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Broker.Tests.Query;

/// <summary>Parsers never throw on bad input: random text over the languages' alphabets.</summary>
public sealed class ParserRobustnessTests
{
    private static readonly Gen<string> Text =
        Gen.Elements("a", "b.c", "[", "]", "(", ")", ";", "|", ",", "!", "=", "==", "~=", ">", "<", "..", "\"", "\\", "1", "-2.5e3",
                "2026-11-20", "T", ":", "Z", "urn:x", "/", "#", "+", " ", "near", "maxDistance", "[10,53]", "%5B", "\u00fc", "*")
            .ListOf()
            .Select(parts => string.Concat(parts));

    [Fact]
    public void No_parser_throws_and_every_failure_has_a_position_inside_the_text()
    {
        Prop.ForAll(Text.ToArbitrary(), text =>
        {
            var q = QueryParser.Parse(text, CorpusEntityLoader.Expand);
            var scope = ScopeQueryParser.Parse(text);
            var type = TypeSelectorParser.Parse(text, CorpusEntityLoader.Expand);
            var geo = GeoQueryParser.Parse(text, "Polygon", text, null, CorpusEntityLoader.Expand);
            return Consistent(q.Success, q.Value, q.Error, text)
                && Consistent(scope.Success, scope.Value, scope.Error, text)
                && Consistent(type.Success, type.Value, type.Error, text)
                && Consistent(geo.Success, geo.Value, geo.Error, text);
        }).QuickCheckThrowOnFailure();
    }

    private static bool Consistent(bool success, object? value, ParseError? error, string text) =>
        success ? value is not null && error is null
            : value is null && error is not null && error.Position >= 0 && error.Position <= text.Length && error.Message.Length > 0;
}
