using Broker.Query.Ast;

namespace Broker.Query.Parsing;

/// <summary>Parser of the entity type selection language (clause 4.17).</summary>
/// <remarks>
/// Grammar (<c>;</c> binds tighter than <c>,</c> and <c>|</c>, which both mean or):
/// <code>
/// Selector = Or
/// Or       = And *( ( "," / "|" ) And )
/// And      = Term *( ";" Term )
/// Term     = "(" Or ")" / TypeName
/// TypeName = 1*( any char except "," "|" ";" "(" ")" )    ; expanded through the @context
/// </code>
/// </remarks>
public static class TypeSelectorParser
{
    public static ParseResult<TypeSelector> Parse(string text, Func<string, string> expandTerm)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(expandTerm);
        var parser = new Parser(text, expandTerm);
        try
        {
            var selector = parser.ParseOr();
            if (!parser.Cursor.AtEnd)
                throw parser.Fail(ParseMessages.ExpectedLogicalOrEnd);
            return ParseResult<TypeSelector>.Ok(selector);
        }
        catch (ParseFailure failure)
        {
            return ParseResult<TypeSelector>.Fail(failure.Error);
        }
    }

    private sealed class Parser(string text, Func<string, string> expandTerm)
    {
        public Cursor Cursor = new(text);

        public ParseFailure Fail(string expected) =>
            new(ParseMessages.Error(ParseMessages.Type, Cursor.Position, expected, Cursor.Found));

        public TypeSelector ParseOr()
        {
            var first = ParseAnd();
            if (Cursor.Current is not (',' or '|'))
                return first;
            var operands = new List<TypeSelector> { first };
            while (Cursor.TryConsume(',') || Cursor.TryConsume('|'))
                operands.Add(ParseAnd());
            return new TypeOr(operands);
        }

        private TypeSelector ParseAnd()
        {
            var first = ParseTerm();
            if (Cursor.Current != ';')
                return first;
            var operands = new List<TypeSelector> { first };
            while (Cursor.TryConsume(';'))
                operands.Add(ParseTerm());
            return new TypeAnd(operands);
        }

        private TypeSelector ParseTerm()
        {
            if (Cursor.TryConsume('('))
            {
                var inner = ParseOr();
                if (!Cursor.TryConsume(')'))
                    throw Fail(ParseMessages.ExpectedCloseParen);
                return inner;
            }
            var start = Cursor.Position;
            while (!Cursor.AtEnd && Cursor.Current is not (',' or '|' or ';' or '(' or ')') && !char.IsWhiteSpace(Cursor.Current))
                Cursor.Position++;
            if (Cursor.Position == start)
                throw Fail(ParseMessages.ExpectedTypeName);
            return new TypeName(expandTerm(Cursor.Text[start..Cursor.Position]));
        }
    }
}
