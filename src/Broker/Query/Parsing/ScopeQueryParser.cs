using Broker.Query.Ast;

namespace Broker.Query.Parsing;

/// <summary>Parser of the scope query language scopeQ (clause 4.19).</summary>
/// <remarks>
/// Grammar (<c>;</c> binds tighter than <c>,</c>; <c>|</c> is accepted as a synonym of <c>,</c>):
/// <code>
/// ScopeQ  = Or
/// Or      = And *( ( "," / "|" ) And )
/// And     = Term *( ";" Term )
/// Term    = "(" Or ")" / Scope
/// Scope   = "/#" / 1*( "/" Level ) [ "/#" ]
/// Level   = "+" / 1*( any char except "/" "," ";" "|" "(" ")" "#" "+" )
/// </code>
/// </remarks>
public static class ScopeQueryParser
{
    public static ParseResult<ScopeExpression> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > ParseMessages.MaxExpressionLength)
            return ParseResult<ScopeExpression>.Fail(ParseMessages.TooLong(ParseMessages.ScopeQ, text.Length));
        var parser = new Parser(text);
        try
        {
            var expression = parser.ParseOr();
            if (!parser.Cursor.AtEnd)
                throw parser.Fail(ParseMessages.ExpectedLogicalOrEnd.Replace("'|'", "','", StringComparison.Ordinal));
            return ParseResult<ScopeExpression>.Ok(expression);
        }
        catch (ParseFailure failure)
        {
            return ParseResult<ScopeExpression>.Fail(failure.Error);
        }
    }

    private sealed class Parser(string text)
    {
        public Cursor Cursor = new(text);

        public ParseFailure Fail(string expected) =>
            new(ParseMessages.Error(ParseMessages.ScopeQ, Cursor.Position, expected, Cursor.Found));

        public ScopeExpression ParseOr()
        {
            var first = ParseAnd();
            if (Cursor.Current is not (',' or '|'))
                return first;
            var operands = new List<ScopeExpression> { first };
            while (Cursor.TryConsume(',') || Cursor.TryConsume('|'))
                operands.Add(ParseAnd());
            return new ScopeOr(operands);
        }

        private ScopeExpression ParseAnd()
        {
            var first = ParseTerm();
            if (Cursor.Current != ';')
                return first;
            var operands = new List<ScopeExpression> { first };
            while (Cursor.TryConsume(';'))
                operands.Add(ParseTerm());
            return new ScopeAnd(operands);
        }

        private ScopeExpression ParseTerm()
        {
            if (Cursor.TryConsume('('))
            {
                var inner = ParseOr();
                if (!Cursor.TryConsume(')'))
                    throw Fail(ParseMessages.ExpectedCloseParen);
                return inner;
            }
            if (Cursor.Current != '/' || Cursor.AtEnd)
                throw Fail(ParseMessages.ExpectedScope);
            var segments = new List<string>();
            while (Cursor.TryConsume('/'))
            {
                if (Cursor.TryConsume('#'))
                {
                    segments.Add(ScopePattern.AnyLevels);
                    break;
                }
                if (Cursor.TryConsume('+'))
                {
                    segments.Add(ScopePattern.OneLevel);
                    continue;
                }
                var start = Cursor.Position;
                while (!Cursor.AtEnd && Cursor.Current is not ('/' or ',' or ';' or '|' or '(' or ')' or '#' or '+'))
                    Cursor.Position++;
                if (Cursor.Position == start)
                    throw Fail(ParseMessages.ExpectedScopeSegment);
                segments.Add(Cursor.Text[start..Cursor.Position]);
            }
            return new ScopePattern(segments);
        }
    }
}
