using System.Text.Json.Nodes;
using Xunit;

namespace Adapters.Tests.Museums;

public sealed class LidoTranslationTests
{
    public static TheoryData<string> Samples => LidoSamples.All;

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_LIDO_sample_translates_to_its_expected_entities(string sample)
    {
        var actual = LidoSamples.Translate(sample);
        var expectedPath = LidoSamples.ExpectedPath(sample);
        var actualText = actual.ToJsonString(LidoSamples.Indented);
        if (!File.Exists(expectedPath))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(expectedPath)!);
            File.WriteAllText(expectedPath + ".actual", actualText);
            Assert.Fail($"{expectedPath} does not exist; what the translation gives is in {expectedPath}.actual");
        }
        var expected = JsonNode.Parse(File.ReadAllText(expectedPath));
        if (!JsonNode.DeepEquals(expected, actual))
        {
            File.WriteAllText(expectedPath + ".actual", actualText);
            Assert.Fail($"{sample} translates differently from {expectedPath}:\n{JsonDiff.Describe(expected, actual)}");
        }
    }
}
