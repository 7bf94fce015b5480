using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Entities.Representation;
using Ontology.JsonLd;
using Ontology.Model;

namespace Broker.Storage;

/// <summary>The document form in which stores keep an entity: normalized, expanded names, system attributes and version.</summary>
public static class StoredEntityJson
{
    private static readonly EntityReader Reader = new(JsonLdContext.Core, ReadMode.Stored);

    public static string Serialize(Entity entity)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            EntityWriter.Stored.WriteEntity(writer, entity, withVersion: true);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static Entity Deserialize(string json) =>
        Reader.ReadEntity(JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 256 }));
}
