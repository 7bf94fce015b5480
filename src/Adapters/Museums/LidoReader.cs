using System.Xml;
using System.Xml.Linq;
using Adapters.Core;

namespace Adapters.Museums;

/// <param name="Position">1-based position of the record in its document.</param>
/// <param name="Element">The lido:lido element, on its own (only this record is in memory).</param>
/// <param name="WrapLanguage">xml:lang in scope where the record starts (of the lido:lidoWrap), if any.</param>
public sealed record LidoRecord(int Position, XElement Element, string? WrapLanguage);

/// <summary>
/// Reads a LIDO document (1.0 or 1.1) record by record with an <see cref="XmlReader"/>: a lido:lidoWrap with any
/// number of lido:lido records, or a single lido:lido. Only the current record is held in memory.
/// </summary>
public static class LidoReader
{
    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = false,
    };

    /// <summary>The records, in document order.</summary>
    /// <param name="skip">Records to pass over without building them (those a resumed import has already submitted).</param>
    /// <exception cref="MalformedSourceException">While enumerating: the input is not well-formed XML or its root is not lido:lidoWrap or lido:lido.</exception>
    public static IEnumerable<LidoRecord> Read(Stream stream, int skip = 0) => Read(XmlReader.Create(stream, Settings), skip);

    public static IEnumerable<LidoRecord> Read(TextReader text, int skip = 0) => Read(XmlReader.Create(text, Settings), skip);

    private static IEnumerable<LidoRecord> Read(XmlReader reader, int skip)
    {
        using (reader)
        {
            if (Guarded(reader, static r => r.MoveToContent()) != XmlNodeType.Element)
                throw new MalformedSourceException("LIDO: the document has no root element");
            var root = XName.Get(reader.LocalName, reader.NamespaceURI);
            if (root == Lido.Record)
            {
                if (skip < 1)
                    yield return new LidoRecord(1, ReadRecord(reader), null);
                yield break;
            }
            if (root != Lido.LidoWrap)
                throw new MalformedSourceException($"LIDO: the root element is {LidoTranslator.Describe(root)}, not lido:lidoWrap or lido:lido ({Lido.NamespaceUri})");
            if (reader.IsEmptyElement)
                yield break;
            var wrapLanguage = string.IsNullOrEmpty(reader.XmlLang) ? null : reader.XmlLang;
            Guarded(reader, static r => r.Read());
            var position = 0;
            while (reader.NodeType != XmlNodeType.EndElement && !reader.EOF)
            {
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "lido" && reader.NamespaceURI == Lido.NamespaceUri)
                {
                    position++;
                    if (position <= skip)
                    {
                        Guarded(reader, static r => { r.Skip(); return true; });
                        continue;
                    }
                    yield return new LidoRecord(position, ReadRecord(reader), wrapLanguage);
                }
                else if (reader.NodeType == XmlNodeType.Element)
                    Guarded(reader, static r => { r.Skip(); return true; });
                else
                    Guarded(reader, static r => r.Read());
            }
        }
    }

    private static XElement ReadRecord(XmlReader reader) => Guarded(reader, static r => (XElement)XNode.ReadFrom(r));

    /// <summary>A step of the reader, its XmlException (the iterator cannot catch around a yield) made a MalformedSourceException.</summary>
    private static T Guarded<T>(XmlReader reader, Func<XmlReader, T> step)
    {
        try
        {
            return step(reader);
        }
        catch (XmlException e)
        {
            throw NotWellFormed(e);
        }
    }

    private static MalformedSourceException NotWellFormed(XmlException e) =>
        new($"LIDO: not well-formed XML at line {e.LineNumber}, position {e.LinePosition}: {e.Message}", e);
}
