using System.Text;
using System.Text.RegularExpressions;
using Broker.Query.Ast;

namespace Broker.Query.Parsing;

/// <summary>
/// Parser of the NGSI-LD query language q (clause 4.9), recursive descent over a <see cref="Cursor"/>.
/// </summary>
/// <remarks>
/// Grammar (after URL decoding; <c>;</c> binds tighter than <c>|</c>, as in Stellio and Orion-LD):
/// <code>
/// Query      = Or
/// Or         = And *( "|" And )
/// And        = Term *( ";" Term )
/// Term       = "(" Or ")" / "!" Path / Path [ Op Operand ] / Path PatOp Regex
/// Path       = Name *( "." Name ) *( "[" Member *( "." Member ) "]" )   ; a[b.c] (clause 4.9) and a[b][c] are the same path
/// Name       = 1*( ALPHA / DIGIT / "_" / "-" / ":" / "/" )    ; expanded through the @context, except observedAt,
///                                                               ; createdAt, modifiedAt, unitCode, datasetId after a "."
/// Member     = 1*( any char except "]" and "." )              ; not expanded; "*" after a LanguageProperty means any language
/// Op         = "==" / "!=" / ">=" / ">" / "&lt;=" / "&lt;"
/// PatOp      = "~=" / "!~="
/// Operand    = Value [ ".." Value ] / Value 1*( "," Value )   ; ranges and lists only with == and !=
/// Value      = quotedStr / Number / dateTime / date / time / "true" / "false" / URI   ; bare words are rejected (no expandValues)
/// quotedStr  = DQUOTE *( char / "\" DQUOTE / "\\" ) DQUOTE
/// Regex      = quotedStr / *char                              ; unquoted: up to a ";" or an unbalanced ")" outside
///                                                               ; brackets and escapes, or the end ("|" belongs to the regex)
/// </code>
/// </remarks>
public static class QueryParser
{
    /// <summary>Default match timeout of regular expressions in <c>~=</c>.</summary>
    public static readonly TimeSpan DefaultRegexTimeout = TimeSpan.FromMilliseconds(100);

    public static ParseResult<QueryExpression> Parse(string text, Func<string, string> expandTerm) =>
        Parse(text, expandTerm, DefaultRegexTimeout);

