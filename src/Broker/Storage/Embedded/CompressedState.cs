using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using Broker.Temporal;
using Ontology.Model;

namespace Broker.Storage.Embedded;

/// <summary>
/// An entity's recorded state as the embedded history keeps it: its stored JSON compressed with Brotli, after a byte
/// that names the format and the JSON's length. Compressed, a state fits in its row's page; its JSON (about 1.1 KB for an
/// entity of five attributes) does not, and every update of it wrote a page of its own. States written before are text.
/// </summary>
public static class CompressedState
{
    private const byte BrotliFormat = 1;
    private const int HeaderLength = 5;
    private const int Quality = 1;
    private const int Window = 16;

    public static byte[] Encode(TemporalWrite write) =>
        write.StoredState is { } stored ? Compress(stored) : StoredEntityJson.Serialize(write.State, Compress);

    private static byte[] Compress(ReadOnlySpan<byte> utf8)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(HeaderLength + BrotliEncoder.GetMaxCompressedLength(utf8.Length));
        try
        {
            buffer[0] = BrotliFormat;
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(1), utf8.Length);
            if (!BrotliEncoder.TryCompress(utf8, buffer.AsSpan(HeaderLength), out var written, Quality, Window))
                throw new InvalidOperationException("A state did not fit its compression buffer.");
            return buffer.AsSpan(0, HeaderLength + written).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The state of a column value: compressed bytes, or the JSON text of earlier versions.</summary>
    public static Entity Decode(object value)
    {
        if (value is string json)
            return StoredEntityJson.Deserialize(json);
        var bytes = (byte[])value;
        if (bytes.Length < HeaderLength || bytes[0] != BrotliFormat)
            throw new InvalidDataException("A recorded state has an unknown format.");
        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(1));
        var utf8 = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            if (!BrotliDecoder.TryDecompress(bytes.AsSpan(HeaderLength), utf8, out var written) || written != length)
                throw new InvalidDataException("A recorded state does not decompress to its length.");
            return StoredEntityJson.Deserialize(utf8.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }
}
