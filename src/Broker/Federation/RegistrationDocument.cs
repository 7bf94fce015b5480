using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Broker.Entities.Representation;
using Broker.Storage;

namespace Broker.Federation;

/// <summary>
/// The document a store keeps for a registration: the registration with every name expanded, as
/// <see cref="RegistrationWriter"/> writes it without compaction, and its system times. Reading it needs no @context, so a
/// stored registration means what it meant when it was written.
/// </summary>
public static class RegistrationDocument
{
    private static readonly JsonWriterOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(ContextSourceRegistration registration)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Relaxed))
        {
            json.WriteStartObject();
            json.WritePropertyName("registration"u8);
            RegistrationWriter.Write(json, registration, StoredRegistrationStatus.None, static name => name, shown: false, sysAttrs: false, writeContext: null);
            json.WriteString("createdAt"u8, Timestamps.Format6(registration.CreatedAt));
            json.WriteString("modifiedAt"u8, Timestamps.Format6(registration.ModifiedAt));
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static ContextSourceRegistration Read(StoredRegistration stored)
    {
        var document = JsonNode.Parse(stored.Document)!.AsObject();
        return RegistrationReader.Read(document["registration"]!.AsObject(), stored.Tenant, stored.Id, static name => name,
            DateTimeOffset.MinValue, checkExpiry: false, Time(document, "createdAt"), Time(document, "modifiedAt"));
    }

    private static DateTimeOffset Time(JsonObject document, string member) =>
        DateTimeOffset.Parse(document[member]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
}