    public static ParseResult<QueryExpression> Parse(string text, Func<string, string> expandTerm, TimeSpan regexTimeout)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(expandTerm);
        if (text.Length > ParseMessages.MaxExpressionLength)
            return ParseResult<QueryExpression>.Fail(ParseMessages.TooLong(ParseMessages.Q, text.Length));
        var parser = new Parser(text, expandTerm, regexTimeout);
        try
        {
            if (text.Length == 0)
                throw parser.Fail(ParseMessages.ExpectedNonEmpty);
            var expression = parser.ParseOr();
            if (!parser.Cursor.AtEnd)
                throw parser.Fail(parser.LastWasPath ? ParseMessages.ExpectedOperatorOrLogical : ParseMessages.ExpectedLogicalOrEnd);
            return ParseResult<QueryExpression>.Ok(expression);
        }
        catch (ParseFailure failure)
        {
            return ParseResult<QueryExpression>.Fail(failure.Error);
        }
    }

    /// <summary>Parses an attribute path on its own (used for attrs-like parameters and tests).</summary>
    public static ParseResult<AttributePath> ParsePath(string text, Func<string, string> expandTerm)
    {
        var parser = new Parser(text, expandTerm, DefaultRegexTimeout);
        try
        {
            var path = parser.ParsePath();
            if (!parser.Cursor.AtEnd)
                throw parser.Fail(ParseMessages.ExpectedLogicalOrEnd);
            return ParseResult<AttributePath>.Ok(path);
        }
        catch (ParseFailure failure)
        {
            return ParseResult<AttributePath>.Fail(failure.Error);
        }
    }

    private sealed class Parser(string text, Func<string, string> expandTerm, TimeSpan regexTimeout)
    {
        public Cursor Cursor = new(text);
        public bool LastWasPath;

        public ParseFailure Fail(string expected) =>
            new(ParseMessages.Error(ParseMessages.Q, Cursor.Position, expected, Cursor.Found));

        public QueryExpression ParseOr()
        {
            var first = ParseAnd();
            if (Cursor.Current != '|')
                return first;
            var operands = new List<QueryExpression> { first };
            while (Cursor.TryConsume('|'))
                operands.Add(ParseAnd());
            return new OrExpression(operands);
        }

        private QueryExpression ParseAnd()
        {
            var first = ParseTerm();
            if (Cursor.Current != ';')
                return first;
            var operands = new List<QueryExpression> { first };
            while (Cursor.TryConsume(';'))
                operands.Add(ParseTerm());
            return new AndExpression(operands);
        }

        private QueryExpression ParseTerm()
        {
            LastWasPath = false;
            if (Cursor.TryConsume('('))
            {
                var inner = ParseOr();
                if (!Cursor.TryConsume(')'))
                    throw Fail(LastWasPath ? ParseMessages.ExpectedOperatorOrLogical + " or ')'" : ParseMessages.ExpectedCloseParen);
                LastWasPath = false;
                return inner;
            }
            if (Cursor.Current == '!' && Cursor.Peek(1) != '=' && Cursor.Peek(1) != '~')
            {
                Cursor.Position++;
                var negated = ParsePath();
                LastWasPath = false;
                return new NotExistsExpression(negated);
            }
            var path = ParsePath();
            if (Cursor.TryConsume("!~="))
                return new PatternExpression(path, ParseRegex(), Negated: true);
            if (Cursor.TryConsume("~="))
                return new PatternExpression(path, ParseRegex(), Negated: false);
            var operatorStart = Cursor.Position;
            ComparisonOperator? op =
                Cursor.TryConsume("==") ? ComparisonOperator.Equal
                : Cursor.TryConsume("!=") ? ComparisonOperator.NotEqual
                : Cursor.TryConsume(">=") ? ComparisonOperator.GreaterOrEqual
                : Cursor.TryConsume("<=") ? ComparisonOperator.LessOrEqual
                : Cursor.TryConsume('>') ? ComparisonOperator.Greater
                : Cursor.TryConsume('<') ? ComparisonOperator.Less
                : null;
            if (op is null)
            {
                LastWasPath = true;
                return new ExistsExpression(path);
            }
            var operand = ParseOperand();
            if (operand is not SingleValueOperand && op is not (ComparisonOperator.Equal or ComparisonOperator.NotEqual))
            {
                Cursor.Position = operatorStart;
                throw Fail(ParseMessages.ExpectedNoListOrRange);
            }
            return new ComparisonExpression(path, op.Value, operand);
        }

        private static bool IsNameChar(char c) =>
            char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or ':' or '/';

        private string ParseName()
        {
            var start = Cursor.Position;
            while (!Cursor.AtEnd && IsNameChar(Cursor.Current))
                Cursor.Position++;
            if (Cursor.Position == start)
                throw Fail(ParseMessages.ExpectedAttribute);
            return Cursor.Text[start..Cursor.Position];
        }

        public AttributePath ParsePath()
        {
            var start = Cursor.Position;
            var attribute = expandTerm(ParseName());
            List<string>? subAttributes = null;
            while (Cursor.TryConsume('.'))
            {
                var name = ParseName();
                (subAttributes ??= []).Add(SpecialMembers.IsSpecial(name) ? name : expandTerm(name));
            }
            List<string>? members = null;
            while (Cursor.TryConsume('['))
            {
                do
                {
                    var memberStart = Cursor.Position;
                    while (!Cursor.AtEnd && Cursor.Current is not (']' or '.'))
                        Cursor.Position++;
                    if (Cursor.Position == memberStart)
                        throw Fail(ParseMessages.ExpectedAttribute);
                    (members ??= []).Add(Cursor.Text[memberStart..Cursor.Position]);
                }
                while (Cursor.TryConsume('.'));
                if (!Cursor.TryConsume(']'))
                    throw Fail(ParseMessages.ExpectedCloseBracket);
            }
            return new AttributePath(attribute, subAttributes ?? [], members ?? [], Cursor.Text[start..Cursor.Position]);
        }

        private Operand ParseOperand()
        {
            var first = ParseValue();
            if (Cursor.TryConsume(".."))
            {
                var maxStart = Cursor.Position;
                var second = ParseValue();
                if (!SameKind(first, second))
                {
                    Cursor.Position = maxStart;
                    throw Fail(ParseMessages.ExpectedSameKindRange);
                }
                return new RangeOperand(first, second);
            }
            if (Cursor.Current != ',')
                return new SingleValueOperand(first);
            var values = new List<Literal> { first };
            while (Cursor.TryConsume(','))
                values.Add(ParseValue());
            return new ValueListOperand(values);
        }

        private static bool SameKind(Literal a, Literal b) =>
            a.GetType() == b.GetType() && a is NumberLiteral or StringLiteral or DateTimeLiteral or DateLiteral or TimeLiteral;

        private Literal ParseValue()
        {
            var start = Cursor.Position;
            if (Cursor.Current == '"')
            {
                var value = ParseQuoted();
                var expanded = value.Length == 0 ? null : expandTerm(value);
                return new StringLiteral(value, expanded == value ? null : expanded);
            }
            while (!Cursor.AtEnd && Cursor.Current is not (';' or '|' or ')' or ',') && !Cursor.StartsWith(".."))
                Cursor.Position++;
            var token = Cursor.Text[start..Cursor.Position];
            var literal = token.Length == 0 ? null : LiteralParser.Classify(token);
            if (literal is null)
            {
                Cursor.Position = start;
                throw Fail(token.Length == 0 ? ParseMessages.ExpectedValue : ParseMessages.ExpectedComparableValue);
            }
            return literal;
        }

        private string ParseQuoted()
        {
            var open = Cursor.Position;
            Cursor.Position++;
            var builder = new StringBuilder();
            while (!Cursor.AtEnd && Cursor.Current != '"')
            {
                if (Cursor.Current == '\\' && Cursor.Peek(1) is '"' or '\\')
                    Cursor.Position++;
                builder.Append(Cursor.Current);
                Cursor.Position++;
            }
            if (!Cursor.TryConsume('"'))
                throw new ParseFailure(ParseMessages.Error(ParseMessages.Q, Cursor.Position, ParseMessages.ExpectedClosingQuote, $"the end (string opened at position {open})"));
            return builder.ToString();
        }

        private Regex ParseRegex()
        {
            var start = Cursor.Position;
            string pattern;
            if (Cursor.Current == '"')
            {
                pattern = ParseQuoted();
            }
            else
            {
                var depth = 0;
                var inClass = false;
                while (!Cursor.AtEnd)
                {
                    var c = Cursor.Current;
                    if (c == '\\')
                    {
                        Cursor.Position += 2;
                        continue;
                    }
                    if (inClass)
                    {
                        if (c == ']')
                            inClass = false;
                    }
                    else if (c == '[')
                    {
                        inClass = true;
                    }
                    else if (c == '(')
                    {
                        depth++;
                    }
                    else if (c == ')')
                    {
                        if (depth == 0)
                            break;
                        depth--;
                    }
                    else if (c == ';' && depth == 0)
                    {
                        break;
                    }
                    Cursor.Position++;
                }
                if (Cursor.Position > Cursor.Text.Length)
                    Cursor.Position = Cursor.Text.Length;
                pattern = Cursor.Text[start..Cursor.Position];
            }
            if (pattern.Length == 0)
            {
                Cursor.Position = start;
                throw Fail(ParseMessages.ExpectedRegex);
            }
            try
            {
                return new Regex(pattern, RegexOptions.None, regexTimeout);
            }
            catch (ArgumentException e)
            {
                throw new ParseFailure(ParseMessages.Invalid(ParseMessages.Q, start, ParseMessages.ExpectedRegex, e.Message.TrimEnd('.')));
            }
        }
    }

    /// <summary>Writes a q expression in the syntax <see cref="Parse(string, Func{string, string})"/> reads, with the given compaction of IRIs.</summary>
    public static string Print(QueryExpression expression, Func<string, string> compactIri)
    {
        var builder = new StringBuilder();
        Print(builder, expression, compactIri, parentIsAnd: false);
        return builder.ToString();
    }

    private static void Print(StringBuilder builder, QueryExpression expression, Func<string, string> compactIri, bool parentIsAnd)
    {
        switch (expression)
        {
            case OrExpression or:
                if (parentIsAnd)
                    builder.Append('(');
                for (var i = 0; i < or.Operands.Count; i++)
                {
                    if (i > 0)
                        builder.Append('|');
                    Print(builder, or.Operands[i], compactIri, parentIsAnd: false);
                }
                if (parentIsAnd)
                    builder.Append(')');
                break;
            case AndExpression and:
                builder.Append('(');
                for (var i = 0; i < and.Operands.Count; i++)
                {
                    if (i > 0)
                        builder.Append(';');
                    Print(builder, and.Operands[i], compactIri, parentIsAnd: true);
                }
                builder.Append(')');
                break;
            case ExistsExpression exists:
                PrintPath(builder, exists.Path, compactIri);
                break;
            case NotExistsExpression notExists:
                builder.Append('!');
                PrintPath(builder, notExists.Path, compactIri);
                break;
            case PatternExpression pattern:
                PrintPath(builder, pattern.Path, compactIri);
                builder.Append(pattern.Negated ? "!~=" : "~=");
                LiteralParser.Print(builder, new StringLiteral(pattern.Pattern.ToString()));
                break;
            case ComparisonExpression comparison:
                PrintPath(builder, comparison.Path, compactIri);
                builder.Append(comparison.Operator.Symbol());
                switch (comparison.Operand)
                {
                    case SingleValueOperand single: LiteralParser.Print(builder, single.Value); break;
                    case RangeOperand range:
                        LiteralParser.Print(builder, range.Min);
                        builder.Append("..");
                        LiteralParser.Print(builder, range.Max);
                        break;
                    case ValueListOperand list:
                        for (var i = 0; i < list.Values.Count; i++)
                        {
                            if (i > 0)
                                builder.Append(',');
                            LiteralParser.Print(builder, list.Values[i]);
                        }
                        break;
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(expression));
        }
    }

    private static void PrintPath(StringBuilder builder, AttributePath path, Func<string, string> compactIri)
    {
        builder.Append(compactIri(path.Attribute));
        foreach (var sub in path.SubAttributes)
            builder.Append('.').Append(SpecialMembers.IsSpecial(sub) ? sub : compactIri(sub));
        foreach (var member in path.Members)
            builder.Append('[').Append(member).Append(']');
    }
}
