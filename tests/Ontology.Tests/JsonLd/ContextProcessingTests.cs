using System.Text.Json;
using Ontology.JsonLd;
using Xunit;

namespace Ontology.Tests.JsonLd;

public class ContextProcessingTests
{
    private const string Ngsi = "https://uri.etsi.org/ngsi-ld/";
    private const string Default = "https://uri.etsi.org/ngsi-ld/default-context/";

    private static ContextResolver Resolver(FakeLoader? loader = null, RemoteContextOptions? options = null) =>
        new(loader ?? new FakeLoader(), options ?? new RemoteContextOptions());

    private static async Task<JsonLdContext> Inline(string json, FakeLoader? loader = null)
    {
        using var document = JsonDocument.Parse(json);
        return await Resolver(loader).ResolveAsync(document.RootElement, null, CancellationToken.None);
    }

    private static async Task<JsonLdContextException> InlineFails(string json, FakeLoader? loader = null) =>
        await Assert.ThrowsAsync<JsonLdContextException>(() => Inline(json, loader));

    [Fact]
    public void Terms_outside_the_context_expand_once_and_are_then_remembered()
    {
        var core = JsonLdContext.Core;
        var first = core.ExpandTerm("memoizedTermOutsideTheCore");
        Assert.Equal("https://uri.etsi.org/ngsi-ld/default-context/memoizedTermOutsideTheCore", first);
        Assert.Same(first, core.ExpandTerm("memoizedTermOutsideTheCore"));
        Assert.Equal("https://example.org/x", core.ExpandTerm("https://example.org/x"));
        Assert.Equal(Ngsi + "x", core.ExpandTerm("ngsi-ld:x"));
        Assert.Equal(Ngsi + "x", core.ExpandTerm("ngsi-ld:x"));
    }

    [Fact]
    public void Core_terms_expand_and_compact()
    {
        var core = JsonLdContext.Core;
        Assert.Equal(Ngsi + "location", core.ExpandTerm("location"));
        Assert.Equal(Ngsi + "observedAt", core.ExpandTerm("observedAt"));
        Assert.Equal(Ngsi + "hasValue", core.ExpandTerm("value"));
        Assert.Equal("@id", core.ExpandTerm("id"));
        Assert.Equal("@type", core.ExpandTerm("type"));
        Assert.Equal("location", core.CompactIri(Ngsi + "location"));
        Assert.Equal("value", core.CompactIri(Ngsi + "hasValue"));
        Assert.Equal("id", core.CompactIri("@id"));
        Assert.Empty(core.SourceUrls);
        Assert.Equal(TermTypeMapping.Other, core.FindTerm("observedAt")!.TypeMapping);
        Assert.Equal(Ngsi + "DateTime", core.FindTerm("observedAt")!.TypeIri);
        Assert.Equal("@language", core.FindTerm("languageMap")!.Container);
        Assert.Equal(TermTypeMapping.Vocab, core.FindTerm("attributeList")!.TypeMapping);
        Assert.True(core.FindTerm("ngsi-ld")!.IsPrefix);
        Assert.Null(core.FindTerm("notATerm"));
    }

    [Fact]
    public void Unknown_terms_fall_back_to_the_default_context_and_absolute_iris_are_unchanged()
    {
        var core = JsonLdContext.Core;
        Assert.Equal(Default + "temperature", core.ExpandTerm("temperature"));
        Assert.Equal("temperature", core.CompactIri(Default + "temperature"));
        Assert.Equal("https://example.org/a#b", core.ExpandTerm("https://example.org/a#b"));
        Assert.Equal("urn:ngsi-ld:Vehicle:1", core.ExpandTerm("urn:ngsi-ld:Vehicle:1"));
        Assert.Equal("@value", core.ExpandTerm("@value"));
        Assert.Equal(Ngsi + "foo", core.ExpandTerm("ngsi-ld:foo"));
        Assert.Equal("ngsi-ld:foo", core.CompactIri(Ngsi + "foo"));
        Assert.Equal("https://example.org/a#b", core.CompactIri("https://example.org/a#b"));
        // A vocabulary-relative suffix with ':' would not expand back to the IRI: a compact IRI is used instead.
        Assert.Equal("ngsi-ld:default-context/a:b", core.CompactIri(Default + "a:b"));
        Assert.Equal(Default + "a:b", core.ExpandTerm("ngsi-ld:default-context/a:b"));
    }

