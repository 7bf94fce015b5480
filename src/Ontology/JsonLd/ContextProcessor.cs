using System.Text.Json;

namespace Ontology.JsonLd;

/// <summary>The active context while it is being built (JSON-LD 1.1 §4.1 "Context Processing Algorithm").</summary>
internal sealed class ActiveContextBuilder
{
    /// <summary>Term definitions; a null value is a term decoupled from @vocab by <c>"term": null</c>.</summary>
    public Dictionary<string, TermDefinition?> Terms { get; } = new(StringComparer.Ordinal);
    public string? Vocab { get; set; }
    public bool VocabSet { get; set; }
}

/// <summary>
/// JSON-LD 1.1 context processing (§4.1) and term definition creation (§4.2) over local contexts whose remote
/// references were already loaded. Scoped contexts (@context in a term definition) and @reverse are accepted and ignored:
/// NGSI-LD does not use them. @base, @language, @direction and @propagate are validated and ignored.
/// </summary>
internal static class ContextProcessor
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "@base", "@container", "@context", "@direction", "@graph", "@id", "@import", "@included", "@index", "@json",
        "@language", "@list", "@nest", "@none", "@prefix", "@propagate", "@protected", "@reverse", "@set", "@type",
        "@value", "@version", "@vocab",
    };

    private static readonly HashSet<string> ContainerKeywords = new(StringComparer.Ordinal)
    {
        "@list", "@set", "@language", "@index", "@id", "@graph", "@type",
    };

    private static readonly HashSet<string> TermDefinitionKeys = new(StringComparer.Ordinal)
    {
        "@id", "@reverse", "@type", "@container", "@context", "@index", "@language", "@direction", "@nest", "@prefix", "@protected",
    };

    public static bool IsKeyword(string value) => value.Length > 1 && value[0] == '@' && Keywords.Contains(value);

    /// <summary>"@" followed by ALPHA only: reserved for future keywords and ignored (JSON-LD 1.1 §4.2 step 4).</summary>
    public static bool LooksLikeKeyword(string value)
    {
        if (value.Length < 2 || value[0] != '@')
            return false;
        foreach (var c in value.AsSpan(1))
        {
            if (!char.IsAsciiLetter(c))
                return false;
        }
        return true;
    }

    /// <summary>An absolute IRI (RFC 3987 scheme followed by ':') or a blank node identifier.</summary>
    public static bool IsAbsoluteIri(string value)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !char.IsAsciiLetter(value[0]))
            return false;
        foreach (var c in value.AsSpan(1, colon - 1))
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '+' && c != '-' && c != '.')
                return value.StartsWith("_:", StringComparison.Ordinal);
        }
        return true;
    }

    private static bool EndsWithGenDelim(string iri) => iri.Length > 0 && iri[^1] is ':' or '/' or '?' or '#' or '[' or ']' or '@';

    /// <summary>Processes one local context (an object) into <paramref name="active"/>.</summary>
    public static void Process(ActiveContextBuilder active, Dictionary<string, JsonElement> local)
    {
        if (local.TryGetValue("@version", out var version) && (version.ValueKind != JsonValueKind.Number || version.GetDouble() != 1.1))
            throw JsonLdContextException.Invalid("Invalid @version value: only 1.1 is allowed.");
        if (local.TryGetValue("@base", out var baseIri) && baseIri.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            throw JsonLdContextException.Invalid("Invalid @base value: expected a string or null.");
        if (local.TryGetValue("@language", out var language) && language.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            throw JsonLdContextException.Invalid("Invalid @language value: expected a string or null.");
        if (local.TryGetValue("@direction", out var direction) && direction.ValueKind != JsonValueKind.Null
            && (direction.ValueKind != JsonValueKind.String || direction.GetString() is not ("ltr" or "rtl")))
            throw JsonLdContextException.Invalid("Invalid @direction value: expected \"ltr\", \"rtl\" or null.");
        if (local.TryGetValue("@propagate", out var propagate) && propagate.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw JsonLdContextException.Invalid("Invalid @propagate value: expected a boolean.");
        if (local.TryGetValue("@protected", out var isProtected) && isProtected.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw JsonLdContextException.Invalid("Invalid @protected value: expected a boolean.");
        if (local.TryGetValue("@vocab", out var vocab))
        {
            if (vocab.ValueKind == JsonValueKind.Null)
            {
                active.Vocab = null;
            }
            else if (vocab.ValueKind == JsonValueKind.String)
            {
                var expanded = ExpandIri(active, vocab.GetString()!, vocab: true, null, null);
                if (expanded is null || IsKeyword(expanded) || !IsAbsoluteIri(expanded))
                    throw JsonLdContextException.Invalid($"Invalid @vocab mapping '{vocab.GetString()}': expected an absolute IRI.");
                active.Vocab = expanded;
            }
            else
            {
                throw JsonLdContextException.Invalid("Invalid @vocab mapping: expected a string or null.");
            }
            active.VocabSet = true;
        }
        var defined = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var term in local.Keys)
        {
            if (term is "@base" or "@direction" or "@import" or "@language" or "@propagate" or "@protected" or "@version" or "@vocab")
                continue;
            CreateTermDefinition(active, local, term, defined);
        }
    }

    private static void CreateTermDefinition(
        ActiveContextBuilder active, Dictionary<string, JsonElement> local, string term, Dictionary<string, bool> defined)
    {
        if (defined.TryGetValue(term, out var done))
        {
            if (done)
                return;
            throw JsonLdContextException.Invalid($"Cyclic IRI mapping: the definition of term '{term}' depends on itself.");
        }
        if (term.Length == 0)
            throw JsonLdContextException.Invalid("Invalid term definition: the empty string is not a term.");
        defined[term] = false;
        var value = local[term];
        if (IsKeyword(term))
            throw JsonLdContextException.Invalid($"Keyword redefinition: '{term}' cannot be defined as a term.");
        if (LooksLikeKeyword(term))
        {
            defined[term] = true;
            return;
        }
        active.Terms.TryGetValue(term, out var previous);
        active.Terms.Remove(term);

        JsonElement definition = default;
        var simple = false;
        string? idValue;
        var hasId = true;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                idValue = null;
                break;
            case JsonValueKind.String:
                idValue = value.GetString();
                simple = true;
                break;
            case JsonValueKind.Object:
                definition = value;
                foreach (var member in value.EnumerateObject())
                {
                    if (!TermDefinitionKeys.Contains(member.Name))
                        throw JsonLdContextException.Invalid($"Invalid term definition for '{term}': unknown member '{member.Name}'.");
                }
                if (value.TryGetProperty("@reverse", out _))
                {
                    // Reverse properties have no meaning in NGSI-LD: the term stays undefined.
                    defined[term] = true;
                    return;
                }
                hasId = value.TryGetProperty("@id", out var idElement);
                if (hasId && idElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                    throw JsonLdContextException.Invalid($"Invalid IRI mapping for term '{term}': @id must be a string or null.");
                idValue = hasId ? idElement.GetString() : null;
                break;
            default:
                throw JsonLdContextException.Invalid(
                    $"Invalid term definition for '{term}': expected a string, an object or null, not {value.ValueKind}.");
        }

        TermDefinition? result;
        if (hasId && idValue is null)
        {
            result = null;
        }
        else
        {
            var isProtected = local.TryGetValue("@protected", out var protectedDefault) && protectedDefault.ValueKind == JsonValueKind.True;
            var mapping = TermTypeMapping.None;
            string? typeIri = null;
            string? container = null;
            bool? prefixFlag = null;
            if (value.ValueKind == JsonValueKind.Object)
            {
                if (definition.TryGetProperty("@protected", out var p))
                {
                    if (p.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                        throw JsonLdContextException.Invalid($"Invalid @protected value in the definition of '{term}'.");
                    isProtected = p.ValueKind == JsonValueKind.True;
                }
                if (definition.TryGetProperty("@type", out var type))
                {
                    var expandedType = type.ValueKind == JsonValueKind.String ? ExpandIri(active, type.GetString()!, true, local, defined) : null;
                    (mapping, typeIri) = expandedType switch
                    {
                        "@id" => (TermTypeMapping.Id, "@id"),
                        "@vocab" => (TermTypeMapping.Vocab, "@vocab"),
                        "@json" => (TermTypeMapping.Json, "@json"),
                        "@none" => (TermTypeMapping.None, "@none"),
                        not null when !IsKeyword(expandedType) && IsAbsoluteIri(expandedType) && !expandedType.StartsWith("_:", StringComparison.Ordinal)
                            => (TermTypeMapping.Other, expandedType),
                        _ => throw JsonLdContextException.Invalid($"Invalid type mapping for term '{term}'."),
                    };
                }
                if (definition.TryGetProperty("@container", out var containerElement))
                    container = ReadContainer(term, containerElement);
                if (definition.TryGetProperty("@prefix", out var prefix))
                {
                    if (prefix.ValueKind is not (JsonValueKind.True or JsonValueKind.False) || term.Contains(':', StringComparison.Ordinal) || term.Contains('/', StringComparison.Ordinal))
                        throw JsonLdContextException.Invalid($"Invalid @prefix value in the definition of '{term}'.");
                    prefixFlag = prefix.ValueKind == JsonValueKind.True;
                }
            }

            string iri;
            var colon = term.IndexOf(':', 1);
            if (hasId && idValue != term)
            {
                if (LooksLikeKeyword(idValue!) && !IsKeyword(idValue!))
                {
                    defined[term] = true;
                    return;
                }
                var expanded = ExpandIri(active, idValue!, true, local, defined);
                if (expanded is null || (!IsKeyword(expanded) && !IsAbsoluteIri(expanded)))
                    throw JsonLdContextException.Invalid($"Invalid IRI mapping for term '{term}': '{idValue}' is not an absolute IRI, a compact IRI or a keyword.");
                if (expanded == "@context")
                    throw JsonLdContextException.Invalid($"Invalid keyword alias: '{term}' cannot alias @context.");
                iri = expanded;
                if ((colon > 0 && colon < term.Length - 1) || term.Contains('/', StringComparison.Ordinal))
                {
                    defined[term] = true;
                    var self = ExpandIri(active, term, true, local, defined);
                    if (self != iri)
                        throw JsonLdContextException.Invalid($"Invalid IRI mapping for term '{term}': a term shaped like an IRI must expand to itself.");
                }
                if (prefixFlag is null && simple && !term.Contains(':', StringComparison.Ordinal) && !term.Contains('/', StringComparison.Ordinal)
                    && !IsKeyword(iri) && EndsWithGenDelim(iri))
                    prefixFlag = true;
            }
            else if (colon > 0)
            {
                var prefix = term[..colon];
                if (local.ContainsKey(prefix))
                    CreateTermDefinition(active, local, prefix, defined);
                iri = active.Terms.TryGetValue(prefix, out var prefixDefinition) && prefixDefinition is not null
                    ? prefixDefinition.Iri + term[(colon + 1)..]
                    : term;
            }
            else if (term.Contains('/', StringComparison.Ordinal))
            {
                iri = ExpandIri(active, term, true, local, defined) ?? term;
                if (!IsAbsoluteIri(iri))
                    throw JsonLdContextException.Invalid($"Invalid IRI mapping for term '{term}'.");
            }
            else if (active.Vocab is not null)
            {
                iri = active.Vocab + term;
            }
            else
            {
                throw JsonLdContextException.Invalid($"Invalid IRI mapping for term '{term}': no @id and no @vocab.");
            }
            if (prefixFlag == true && IsKeyword(iri))
                throw JsonLdContextException.Invalid($"Invalid term definition for '{term}': a keyword cannot be a prefix.");
            result = new TermDefinition(iri, mapping, container) { TypeIri = typeIri, IsPrefix = prefixFlag == true, IsProtected = isProtected };
        }

        if (previous is { IsProtected: true })
        {
            if (result is null || previous != result with { IsProtected = true })
                throw JsonLdContextException.Invalid($"Protected term redefinition: '{term}' is protected by an earlier context.");
            result = previous;
        }
        active.Terms[term] = result;
        defined[term] = true;
    }

    private static string ReadContainer(string term, JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.String && ContainerKeywords.Contains(element.GetString()!))
            return element.GetString()!;
        if (element.ValueKind == JsonValueKind.Array && element.GetArrayLength() > 0)
        {
            string? chosen = null;
            foreach (var item in element.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String || !ContainerKeywords.Contains(item.GetString()!))
                    throw JsonLdContextException.Invalid($"Invalid container mapping for term '{term}'.");
                if (chosen is null || chosen == "@set")
                    chosen = item.GetString();
            }
            return chosen!;
        }
        throw JsonLdContextException.Invalid($"Invalid container mapping for term '{term}'.");
    }

    /// <summary>JSON-LD 1.1 §5.2 IRI expansion, during context processing (base IRI ignored: relative IRIs stay as they are).</summary>
    public static string? ExpandIri(ActiveContextBuilder active, string value, bool vocab, Dictionary<string, JsonElement>? local, Dictionary<string, bool>? defined)
    {
        if (IsKeyword(value))
            return value;
        if (LooksLikeKeyword(value))
            return null;
        if (local is not null && local.ContainsKey(value) && (!defined!.TryGetValue(value, out var d) || !d))
            CreateTermDefinition(active, local, value, defined!);
        if (active.Terms.TryGetValue(value, out var definition))
        {
            if (definition is not null && IsKeyword(definition.Iri))
                return definition.Iri;
            if (vocab)
                return definition?.Iri;
        }
        var colon = value.IndexOf(':', 1);
        if (colon > 0)
        {
            var prefix = value[..colon];
            var suffix = value[(colon + 1)..];
            if (prefix == "_" || suffix.StartsWith("//", StringComparison.Ordinal))
                return value;
            if (local is not null && local.ContainsKey(prefix) && (!defined!.TryGetValue(prefix, out var pd) || !pd))
                CreateTermDefinition(active, local, prefix, defined!);
            if (active.Terms.TryGetValue(prefix, out var prefixDefinition) && prefixDefinition is { IsPrefix: true })
                return prefixDefinition.Iri + suffix;
            if (IsAbsoluteIri(value))
                return value;
        }
        if (vocab && active.Vocab is not null)
            return active.Vocab + value;
        return value;
    }
}
