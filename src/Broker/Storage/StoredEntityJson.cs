using System.Buffers;
using System.Text;
using System.Text.Json;
using Broker.Entities.Representation;
using Ontology.JsonLd;
using Ontology.Model;

namespace Broker.Storage;

/// <summary>The document form in which stores keep an entity: normalized, expanded names, system attributes and version.</summary>
public static class StoredEntityJson
{
    /// <summary>The top-level members of the stored form that are not attributes (every other member is one, by expanded name).</summary>
    public static IReadOnlyList<string> NonAttributeMembers { get; } = ["id", "type", "scope", "createdAt", "modifiedAt", "version", "@context"];

    private static readonly EntityReader Reader = new(JsonLdContext.Core, ReadMode.Stored);

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static string Serialize(Entity entity) => Serialize(entity, static utf8 => Encoding.UTF8.GetString(utf8));

    /// <summary>The stored document as UTF-8, for stores that bind text as UTF-8 (half the size of a string, no transcoding).</summary>
    public static byte[] SerializeUtf8(Entity entity) => Serialize(entity, static utf8 => utf8.ToArray());

    /// <summary>The stored document as UTF-8 handed to <paramref name="result"/>, in a buffer reused after it returns.</summary>
    public static T Serialize<T>(Entity entity, SpanFunc<T> result)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        try
        {
            EntityWriter.Stored.WriteEntity(writer, entity, withVersion: true);
            writer.Flush();
            return result(buffer.WrittenSpan);
        }
        finally
        {
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            if (buffer.Capacity > 1 << 20)
                (t_buffer, t_writer) = (null, null);
        }
    }

    public delegate T SpanFunc<out T>(ReadOnlySpan<byte> utf8);

    public static Entity Deserialize(string json) => Deserialize(Encoding.UTF8.GetBytes(json));

    public static Entity Deserialize(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 256 });
        return Reader.ReadEntity(JsonElement.ParseValue(ref reader));
    }
}
