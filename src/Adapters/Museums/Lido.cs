using System.Xml.Linq;

namespace Adapters.Museums;

/// <summary>
/// The names of LIDO (Lightweight Information Describing Objects, ICOM CIDOC) that the translation reads. LIDO 1.0
/// and 1.1 share the namespace; 1.1 adds SKOS concepts (skos:Concept/skos:prefLabel) beside lido:term and the LIDO
/// terminology URIs (http://terminology.lido-schema.org/lidoNNNNN) beside the 1.0 words ("preferred", "current").
/// </summary>
internal static class Lido
{
    public const string NamespaceUri = "http://www.lido-schema.org";

    public static readonly XNamespace Ns = NamespaceUri;
    public static readonly XNamespace Skos = "http://www.w3.org/2004/02/skos/core#";
    public static readonly XNamespace Gml = "http://www.opengis.net/gml";
    public static readonly XNamespace Rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

    public static readonly XName LidoWrap = Ns + "lidoWrap";
    public static readonly XName Record = Ns + "lido";
    public static readonly XName LidoRecId = Ns + "lidoRecID";
    public static readonly XName Pref = Ns + "pref";
    public static readonly XName Type = Ns + "type";
    public static readonly XName AddedSearchTerm = Ns + "addedSearchTerm";
    public static readonly XName Term = Ns + "term";
    public static readonly XName ConceptId = Ns + "conceptID";
    public static readonly XName AppellationValue = Ns + "appellationValue";
    public static readonly XName SkosConcept = Skos + "Concept";
    public static readonly XName SkosPrefLabel = Skos + "prefLabel";
    public static readonly XName RdfAbout = Rdf + "about";

    private const string Terminology = "http://terminology.lido-schema.org/";

    /// <summary>lido:pref "alternate" (1.0) or lido00170 "alternate value" (1.1); anything else counts as preferred.</summary>
    public static bool IsAlternate(XElement element)
    {
        var pref = (string?)element.Attribute(Pref);
        return pref is not null && (pref.Equals("alternate", StringComparison.OrdinalIgnoreCase) || pref == Terminology + "lido00170");
    }

    /// <summary>repositorySet lido:type "former" (1.0) or lido01019 "former repository" (1.1).</summary>
    public static bool IsFormerRepository(XElement repositorySet)
    {
        var type = (string?)repositorySet.Attribute(Type);
        return type is not null && (type.Equals("former", StringComparison.OrdinalIgnoreCase) || type == Terminology + "lido01019");
    }

    /// <summary>termMaterialsTech lido:type "technique" (1.0 practice) or lido00131 "technique" (1.1).</summary>
    public static bool IsTechnique(XElement termMaterialsTech)
    {
        var type = (string?)termMaterialsTech.Attribute(Type);
        return type is not null && (type.Equals("technique", StringComparison.OrdinalIgnoreCase) || type.Equals("Technik", StringComparison.OrdinalIgnoreCase)
            || type == Terminology + "lido00131");
    }

    /// <summary>The value's language: its own xml:lang or its nearest ancestor's, else the language of the wrap.</summary>
    public static string? Language(XElement element, string? wrapLanguage)
    {
        for (var e = element; e is not null; e = e.Parent)
        {
            var lang = (string?)e.Attribute(XNamespace.Xml + "lang");
            if (!string.IsNullOrWhiteSpace(lang))
                return LanguageTag(lang.Trim());
        }
        return wrapLanguage is null ? null : LanguageTag(wrapLanguage);
    }

    /// <summary>BCP 47 wants the two-letter ISO 639-1 code where one exists; some exports write ISO 639-2 ("deu", "eng").</summary>
    private static string LanguageTag(string lang) => lang.ToLowerInvariant() switch
    {
        "deu" or "ger" => "de",
        "eng" => "en",
        "fra" or "fre" => "fr",
        "ita" => "it",
        "spa" => "es",
        "nld" or "dut" => "nl",
        "pol" => "pl",
        "rus" => "ru",
        "ces" or "cze" => "cs",
        "dan" => "da",
        "swe" => "sv",
        "por" => "pt",
        _ => lang,
    };

    public static string? Text(XElement? element)
    {
        if (element is null)
            return null;
        var text = NormalizeSpace(element.Value);
        return text.Length == 0 ? null : text;
    }

    /// <summary>Line breaks and indentation inside a value (as in wrapped skos:prefLabel) become single spaces.</summary>
    public static string NormalizeSpace(string value)
    {
        var trimmed = value.AsSpan().Trim();
        if (trimmed.IndexOfAny(" \t\r\n") < 0)
            return trimmed.ToString();
        var builder = new System.Text.StringBuilder(trimmed.Length);
        var space = false;
        foreach (var c in trimmed)
        {
            if (char.IsWhiteSpace(c))
            {
                space = true;
                continue;
            }
            if (space)
                builder.Append(' ');
            builder.Append(c);
            space = false;
        }
        return builder.ToString();
    }

    public static bool IsAbsoluteHttpUri(string? value) =>
        value is not null && Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
