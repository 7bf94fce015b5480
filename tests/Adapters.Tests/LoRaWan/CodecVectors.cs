using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Adapters.Tests.LoRaWan;

/// <summary>One uplink example of a codec file of TheThingsNetwork/lorawan-devices (Samples/lorawan/device-codec-examples).</summary>
public sealed record CodecVector(string File, string Description, int FPort, byte[] Bytes, YamlMappingNode Expected)
{
    public override string ToString() => $"{File}: {Description}";

    /// <summary>The uplinkDecoder examples of <paramref name="file"/>.</summary>
    public static IEnumerable<CodecVector> Read(string file)
    {
        var yaml = new YamlStream();
        using (var reader = new StringReader(ReferenceData.ReadSourceFormat("lorawan/device-codec-examples/" + file)))
            yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var examples = (YamlSequenceNode)((YamlMappingNode)root["uplinkDecoder"])["examples"];
        foreach (var example in examples.Cast<YamlMappingNode>())
        {
            var input = (YamlMappingNode)example["input"];
            var bytes = ((YamlSequenceNode)input["bytes"]).Select(b => (byte)ParseInteger(((YamlScalarNode)b).Value!)).ToArray();
            var data = (YamlMappingNode)((YamlMappingNode)example["output"])["data"];
            yield return new CodecVector(file, ((YamlScalarNode)example["description"]).Value!,
                ParseInteger(((YamlScalarNode)input["fPort"]).Value!), bytes, data);
        }
    }

    private static int ParseInteger(string text) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : int.Parse(text, CultureInfo.InvariantCulture);

    /// <summary>
    /// Every difference between what a decoder gave and this vector's expected data: each expected field must be there
    /// with the expected value (a number equal to the precision the vector writes it with; of a Decentlab
    /// {displayName, unit, value} field, the value), and the decoder must give no field the vector does not have.
    /// </summary>
    public IReadOnlyList<string> Differences(JsonObject actual)
    {
        var differences = new List<string>();
        foreach (var (keyNode, expected) in Expected.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value!;
            if (!actual.TryGetPropertyValue(key, out var value))
            {
                differences.Add($"{key}: missing");
                continue;
            }
            var expectedValue = expected is YamlMappingNode quantity ? quantity["value"] : expected;
            Compare(key, expectedValue, value, differences);
        }
        foreach (var (key, _) in actual)
        {
            if (!Expected.Children.ContainsKey(new YamlScalarNode(key)))
                differences.Add($"{key}: not in the vector");
        }
        return differences;
    }

    private static void Compare(string path, YamlNode expected, JsonNode? actual, List<string> differences)
    {
        switch (expected)
        {
            case YamlSequenceNode items:
                if (actual is not JsonArray array || array.Count != items.Children.Count)
                {
                    differences.Add($"{path}: expected {items.Children.Count} items, got {actual?.ToJsonString() ?? "null"}");
                    return;
                }
                for (var i = 0; i < array.Count; i++)
                    Compare($"{path}[{i}]", items.Children[i], array[i], differences);
                return;
            case YamlScalarNode scalar:
                var text = scalar.Value!;
                var quoted = scalar.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted;
                if (!quoted && text is "true" or "false")
                {
                    if (actual?.GetValueKind() is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False)
                        || actual.GetValue<bool>() != (text == "true"))
                        differences.Add($"{path}: expected {text}, got {actual?.ToJsonString() ?? "null"}");
                    return;
                }
                if (!quoted && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                {
                    var decimals = text.Contains('.', StringComparison.Ordinal) ? text.Length - text.IndexOf('.', StringComparison.Ordinal) - 1 : 0;
                    var tolerance = 0.5 * Math.Pow(10, -decimals);
                    if (actual?.GetValueKind() != System.Text.Json.JsonValueKind.Number || Math.Abs(double.Parse(actual.ToJsonString(), CultureInfo.InvariantCulture) - number) > tolerance)
                        differences.Add($"{path}: expected {text} (±{tolerance.ToString(CultureInfo.InvariantCulture)}), got {actual?.ToJsonString() ?? "null"}");
                    return;
                }
                if (actual?.GetValueKind() != System.Text.Json.JsonValueKind.String || actual.GetValue<string>() != text)
                    differences.Add($"{path}: expected \"{text}\", got {actual?.ToJsonString() ?? "null"}");
                return;
            default:
                differences.Add($"{path}: the vector's {expected.NodeType} is not compared");
                return;
        }
    }
}
