using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Broker.Query.Ast;
using Broker.Query.Parsing;
using Ontology.Model;

namespace Broker.Query.Evaluation;

/// <summary>
/// The in-memory evaluation of q (clause 4.9): the reference semantics of the broker. Subscriptions use it, and every
/// store's SQL translation is checked against it.
/// </summary>
/// <remarks>
/// <para><b>Targets.</b> A path resolves to a bag of target values, pooled over everything it reaches:</para>
/// <list type="bullet">
/// <item>every instance of a multi-instance attribute (clause 4.5.5, datasetId): a term matches if any instance matches;</item>
/// <item>sub-attributes <c>a.b.c</c> (clause 4.9 attrPathName), each level over all its instances; the last segment may be
/// observedAt, createdAt, modifiedAt, unitCode or datasetId, which name the member of the instance, not a sub-attribute;</item>
/// <item><c>createdAt</c> / <c>modifiedAt</c> as the whole path name the entity's own timestamps;</item>
/// <item>the value of an instance by kind (clause 4.5): Property, GeoProperty and JsonProperty their value; Relationship its
/// <c>object</c> (clause 4.9: "the object of the Relationship"); ListProperty the elements of <c>valueList</c>; ListRelationship
/// the elements of <c>objectList</c>; VocabProperty the expanded <c>vocab</c>; LanguageProperty the string of every language
/// (a term matches if any language matches, as with <c>name[*]</c>), while <c>name[en]</c> selects the language <c>en</c> only;</item>
/// <item>compound members <c>a[b.c]</c> (the spec's form) or <c>a[b][c]</c> index into the JSON value (clause 4.9: an ECMA 262
/// member expression; an undefined result means the target does not exist); a member applied to an array applies to each
/// element that is an object;</item>
/// <item>a value that is an array contributes its elements (one level): <c>==</c> and the orderings match if any element
/// matches; a JSON-LD value object <c>{"@value": ...}</c> contributes its @value; JSON null contributes nothing.</item>
/// </list>
/// <para><b>Terms.</b></para>
/// <list type="bullet">
/// <item><c>a</c> is true when the path names something present (an attribute instance, a sub-attribute, a special member
/// with a value, a member of the JSON value), whatever its value, even an empty list; <c>!a</c> is its negation.</item>
/// <item><c>==</c>, <c>&gt;</c>, <c>&gt;=</c>, <c>&lt;</c>, <c>&lt;=</c>, <c>~=</c>: true when some target compares true.
/// An absent path or a type mismatch (a number against a string, a boolean ordered) makes that comparison false, never an error.</item>
/// <item><c>a!=v</c> is exactly "<c>a</c> exists and <c>a==v</c> is false": so a list or array matches
/// <c>!=</c> only when none of its elements equals v (or any value of a value list, or lies in the range), an absent attribute never
/// matches, and a value of another type does match (5 != "open"), as clause 4.9 says ("if the data type of the target value and
/// the data type of the Query Term value are different, then they shall be considered unequal"). Hence q=a==v and q=a!=v
/// partition q=a.</item>
/// <item><c>~=</c> matches when some string target matches; <c>!~=</c> when there is at least one string target and none
/// matches: clause 4.9 says a target that is not a String does not match either pattern operator.</item>
/// <item>Relationship and ListRelationship objects only take part in <c>==</c>, <c>!=</c> and the pattern operators; with
/// <c>&gt;</c>, <c>&gt;=</c>, <c>&lt;</c>, <c>&lt;=</c> they do not match (clause 4.9). Their sub-attributes and special members
/// (e.g. <c>rel.observedAt</c>) compare normally.</item>
/// <item>Ranges <c>x..y</c> include both ends.</item>
/// </list>
/// <para><b>Comparing.</b> Numbers numerically (decimal when both sides are exact, else double). Strings by Unicode code
/// point, culture-free (clause 4.9 refers to RFC 8259 section 8.3; the optional Unicode Collation Algorithm is not used). A date-time literal compares with a target string that parses as an ISO 8601
/// date-time, as instants; a date literal with a date (or the UTC date of a date-time); a time literal with a time of day.
/// A URI or string literal equals a string target with the same characters (so relationship objects match both
/// <c>rel==urn:x</c> and <c>rel=="urn:x"</c>). Against a VocabProperty a string literal is compared in its expanded form
/// (the vocab is stored expanded, clause 4.5.20). Booleans only with == and !=.</para>
/// <para><b>Regular expressions</b> run with the match timeout set when parsing; a timeout is raised as
/// <see cref="QueryTimeoutException"/>.</para>
/// </remarks>
public static class QueryEvaluator
{
    public static bool Matches(Entity entity, QueryExpression q)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(q);
        switch (q)
        {
            case AndExpression and:
                for (var i = 0; i < and.Operands.Count; i++)
                {
                    if (!Matches(entity, and.Operands[i]))
                        return false;
                }
                return true;
            case OrExpression or:
                for (var i = 0; i < or.Operands.Count; i++)
                {
                    if (Matches(entity, or.Operands[i]))
                        return true;
                }
                return false;
            case ExistsExpression exists:
                return Exists(entity, exists.Path);
            case NotExistsExpression notExists:
                return !Exists(entity, notExists.Path);
            case ComparisonExpression comparison:
                if (IsNumberTerm(comparison) && entity.Attributes.Get(comparison.Path.Attribute) is { } compared)
                    return CompareNumber(compared, comparison, (NumberLiteral)((SingleValueOperand)comparison.Operand).Value);
                if (comparison.Operator == ComparisonOperator.NotEqual)
                    return Exists(entity, comparison.Path) && !AnyEqual(Resolve(entity, comparison.Path), comparison.Operand);
                return Compare(Resolve(entity, comparison.Path), comparison.Operator, comparison.Operand);
            case PatternExpression pattern:
                var strings = Resolve(entity, pattern.Path);
                if (pattern.Negated)
                    return AnyString(strings) && !AnyMatch(strings, pattern.Pattern);
                return AnyMatch(strings, pattern.Pattern);
            default:
                throw new ArgumentOutOfRangeException(nameof(q));
        }
    }

    /// <summary>
    /// Whether the path names something that is there: an attribute instance, a sub-attribute, a special member with a
    /// value, or a member of the JSON value (whatever its value, even an empty list).
    /// </summary>
    internal static bool Exists(Entity entity, AttributePath path)
    {
        var instances = entity.Attributes.Get(path.Attribute);
        if (instances is null)
        {
            return path.SubAttributes.Count == 0 && path.Members.Count == 0
                && ((path.Attribute == NgsiLd.CreatedAt && entity.CreatedAt != default)
                    || (path.Attribute == NgsiLd.ModifiedAt && entity.ModifiedAt != default));
        }
        for (var i = 0; i < instances.Count; i++)
        {
            if (ExistsIn(instances[i], path, 0))
                return true;
        }
        return false;
    }

    private static bool ExistsIn(AttributeInstance instance, AttributePath path, int depth)
    {
        if (depth < path.SubAttributes.Count)
        {
            var segment = path.SubAttributes[depth];
            if (SpecialMembers.IsSpecial(segment) && !instance.SubAttributes.Contains(segment))
            {
                var targets = new List<Target>(1);
                Collect(instance, path, depth, targets);
                return targets.Count > 0;
            }
            var subInstances = instance.SubAttributes.Get(segment);
            if (subInstances is null)
                return false;
            for (var i = 0; i < subInstances.Count; i++)
            {
                if (ExistsIn(subInstances[i], path, depth + 1))
                    return true;
            }
            return false;
        }
        if (path.Members.Count == 0)
            return true;
        if (instance.Kind == AttributeKind.LanguageProperty && path.Members[0] == AnyLanguage && instance.Value is JsonObject languageMap)
        {
            foreach (var (_, text) in languageMap)
            {
                if (MemberExists(text, path.Members, 1))
                    return true;
            }
            return false;
        }
        return MemberExists(instance.Value, path.Members, 0);
    }

    /// <summary><c>name[*]</c>: any language of a LanguageProperty (clause 4.9).</summary>
    private const string AnyLanguage = "*";

    private static bool MemberExists(JsonNode? node, IReadOnlyList<string> members, int index)
    {
        if (node is null)
            return false;
        if (index == members.Count)
            return true;
        switch (node)
        {
            case JsonObject obj:
                return obj.TryGetPropertyValue(members[index], out var child) && MemberExists(child, members, index + 1);
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonObject element && MemberExists(element, members, index))
                        return true;
                }
                return false;
            default:
                return false;
        }
    }

    /// <summary>A target value, whether it came from a VocabProperty and whether it is a relationship object.</summary>
    internal readonly record struct Target(JsonNode Value, bool IsVocab, bool IsObject = false);

    internal static List<Target> Resolve(Entity entity, AttributePath path)
    {
        var targets = new List<Target>();
        if (path.SubAttributes.Count == 0 && path.Members.Count == 0 && !entity.Attributes.Contains(path.Attribute))
        {
            if (path.Attribute == NgsiLd.CreatedAt)
                targets.Add(new Target(Timestamp(entity.CreatedAt), false));
            else if (path.Attribute == NgsiLd.ModifiedAt)
                targets.Add(new Target(Timestamp(entity.ModifiedAt), false));
            return targets;
        }
        var instances = entity.Attributes.Get(path.Attribute);
        if (instances is null)
            return targets;
        for (var i = 0; i < instances.Count; i++)
            Collect(instances[i], path, 0, targets);
        return targets;
    }

    private static void Collect(AttributeInstance instance, AttributePath path, int depth, List<Target> targets)
    {
        if (depth < path.SubAttributes.Count)
        {
            var segment = path.SubAttributes[depth];
            if (SpecialMembers.IsSpecial(segment) && !instance.SubAttributes.Contains(segment))
            {
                if (depth != path.SubAttributes.Count - 1 || path.Members.Count > 0)
                    return;
                var member = segment switch
                {
                    SpecialMembers.ObservedAt => instance.ObservedAt is null ? null : JsonValue.Create(instance.ObservedAt),
                    SpecialMembers.UnitCode => instance.UnitCode is null ? null : JsonValue.Create(instance.UnitCode),
                    SpecialMembers.DatasetId => instance.DatasetId is null ? null : JsonValue.Create(instance.DatasetId),
                    SpecialMembers.CreatedAt => instance.CreatedAt == default ? null : Timestamp(instance.CreatedAt),
                    SpecialMembers.ModifiedAt => instance.ModifiedAt == default ? null : Timestamp(instance.ModifiedAt),
                    _ => null,
                };
                if (member is not null)
                    targets.Add(new Target(member, false));
                return;
            }
            var subInstances = instance.SubAttributes.Get(segment);
            if (subInstances is null)
                return;
            for (var i = 0; i < subInstances.Count; i++)
                Collect(subInstances[i], path, depth + 1, targets);
            return;
        }
        var value = instance.Value;
        if (value is null)
            return;
        if (instance.Kind == AttributeKind.LanguageProperty && (path.Members.Count == 0 || path.Members[0] == AnyLanguage))
        {
            if (value is JsonObject languageMap)
            {
                foreach (var (_, text) in languageMap)
                    CollectMembers(text, path.Members, path.Members.Count == 0 ? 0 : 1, targets);
            }
            return;
        }
        if (path.Members.Count == 0)
        {
            AddFlattened(value, instance.Kind == AttributeKind.VocabProperty,
                instance.Kind is AttributeKind.Relationship or AttributeKind.ListRelationship, targets);
            return;
        }
        CollectMembers(value, path.Members, 0, targets);
    }

    private static void CollectMembers(JsonNode? node, IReadOnlyList<string> members, int index, List<Target> targets)
    {
        if (node is null)
            return;
        if (index == members.Count)
        {
            AddFlattened(node, false, false, targets);
            return;
        }
        switch (node)
        {
            case JsonObject obj:
                if (obj.TryGetPropertyValue(members[index], out var child))
                    CollectMembers(child, members, index + 1, targets);
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonObject element)
                        CollectMembers(element, members, index, targets);
                }
                break;
        }
    }

    private static void AddFlattened(JsonNode? node, bool isVocab, bool isObject, List<Target> targets)
    {
        switch (node)
        {
            case null:
                return;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var element = Unwrap(array[i]);
                    if (element is not null)
                        targets.Add(new Target(element, isVocab, isObject));
                }
                return;
            default:
                var unwrapped = Unwrap(node);
                if (unwrapped is not null)
                    targets.Add(new Target(unwrapped, isVocab, isObject));
                return;
        }
    }

    private static JsonNode? Unwrap(JsonNode? node) =>
        node is JsonObject obj && obj.TryGetPropertyValue("@value", out var inner) ? inner : node;

    private static JsonValue Timestamp(DateTimeOffset value) =>
        JsonValue.Create(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));

    /// <summary>
    /// A comparison of a plain attribute with a number: the same result as resolving every target and comparing, but an
    /// instance whose value is a single JSON value is compared through its number, read once and kept with the instance.
    /// </summary>
    private static bool CompareNumber(List<AttributeInstance> instances, ComparisonExpression comparison, NumberLiteral number)
    {
        for (var i = 0; i < instances.Count; i++)
        {
            var instance = instances[i];
            if (NumberTargetOf(instance) is { } target)
            {
                if (Compare(in target, comparison.Operator, number))
                    return true;
                continue;
            }
            var targets = new List<Target>();
            Collect(instance, comparison.Path, 0, targets);
            if (Compare(targets, comparison.Operator, comparison.Operand))
                return true;
        }
        return false;
    }

    /// <summary>
    /// The comparison of a plain attribute with a number that decides <paramref name="q"/> when false: q itself or an
    /// operand of q's top-level AND. Null when there is none.
    /// </summary>
    internal static ComparisonExpression? NumberTerm(QueryExpression? q)
    {
        if (IsNumberTerm(q))
            return (ComparisonExpression)q!;
        if (q is AndExpression and)
        {
            for (var i = 0; i < and.Operands.Count; i++)
            {
                if (IsNumberTerm(and.Operands[i]))
                    return (ComparisonExpression)and.Operands[i];
            }
        }
        return null;
    }

    private static bool IsNumberTerm(QueryExpression? q) =>
        q is ComparisonExpression { Operator: not ComparisonOperator.NotEqual, Operand: SingleValueOperand { Value: NumberLiteral }, Path: { SubAttributes.Count: 0, Members.Count: 0 } };

    /// <summary>
    /// What the attribute of a <see cref="NumberTerm"/> offers to the comparison, read from the entity once so that an index
    /// can keep it; <see cref="NumberTargets.IsComplex"/> when some instance needs the general path (the term must then be
    /// evaluated on the entity).
    /// </summary>
    internal static NumberTargets NumberTargetsOf(Entity entity, string attribute)
    {
        var instances = entity.Attributes.Get(attribute);
        if (instances is null)
            return attribute is NgsiLd.CreatedAt or NgsiLd.ModifiedAt ? NumberTargets.Complex : default;
        if (instances.Count == 1)
            return NumberTargetOf(instances[0]) is { } single ? new NumberTargets(1, single, null) : NumberTargets.Complex;
        var rest = new NumberTarget[instances.Count - 1];
        NumberTarget first = default;
        for (var i = 0; i < instances.Count; i++)
        {
            if (NumberTargetOf(instances[i]) is not { } target)
                return NumberTargets.Complex;
            if (i == 0)
                first = target;
            else
                rest[i - 1] = target;
        }
        return new NumberTargets(instances.Count, first, rest);
    }

    /// <summary>Whether the <see cref="NumberTerm"/> holds for these targets (not complex): the same answer as <see cref="Matches"/> on the term.</summary>
    internal static bool Matches(in NumberTargets targets, ComparisonExpression term)
    {
        if (targets.Count <= 0)
            return false;
        var number = (NumberLiteral)((SingleValueOperand)term.Operand).Value;
        if (Compare(targets.First, term.Operator, number))
            return true;
        if (targets.Rest is { } rest)
        {
            foreach (var target in rest)
            {
                if (Compare(target, term.Operator, number))
                    return true;
            }
        }
        return false;
    }

    private static bool Compare(in NumberTarget target, ComparisonOperator op, NumberLiteral number)
    {
        // Relationship objects take part in == only (clause 4.9).
        if (!target.IsNumber || (op != ComparisonOperator.Equal && target.IsObject))
            return false;
        var order = number.Exact is { } exact && target.HasExact ? target.Exact.CompareTo(exact) : target.Approximate.CompareTo(number.Approximate);
        return op switch
        {
            ComparisonOperator.Equal => order == 0,
            ComparisonOperator.Greater => order > 0,
            ComparisonOperator.GreaterOrEqual => order >= 0,
            ComparisonOperator.Less => order < 0,
            ComparisonOperator.LessOrEqual => order <= 0,
            _ => false,
        };
    }

    /// <summary>The target of an instance whose value is a single JSON value; null when it needs the general path.</summary>
    private static NumberTarget? NumberTargetOf(AttributeInstance instance)
    {
        if (instance.Value is not JsonValue value || instance.Kind == AttributeKind.LanguageProperty || NumberOf(instance, value) is not { } cached)
            return null;
        return new NumberTarget(cached.IsNumber, cached.HasExact, cached.Exact, cached.Approximate, instance.Kind is AttributeKind.Relationship or AttributeKind.ListRelationship);
    }

    /// <summary>The number of a single JSON value, kept in <see cref="AttributeInstance.DerivedValue"/>; null when it cannot be cached.</summary>
    private static CachedNumber? NumberOf(AttributeInstance instance, JsonValue value)
    {
        if (instance.DerivedValue is CachedNumber cached)
            return cached;
        if (instance.DerivedValue is not null)
            return null;
        if (value.GetValueKind() != JsonValueKind.Number)
            cached = CachedNumber.NotANumber;
        else if (value.TryGetValue<double>(out var approximate))
            cached = new CachedNumber(true, value.TryGetValue<decimal>(out var exact), exact, approximate);
        else
            return null;
        instance.DerivedValue = cached;
        return cached;
    }

    private sealed record CachedNumber(bool IsNumber, bool HasExact, decimal Exact, double Approximate)
    {
        public static readonly CachedNumber NotANumber = new(false, false, 0, 0);
    }

    /// <summary>One target value of a number comparison: its number (if it is one) and whether it is a relationship object.</summary>
    internal readonly record struct NumberTarget(bool IsNumber, bool HasExact, decimal Exact, double Approximate, bool IsObject);

    /// <summary>
    /// The targets an attribute offers to a comparison with a number, one per instance, the first kept inline; the default
    /// has none (an absent attribute).
    /// </summary>
    internal readonly struct NumberTargets(int count, NumberTarget first, NumberTarget[]? rest)
    {
        public static NumberTargets Complex { get; } = new(-1, default, null);

        /// <summary>How many targets; -1 when some instance needs the general path.</summary>
        public int Count { get; } = count;

        public bool IsComplex => Count < 0;

        public NumberTarget First { get; } = first;

        public NumberTarget[]? Rest { get; } = rest;
    }

    private static bool Compare(List<Target> targets, ComparisonOperator op, Operand operand)
    {
        if (targets.Count <= 0)
            return false;
        if (op == ComparisonOperator.Equal)
            return AnyEqual(targets, operand);
        var literal = ((SingleValueOperand)operand).Value;
        for (var i = 0; i < targets.Count; i++)
        {
            if (targets[i].IsObject)
                continue;
            var order = Order(targets[i], literal);
            if (order is null)
                continue;
            var result = op switch
            {
                ComparisonOperator.Greater => order > 0,
                ComparisonOperator.GreaterOrEqual => order >= 0,
                ComparisonOperator.Less => order < 0,
                ComparisonOperator.LessOrEqual => order <= 0,
                _ => false,
            };
            if (result)
                return true;
        }
        return false;
    }

    private static bool AnyEqual(List<Target> targets, Operand operand)
    {
        for (var i = 0; i < targets.Count; i++)
        {
            var target = targets[i];
            switch (operand)
            {
                case SingleValueOperand single:
                    if (Equal(target, single.Value))
                        return true;
                    break;
                case ValueListOperand list:
                    for (var j = 0; j < list.Values.Count; j++)
                    {
                        if (Equal(target, list.Values[j]))
                            return true;
                    }
                    break;
                case RangeOperand range:
                    if (Order(target, range.Min) >= 0 && Order(target, range.Max) <= 0)
                        return true;
                    break;
            }
        }
        return false;
    }

    private static bool Equal(Target target, Literal literal)
    {
        if (literal is BooleanLiteral boolean)
            return target.Value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False && v.GetValue<bool>() == boolean.Value;
        return Order(target, literal) == 0;
    }

    /// <summary>The order of a target relative to a literal, or null when they are not comparable.</summary>
    private static int? Order(Target target, Literal literal)
    {
        if (target.Value is not JsonValue value)
            return null;
        var kind = value.GetValueKind();
        switch (literal)
        {
            case NumberLiteral number:
                if (kind != JsonValueKind.Number)
                    return null;
                if (number.Exact is { } exact && value.TryGetValue<decimal>(out var d))
                    return d.CompareTo(exact);
                return value.GetValue<double>().CompareTo(number.Approximate);
            case StringLiteral s:
                if (kind != JsonValueKind.String)
                    return null;
                var text = value.GetValue<string>();
                var literalText = target.IsVocab && s.Expanded is not null ? s.Expanded : s.Value;
                return CompareCodePoints(text, literalText);
            case UriLiteral uri:
                return kind == JsonValueKind.String ? CompareCodePoints(value.GetValue<string>(), uri.Value) : null;
            case DateTimeLiteral dateTime:
                if (kind == JsonValueKind.String && LiteralParser.TryParseDateTime(value.GetValue<string>(), out var instant)
                    && value.GetValue<string>().Contains('T', StringComparison.Ordinal))
                {
                    return instant.CompareTo(dateTime.Value);
                }
                return null;
            case DateLiteral date:
                if (kind != JsonValueKind.String)
                    return null;
                var dateText = value.GetValue<string>();
                if (DateOnly.TryParseExact(dateText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                    return day.CompareTo(date.Value);
                if (dateText.Contains('T', StringComparison.Ordinal) && LiteralParser.TryParseDateTime(dateText, out var at))
                    return DateOnly.FromDateTime(at.UtcDateTime).CompareTo(date.Value);
                return null;
            case TimeLiteral time:
                if (kind == JsonValueKind.String && !value.GetValue<string>().Contains('-', StringComparison.Ordinal)
                    && LiteralParser.TryParseTime(value.GetValue<string>(), out var clock))
                {
                    return clock.CompareTo(time.Value);
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>
    /// Orders strings by Unicode code point (RFC 8259 section 8.3), which is also the byte order of UTF-8, so PostgreSQL's
    /// <c>COLLATE "C"</c> agrees; plain UTF-16 ordinal order would differ for characters above U+FFFF.
    /// </summary>
    internal static int CompareCodePoints(string a, string b)
    {
        var length = Math.Min(a.Length, b.Length);
        for (var i = 0; i < length; i++)
        {
            if (a[i] != b[i])
                return CodePointOrder(a[i]).CompareTo(CodePointOrder(b[i])) < 0 ? -1 : 1;
        }
        return a.Length.CompareTo(b.Length) switch { < 0 => -1, > 0 => 1, _ => 0 };
    }

    private static int CodePointOrder(char c) => c < 0xD800 ? c : c >= 0xE000 ? c - 0x800 : c + 0x2000;

    private static bool AnyString(List<Target> targets)
    {
        for (var i = 0; i < targets.Count; i++)
        {
            if (targets[i].Value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                return true;
        }
        return false;
    }

    private static bool AnyMatch(List<Target> targets, Regex pattern)
    {
        try
        {
            for (var i = 0; i < targets.Count; i++)
            {
                if (targets[i].Value is JsonValue v && v.GetValueKind() == JsonValueKind.String && pattern.IsMatch(v.GetValue<string>()))
                    return true;
            }
            return false;
        }
        catch (RegexMatchTimeoutException e)
        {
            throw new QueryTimeoutException(e);
        }
    }
}
