using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Benchmarks.Load;

/// <summary>
/// The entities of the load scenarios: five attributes (a number, a text, a GeoProperty point near the Holstentor in
/// Lübeck, a Relationship and a Property with observedAt), normalized, with the core context only.
/// </summary>
public static class Payloads
{
    public const double CenterLongitude = 10.6797;
    public const double CenterLatitude = 53.8660;

    public static readonly MediaTypeHeaderValue Json = new("application/json");

    /// <summary>One entity; intensity 0..999, position uniformly within about ±<paramref name="spreadDegrees"/> of the centre.</summary>
    public static void WriteEntity(Utf8JsonWriter writer, string id, string type, Random random, double spreadDegrees = 0.03)
    {
        writer.WriteStartObject();
        writer.WriteString("id"u8, id);
        writer.WriteString("type"u8, type);
        writer.WriteStartObject("intensity"u8);
        writer.WriteString("type"u8, "Property"u8);
        writer.WriteNumber("value"u8, random.Next(1000));
        writer.WriteEndObject();
        writer.WriteStartObject("name"u8);
        writer.WriteString("type"u8, "Property"u8);
        writer.WriteString("value"u8, "Sensor " + id[(id.LastIndexOf(':') + 1)..]);
        writer.WriteEndObject();
        writer.WriteStartObject("location"u8);
        writer.WriteString("type"u8, "GeoProperty"u8);
        writer.WriteStartObject("value"u8);
        writer.WriteString("type"u8, "Point"u8);
        writer.WriteStartArray("coordinates"u8);
        writer.WriteNumberValue(Math.Round(CenterLongitude + (random.NextDouble() * 2 - 1) * spreadDegrees * 1.7, 6));
        writer.WriteNumberValue(Math.Round(CenterLatitude + (random.NextDouble() * 2 - 1) * spreadDegrees, 6));
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteStartObject("refDevice"u8);
        writer.WriteString("type"u8, "Relationship"u8);
        writer.WriteString("object"u8, "urn:ngsi-ld:Device:" + random.Next(100).ToString(CultureInfo.InvariantCulture));
        writer.WriteEndObject();
        writer.WriteStartObject("status"u8);
        writer.WriteString("type"u8, "Property"u8);
        writer.WriteString("value"u8, random.Next(10) == 0 ? "faulty"u8 : "ok"u8);
        writer.WriteString("observedAt"u8, "2026-11-21T12:00:00Z"u8);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public static byte[] Entity(string id, string type, Random random)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
            WriteEntity(writer, id, type, random);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A batch body: the entities <paramref name="first"/> .. first + count - 1 of the id prefix.</summary>
    public static byte[] Batch(string idPrefix, string type, int first, int count, Random random, double spreadDegrees = 0.03)
    {
        var buffer = new ArrayBufferWriter<byte>(count * 400);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = first; i < first + count; i++)
                WriteEntity(writer, idPrefix + i.ToString(CultureInfo.InvariantCulture), type, random, spreadDegrees);
            writer.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static ByteArrayContent Content(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = Json;
        return content;
    }
}
