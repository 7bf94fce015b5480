using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Museums;
using Xunit;

namespace Adapters.Tests.Museums;

/// <summary>
/// The LIDO samples of the reference and what each translates to with the test mapping (all records, each record's
/// entities in order).
/// </summary>
internal static class LidoSamples
{
    public static readonly TheoryData<string> All = new()
    {
        "museum-collections/lido/examples/LIDO-v1.0-Example_FMobj00154983-LaPrimavera.xml",
        "museum-collections/lido/examples/LIDO-v1.1-Example_FMobj00154983-LaPrimavera.xml",
        "museum-collections/lido/examples/LIDO-v1.1-Example_FMobj20344012-Fontana_del_Moro.xml",
        "museum-collections/lido/ddb/DDB-Minimaldatensatz-example.xml",
        "museum-collections/lido/ddb/Deutsches_Museum.xml",
        "museum-collections/museum-digital/lido-export/museum-digital_Muellrose.xml",
        "museum-collections/museum-digital/lido-export/museum-digital_Oderberg.xml",
        "museum-collections/museum-digital/lido-export/museum-digital_Terra_Sigillata_Museum.xml",
    };

    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string ExpectedPath(string sample) =>
        Path.Combine(AppContext.BaseDirectory, "Expected", "Museums", Path.GetFileNameWithoutExtension(sample) + ".json");

    /// <summary>Every entity of every record of the sample, as one JSON array.</summary>
    public static JsonArray Translate(string sample)
    {
        using var stream = File.OpenRead(ReferenceData.SourceFormat(sample));
        var entities = new JsonArray();
        foreach (var record in LidoReader.Read(stream))
            foreach (var entity in LidoTranslator.Translate(record.Element, record.WrapLanguage, MuseumsTestMapping.Create()).All)
                entities.Add(new JsonObject { ["dataModel"] = entity.DataModel, ["entity"] = entity.Body.DeepClone() });
        return entities;
    }
}
