using System.Text.Json.Nodes;
using Adapters.Core;

namespace Adapters.LoRaWan.Decoders;

/// <summary>
/// A built-in decoder of one device family's uplink payload (FRMPayload bytes) into the fields the vendor's codec
/// names, so that the object a network server decoded with that codec and the one decoded here read the same way.
/// </summary>
public abstract class PayloadDecoder
{
    /// <summary>The family's name in the mapping file, e.g. "nwave-nps405".</summary>
    public abstract string Family { get; }

    /// <summary>The decoded fields; an empty object for an fPort the family does not use for data.</summary>
    /// <exception cref="MalformedSourceException">The payload does not have the format of its fPort.</exception>
    public abstract JsonObject Decode(int fPort, ReadOnlySpan<byte> payload);

    private protected MalformedSourceException Malformed(int fPort, string problem) =>
        new($"{Family} payload on fPort {fPort}: {problem}");

    private protected void RequireLength(int fPort, ReadOnlySpan<byte> payload, int minimum, string message)
    {
        if (payload.Length < minimum)
            throw Malformed(fPort, $"a {message} has at least {minimum} byte{(minimum == 1 ? "" : "s")}, this one {payload.Length}");
    }
}

/// <summary>The built-in decoders by family name.</summary>
public static class PayloadDecoders
{
    public static IReadOnlyDictionary<string, PayloadDecoder> ByFamily { get; } = new PayloadDecoder[]
    {
        new NwaveNps405Decoder(),
        new BoschTps110Decoder(),
        new ElsysDecoder(),
        DecentlabDecoder.ParticulateMatter,
        DecentlabDecoder.WeatherStation,
    }.ToDictionary(decoder => decoder.Family, StringComparer.Ordinal);
}
