using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenDataPortal.Publishing;

/// <summary>How the portal writes its JSON files: indented, UTF-8 text as it is (Lübeck, not L\u00FCbeck), LF line ends.</summary>
public static class PublishedJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(JsonNode document) => document.ToJsonString(Options).ReplaceLineEndings("\n") + "\n";
}