    [Fact]
    public void ExpandIri_is_document_relative()
    {
        var core = JsonLdContext.Core;
        Assert.Equal("urn:ngsi-ld:Vehicle:1", core.ExpandIri("urn:ngsi-ld:Vehicle:1"));
        Assert.Equal("location", core.ExpandIri("location"));
        Assert.Equal(Ngsi + "x", core.ExpandIri("ngsi-ld:x"));
        Assert.Equal("@id", core.ExpandIri("id"));
    }

    [Fact]
    public async Task User_vocab_wins_over_the_default_context()
    {
        var context = await Inline("""{ "@vocab": "https://example.org/vocab#", "schema": "https://schema.org/" }""");
        Assert.Equal("https://example.org/vocab#temperature", context.ExpandTerm("temperature"));
        Assert.Equal("temperature", context.CompactIri("https://example.org/vocab#temperature"));
        Assert.Equal("https://example.org/vocab#", context.Vocab);
        Assert.Equal(Ngsi + "location", context.ExpandTerm("location"));
        // Default-context IRIs still compact, as compact IRIs over the core's ngsi-ld prefix.
        Assert.Equal("ngsi-ld:default-context/x", context.CompactIri(Default + "x"));
    }

    [Fact]
    public async Task Vocab_null_keeps_the_default_context()
    {
        var context = await Inline("""{ "@vocab": null, "a": "https://example.org/a" }""");
        Assert.Equal(Default + "b", context.ExpandTerm("b"));
    }

    [Fact]
    public async Task Prefixes_and_compact_iris_are_order_independent()
    {
        var context = await Inline("""
            { "Vehicle": "ex:Vehicle", "speed": { "@id": "ex:speed", "@type": "xsd:float" }, "ex": "https://example.org/ns#", "xsd": "http://www.w3.org/2001/XMLSchema#",
              "notPrefix": "https://example.org/np", "explicit": { "@id": "https://example.org/p", "@prefix": true } }
            """);
        Assert.Equal("https://example.org/ns#Vehicle", context.ExpandTerm("Vehicle"));
        Assert.Equal("http://www.w3.org/2001/XMLSchema#float", context.FindTerm("speed")!.TypeIri);
        Assert.Equal("https://example.org/ns#other", context.ExpandTerm("ex:other"));
        Assert.Equal("ex:other", context.CompactIri("https://example.org/ns#other"));
        Assert.Equal("Vehicle", context.CompactIri("https://example.org/ns#Vehicle"));
        // No gen-delim at the end and no @prefix: not a prefix (JSON-LD 1.1), the value is an IRI with scheme "notPrefix".
        Assert.Equal("notPrefix:x", context.ExpandTerm("notPrefix:x"));
        Assert.Equal("https://example.org/px", context.ExpandTerm("explicit:x"));
        Assert.Equal("explicit:x", context.CompactIri("https://example.org/px"));
    }

    [Fact]
    public async Task Compaction_prefers_the_shortest_then_least_term()
    {
        var context = await Inline("""{ "bb": "https://example.org/t", "aa": "https://example.org/t", "longer": "https://example.org/t" }""");
        Assert.Equal("aa", context.CompactIri("https://example.org/t"));
    }

    [Fact]
    public async Task A_user_term_aliasing_a_core_iri_expands_but_the_shorter_core_term_compacts()
    {
        var context = await Inline("""{ "myLocation": "https://uri.etsi.org/ngsi-ld/location", "here": "ngsi-ld:location" }""");
        Assert.Equal(Ngsi + "location", context.ExpandTerm("myLocation"));
        Assert.Equal("location", context.CompactIri(Ngsi + "location"));
        // The user context does not define the ngsi-ld prefix and the core is applied after it: per JSON-LD "ngsi-ld:location" is an absolute IRI.
        Assert.Equal("ngsi-ld:location", context.ExpandTerm("here"));
    }

