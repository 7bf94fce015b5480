using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Entities.Representation;
using Broker.Tests.Query;
using Ontology.JsonLd;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Representation;

/// <summary>An entity written again is copied from the rendering kept with it: the bytes must be those of a fresh rendering.</summary>
public sealed class EntityWriterTests
{
    private const string Json = """
        {"id":"urn:ngsi-ld:T:1","type":"T","n":{"type":"Property","value":5,"observedAt":"2026-01-01T00:00:00Z"},
         "name":{"type":"Property","value":"x"},"lang":{"type":"LanguageProperty","languageMap":{"en":"a","de":"b"}},
         "location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[10,50]}}}
        """;

    private static Entity Entity() => CorpusEntityLoader.ReadEntity(JsonNode.Parse(Json)!.AsObject());

    private static string Write(JsonLdContext context, RepresentationOptions options, Entity entity)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            writer.WriteStartArray();
            EntityWriter.For(context, options).WriteEntity(writer, entity);
            EntityWriter.For(context, options).WriteEntity(writer, entity);
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static async Task<JsonLdContext> UserContext()
    {
        using var document = JsonDocument.Parse("""{"n":"https://example.org/number","T":"https://example.org/Type"}""");
        return await new ContextResolver(new NoRemoteContexts(), new RemoteContextOptions()).ResolveAsync(document.RootElement, null, CancellationToken.None);
    }

    private sealed class NoRemoteContexts : IRemoteContextLoader
    {
        public ValueTask<JsonDocument> LoadAsync(Uri url, CancellationToken ct) => throw new InvalidOperationException();
    }

    public static TheoryData<string> Options => ["normalized", "concise", "keyValues", "sysAttrs", "lang", "pick"];

    private static RepresentationOptions Of(string name) => name switch
    {
        "concise" => new RepresentationOptions(EntityFormat.Concise),
        "keyValues" => new RepresentationOptions(EntityFormat.KeyValues),
        "sysAttrs" => new RepresentationOptions(SysAttrs: true),
        "lang" => new RepresentationOptions(Lang: "de"),
        "pick" => new RepresentationOptions { Projection = new AttributeProjection(new HashSet<string> { "id", CorpusEntityLoader.Expand("name") }, null, strict: true) },
        _ => RepresentationOptions.Default,
    };

    [Theory]
    [MemberData(nameof(Options))]
    public async Task A_kept_rendering_equals_a_fresh_one_whatever_was_written_before(string name)
    {
        var user = await UserContext();
        var options = Of(name);
        var fresh = Write(JsonLdContext.Core, options, Entity());
        var user1 = Write(user, options, Entity());

        var entity = Entity();
        foreach (var other in Options)
            Write(JsonLdContext.Core, Of(other), entity);
        Write(user, options, entity);
        Assert.Equal(fresh, Write(JsonLdContext.Core, options, entity));
        Assert.Equal(fresh, Write(JsonLdContext.Core, options, entity));
        Assert.Equal(user1, Write(user, options, entity));
        Assert.NotNull(entity.DerivedValue);
        Assert.Null(entity.DeepClone().DerivedValue);
    }
}
