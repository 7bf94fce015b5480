using Adapters.Core;
using Adapters.LoRaWan.Decoders;
using Xunit;

namespace Adapters.Tests.LoRaWan;

public sealed class DecoderTests
{
    /// <summary>Each codec file with the family whose built-in decoder must reproduce its examples.</summary>
    private static readonly (string File, string Family)[] Codecs =
    [
        ("nwave-nps405-codec.yaml", "nwave-nps405"),
        ("bosch-tps110-0292-codec.yaml", "bosch-tps110"),
        ("elsys-ers-co2-codec.yaml", "elsys-ers-co2"),
        ("decentlab-dl-pm-codec.yaml", "decentlab-dl-pm"),
        ("decentlab-dl-atm41-codec.yaml", "decentlab-dl-atm41"),
    ];

    public static TheoryData<string, string, string> Vectors()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (file, family) in Codecs)
        {
            foreach (var vector in CodecVector.Read(file))
                data.Add(file, vector.Description, family);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void The_decoder_gives_the_codec_example_output(string file, string description, string family)
    {
        var vector = CodecVector.Read(file).Single(v => v.Description == description);
        var decoded = PayloadDecoders.ByFamily[family].Decode(vector.FPort, vector.Bytes);
        var differences = vector.Differences(decoded);
        Assert.True(differences.Count == 0, $"{vector}:\n  {string.Join("\n  ", differences)}\ndecoded: {decoded.ToJsonString()}");
    }

    [Fact]
    public void Every_codec_file_has_examples_and_every_family_a_codec_file()
    {
        Assert.All(Codecs, codec => Assert.NotEmpty(CodecVector.Read(codec.File)));
        Assert.Equal(PayloadDecoders.ByFamily.Keys.Order(), Codecs.Select(c => c.Family).Order());
    }

    [Theory]
    [InlineData("nwave-nps405", 2, new byte[] { 0x00, 0xD3 }, "nwave-nps405 payload on fPort 2: a heartbeat has at least 3 bytes, this one 2")]
    [InlineData("nwave-nps405", 10, new byte[] { 0xD1, 0x20, 0x1F }, "nwave-nps405 payload on fPort 10: a user registration has at least 6 bytes, this one 3")]
    [InlineData("bosch-tps110", 1, new byte[0], "bosch-tps110 payload on fPort 1: a parking status has at least 1 byte, this one 0")]
    [InlineData("bosch-tps110", 3, new byte[] { 0x24, 3, 0, 0 }, "bosch-tps110 payload on fPort 3: a start-up message has at least 17 bytes, this one 4")]
    [InlineData("elsys-ers-co2", 1, new byte[] { 0x01, 0x00 }, "elsys-ers-co2 payload on fPort 1: the temperature reading at byte 0 needs 2 bytes, 1 remain")]
    [InlineData("elsys-ers-co2", 1, new byte[] { 0x01, 0x00, 0xE2, 0x06, 0x03 }, "elsys-ers-co2 payload on fPort 1: the co2 reading at byte 3 needs 2 bytes, 1 remain")]
    [InlineData("elsys-ers-co2", 1, new byte[] { 0x7F, 0x00 }, "elsys-ers-co2 payload on fPort 1: unknown reading type 0x7F at byte 0")]
    [InlineData("elsys-ers-co2", 1, new byte[0], "elsys-ers-co2 payload on fPort 1: the payload is empty")]
    [InlineData("decentlab-dl-pm", 1, new byte[] { 0x02, 0x1b, 0x50, 0x00 }, "decentlab-dl-pm payload on fPort 1: a Decentlab message has at least 5 bytes, this one 4")]
    [InlineData("decentlab-dl-pm", 1, new byte[] { 0x02, 0x1b, 0x50, 0x00, 0x05, 0x0c, 0x25, 0x67 },
        "decentlab-dl-pm payload on fPort 1: sensor 2 (air_temperature…) needs 4 bytes at byte 7, 1 remain")]
    [InlineData("decentlab-dl-pm", 1, new byte[] { 0x03, 0x1b, 0x50, 0x00, 0x01, 0x0c, 0x25 }, "decentlab-dl-pm payload on fPort 1: protocol version 3, not 2")]
    [InlineData("decentlab-dl-pm", 1, new byte[] { 0x02, 0x1b, 0x50, 0x00, 0x11, 0x0c, 0x25 }, "decentlab-dl-pm payload on fPort 1: flags 0x0011 name sensors beyond the 4 this device has")]
    [InlineData("decentlab-dl-atm41", 1, new byte[] { 0x02, 0x03, 0x5a, 0x00, 0x02, 0x0b, 0xf5, 0x00 }, "decentlab-dl-atm41 payload on fPort 1: 1 bytes after the last flagged sensor")]
    [InlineData("decentlab-dl-atm41", 1, new byte[] { 0x02, 0x03, 0x5a, 0x00, 0x01, 0x80, 0x0a }, "decentlab-dl-atm41 payload on fPort 1: sensor 0 (solar_radiation…) needs 34 bytes at byte 5, 2 remain")]
    public void A_payload_too_short_or_not_of_the_format_is_malformed(string family, int fPort, byte[] payload, string message)
    {
        var exception = Assert.Throws<MalformedSourceException>(() => PayloadDecoders.ByFamily[family].Decode(fPort, payload));
        Assert.Equal(message, exception.Message);
    }

    [Fact]
    public void Nwave_durations_above_90_minutes_are_compressed_and_127_overflows()
    {
        var decoder = PayloadDecoders.ByFamily["nwave-nps405"];
        Assert.Equal(240 + 3 * 60, (int)decoder.Decode(1, [(byte)(123 << 1)])["previous_state_duration"]!);
        var overflow = decoder.Decode(1, [0xFE]);
        Assert.False((bool)overflow["occupied"]!);
        Assert.True((bool)overflow["previous_state_duration_overflow"]!);
        Assert.Null(overflow["previous_state_duration_error"]);
    }

    [Fact]
    public void A_port_the_family_does_not_use_for_data_decodes_to_nothing()
    {
        Assert.Empty(PayloadDecoders.ByFamily["nwave-nps405"].Decode(42, [1, 2, 3]));
        Assert.Empty(PayloadDecoders.ByFamily["bosch-tps110"].Decode(42, [1]));
    }
}