    [Fact]
    public async Task A_user_context_cannot_redefine_core_terms()
    {
        var context = await Inline("""{ "location": "https://example.org/myLocation", "value": "https://example.org/v", "ngsi-ld": "https://example.org/evil/" }""");
        Assert.Equal(Ngsi + "location", context.ExpandTerm("location"));
        Assert.Equal(Ngsi + "hasValue", context.ExpandTerm("value"));
        Assert.Equal(Ngsi + "x", context.ExpandTerm("ngsi-ld:x"));
    }

    [Fact]
    public async Task Later_contexts_in_an_array_override_earlier_ones_and_null_decouples()
    {
        var context = await Inline("""
            [ { "a": "https://example.org/1/a", "b": "https://example.org/1/b", "c": "https://example.org/1/c" },
              { "a": "https://example.org/2/a", "b": null, "c": { "@id": null } } ]
            """);
        Assert.Equal("https://example.org/2/a", context.ExpandTerm("a"));
        Assert.True(context.IsDecoupled("b"));
        Assert.False(context.TryExpandTerm("b", out _));
        Assert.Equal("b", context.ExpandTerm("b"));
        Assert.Null(context.FindTerm("c"));
        Assert.Equal("https://example.org/1/b", context.CompactIri("https://example.org/1/b"));
    }

    [Fact]
    public async Task Keyword_aliases_are_used()
    {
        var context = await Inline("""{ "identifier": "@id", "@version": 1.1, "@protected": true, "@propagate": true, "@language": "en", "@base": "https://example.org/" }""");
        Assert.Equal("@id", context.ExpandTerm("identifier"));
        Assert.Equal("id", context.CompactIri("@id"));
    }

    [Theory]
    [InlineData("42")]
    [InlineData("true")]
    [InlineData("""["https://example.org/ctx.jsonld", 7]""")]
    [InlineData("""[["https://example.org/ctx.jsonld"]]""")]
    [InlineData("""{ "a": 5 }""")]
    [InlineData("""{ "a": { "@id": 5 } }""")]
    [InlineData("""{ "a": { "@id": "https://example.org/a", "@container": "@bogus" } }""")]
    [InlineData("""{ "a": { "@id": "https://example.org/a", "@unknown": 1 } }""")]
    [InlineData("""{ "a": { "@id": "https://example.org/a", "@type": "@list" } }""")]
    [InlineData("""{ "a": "b:x", "b": "a:y" }""")]
    [InlineData("""{ "a": "a:x" }""")]
    [InlineData("""{ "@id": "https://example.org/id" }""")]
    [InlineData("""{ "@vocab": 3 }""")]
    [InlineData("""{ "@version": 1.0 }""")]
    [InlineData("""{ "a": "relative" , "@vocab": null }""")]
    [InlineData("""[{ "@protected": true, "a": "https://example.org/a" }, { "a": "https://example.org/b" }]""")]
    [InlineData("""[{ "@protected": true, "a": "https://example.org/a" }, null]""")]
    [InlineData("""[{ "@protected": true, "b": "ex:b", "ex": "https://example.org/" }, { "ex": "https://example.com/" }]""")]
    public async Task Invalid_contexts_are_rejected(string json)
    {
        var error = await InlineFails(json);
        Assert.Equal(JsonLdContextError.InvalidContext, error.Kind);
    }

    [Fact]
    public async Task Cyclic_definition_names_the_term()
    {
        var error = await InlineFails("""{ "a": "b:x", "b": "a:y" }""");
        Assert.Contains("Cyclic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redefining_a_protected_term_identically_is_allowed()
    {
        var context = await Inline("""[{ "@protected": true, "a": "https://example.org/a" }, { "a": "https://example.org/a" }]""");
        Assert.Equal("https://example.org/a", context.ExpandTerm("a"));
    }

    [Fact]
    public async Task Relative_term_without_vocab_uses_the_core_default_afterwards()
    {
        // With no @vocab in the user context and @vocab null, "x": "relative" has no IRI mapping (rejected above);
        // with no @vocab at all, a plain term whose value is not an IRI is also rejected.
        var error = await InlineFails("""{ "x": "notAnIri" }""");
        Assert.Contains("'x'", error.Message, StringComparison.Ordinal);
    }
}
