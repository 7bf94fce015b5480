using System.Text.Json.Nodes;
using System.Xml.Linq;
using Adapters.Core;
using Adapters.Museums;
using Xunit;

namespace Adapters.Tests.Museums;

public sealed class LidoMalformedTests
{
    private const string Ns = "http://www.lido-schema.org";

    private static XElement Record(string inner) => XElement.Parse($"<lido:lido xmlns:lido=\"{Ns}\">{inner}</lido:lido>");

    private const string Title = "<lido:descriptiveMetadata xml:lang=\"de\"><lido:objectIdentificationWrap><lido:titleWrap><lido:titleSet>"
        + "<lido:appellationValue>Krug</lido:appellationValue></lido:titleSet></lido:titleWrap></lido:objectIdentificationWrap></lido:descriptiveMetadata>";

    private static List<LidoRecord> ReadAll(string xml) => [.. LidoReader.Read(new StringReader(xml))];

    [Fact]
    public void A_record_without_lidoRecID_is_malformed()
    {
        var e = Assert.Throws<MalformedSourceException>(() => LidoTranslator.Translate(Record(Title)));
        Assert.Equal("LIDO record: lidoRecID is missing or empty", e.Message);
    }

    [Fact]
    public void A_record_with_an_empty_lidoRecID_is_malformed()
    {
        var e = Assert.Throws<MalformedSourceException>(() => LidoTranslator.Translate(Record("<lido:lidoRecID>  </lido:lidoRecID>" + Title)));
        Assert.Contains("lidoRecID is missing or empty", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("<lido:descriptiveMetadata xml:lang=\"de\"/>")]
    [InlineData("<lido:descriptiveMetadata><lido:objectIdentificationWrap><lido:titleWrap><lido:titleSet><lido:appellationValue> </lido:appellationValue></lido:titleSet></lido:titleWrap></lido:objectIdentificationWrap></lido:descriptiveMetadata>")]
    public void A_record_without_a_title_is_malformed_and_the_message_names_the_record(string descriptive)
    {
        var e = Assert.Throws<MalformedSourceException>(() => LidoTranslator.Translate(Record("<lido:lidoRecID>DE-1/2</lido:lidoRecID>" + descriptive)));
        Assert.StartsWith("LIDO record 'DE-1/2': no title", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_with_only_alternate_titles_is_named_by_the_first()
    {
        var entities = LidoTranslator.Translate(Record("<lido:lidoRecID>DE-1/2</lido:lidoRecID><lido:descriptiveMetadata xml:lang=\"de\"><lido:objectIdentificationWrap><lido:titleWrap>"
            + "<lido:titleSet><lido:appellationValue lido:pref=\"alternate\">Kanne</lido:appellationValue></lido:titleSet></lido:titleWrap></lido:objectIdentificationWrap></lido:descriptiveMetadata>"));
        Assert.Equal("Kanne", (string?)entities.CollectionObject.Body["name"]!["value"]);
        Assert.Equal("Kanne", (string?)entities.CollectionObject.Body["title"]!["languageMap"]!["de"]);
        Assert.Null(entities.Museum);
    }

    [Fact]
    public void A_minimal_record_has_only_what_it_says()
    {
        var entities = LidoTranslator.Translate(Record("<lido:lidoRecID>DE-1/2 a</lido:lidoRecID>" + Title));
        var expected = JsonNode.Parse("""
            {
              "id": "urn:ngsi-ld:CollectionObject:DE-1%2F2%20a",
              "type": "CollectionObject",
              "name": { "type": "Property", "value": "Krug" },
              "title": { "type": "LanguageProperty", "languageMap": { "de": "Krug" } },
              "lidoRecID": { "type": "Property", "value": "DE-1/2 a" }
            }
            """);
        Assert.True(JsonNode.DeepEquals(expected, entities.CollectionObject.Body), entities.CollectionObject.Body.ToJsonString());
    }

    [Fact]
    public void Input_that_is_not_XML_is_malformed_with_its_position()
    {
        var e = Assert.Throws<MalformedSourceException>(() => ReadAll("{\"not\": \"xml\"}"));
        Assert.StartsWith("LIDO: not well-formed XML at line 1, position 1:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_document_is_malformed()
    {
        var e = Assert.Throws<MalformedSourceException>(() => ReadAll(""));
        Assert.StartsWith("LIDO: not well-formed XML", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/>", "<RDF> in namespace http://www.w3.org/1999/02/22-rdf-syntax-ns#")]
    [InlineData("<lidoWrap><lido/></lidoWrap>", "<lidoWrap> in no namespace")]
    public void A_root_other_than_lidoWrap_or_lido_is_malformed(string xml, string root)
    {
        var e = Assert.Throws<MalformedSourceException>(() => ReadAll(xml));
        Assert.Equal($"LIDO: the root element is {root}, not lido:lidoWrap or lido:lido (http://www.lido-schema.org)", e.Message);
    }

    [Fact]
    public void A_document_that_breaks_off_yields_its_complete_records_before_the_error()
    {
        var records = new List<int>();
        var xml = $"<lido:lidoWrap xmlns:lido=\"{Ns}\"><lido:lido><lido:lidoRecID>a</lido:lidoRecID></lido:lido><lido:lido><lido:lidoRecID>b</lido:lido";
        var e = Assert.Throws<MalformedSourceException>(() =>
        {
            foreach (var record in LidoReader.Read(new StringReader(xml)))
                records.Add(record.Position);
        });
        Assert.Equal([1], records);
        Assert.StartsWith("LIDO: not well-formed XML at line 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_reader_passes_over_other_elements_of_the_wrap_and_keeps_its_language()
    {
        var xml = $"<lido:lidoWrap xmlns:lido=\"{Ns}\" xml:lang=\"en\"><other/><lido:lido><lido:lidoRecID>a</lido:lidoRecID></lido:lido><lido:lido><lido:lidoRecID>b</lido:lidoRecID></lido:lido></lido:lidoWrap>";
        var records = ReadAll(xml);
        Assert.Equal([1, 2], records.Select(r => r.Position));
        Assert.Equal(["a", "b"], records.Select(r => LidoTranslator.RecordId(r.Element)));
        Assert.All(records, r => Assert.Equal("en", r.WrapLanguage));
    }

    [Fact]
    public void An_empty_lidoWrap_has_no_records()
    {
        Assert.Empty(ReadAll($"<lido:lidoWrap xmlns:lido=\"{Ns}\"/>"));
    }

    [Fact]
    public void A_document_type_declaration_is_refused()
    {
        var xml = $"<!DOCTYPE lido [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><lido:lido xmlns:lido=\"{Ns}\"><lido:lidoRecID>&x;</lido:lidoRecID></lido:lido>";
        var e = Assert.Throws<MalformedSourceException>(() => ReadAll(xml));
        Assert.Contains("DTD", e.Message, StringComparison.Ordinal);
    }
}
