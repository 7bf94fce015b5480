using System.Globalization;
using System.Xml;

namespace Adapters.Tests.Museums;

/// <summary>
/// Writes large LIDO 1.0 files for the import tests and the throughput measurement: records shaped like the
/// museum-digital exports of the reference (title, object type, holding museum with ISIL and position, production
/// event with actor, date and materials, measurements, two images with rights, record link), spread over 15 museums.
/// </summary>
internal static class SyntheticLido
{
    public const string Namespace = "http://www.lido-schema.org";

    private static readonly string[] ObjectTypes = ["Fotografie", "Gemälde", "Urkunde", "Münze", "Krug", "Knochenwerkzeug", "Stuhl"];
    private static readonly string[] Materials = ["Papier", "Holz", "Silber", "Ton", "Leinwand", "Knochen", "Glas"];

    public static string RecordId(int position) => $"DE-MUS-SYN{position % 15:D2}/{position}";

    /// <param name="withoutTitle">Positions (1-based) of records to write without a title, which the import must report.</param>
    public static void Write(string path, int records, ISet<int>? withoutTitle = null)
    {
        using var writer = XmlWriter.Create(path, new XmlWriterSettings { Indent = true });
        writer.WriteStartDocument();
        writer.WriteStartElement("lido", "lidoWrap", Namespace);
        for (var position = 1; position <= records; position++)
            WriteRecord(writer, position, withoutTitle?.Contains(position) ?? false);
        writer.WriteEndElement();
        writer.WriteEndDocument();
    }

    private static void WriteRecord(XmlWriter w, int position, bool withoutTitle)
    {
        var museum = position % 15;
        var invariant = CultureInfo.InvariantCulture;
        w.WriteStartElement("lido", "lido", Namespace);
        Element(w, "lidoRecID", RecordId(position), ("type", "local"));
        w.WriteStartElement("lido", "descriptiveMetadata", Namespace);
        w.WriteAttributeString("xml", "lang", null, "de");
        w.WriteStartElement("lido", "objectClassificationWrap", Namespace);
        w.WriteStartElement("lido", "objectWorkTypeWrap", Namespace);
        w.WriteStartElement("lido", "objectWorkType", Namespace);
        Element(w, "conceptID", "http://d-nb.info/gnd/4045895-7", ("type", "uri"));
        Element(w, "term", ObjectTypes[position % ObjectTypes.Length]);
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteStartElement("lido", "objectIdentificationWrap", Namespace);
        w.WriteStartElement("lido", "titleWrap", Namespace);
        w.WriteStartElement("lido", "titleSet", Namespace);
        if (!withoutTitle)
            Element(w, "appellationValue", $"{ObjectTypes[position % ObjectTypes.Length]} Nr. {position} aus der Sammlung {museum}", ("pref", "preferred"));
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteStartElement("lido", "repositoryWrap", Namespace);
        w.WriteStartElement("lido", "repositorySet", Namespace);
        w.WriteAttributeString("lido", "type", Namespace, "current");
        w.WriteStartElement("lido", "repositoryName", Namespace);
        Element(w, "legalBodyID", $"DE-MUS-SYN{museum:D2}", ("type", "isil"));
        w.WriteStartElement("lido", "legalBodyName", Namespace);
        Element(w, "appellationValue", $"Museum {museum} der Hansestadt Lübeck");
        w.WriteEndElement();
        w.WriteEndElement();
        Element(w, "workID", $"INV {museum}-{position}", ("type", "inventory number"));
        w.WriteStartElement("lido", "repositoryLocation", Namespace);
        w.WriteStartElement("lido", "namePlaceSet", Namespace);
        Element(w, "appellationValue", "Lübeck");
        w.WriteEndElement();
        w.WriteStartElement("lido", "gml", Namespace);
        w.WriteStartElement("gml", "Point", "http://www.opengis.net/gml");
        w.WriteElementString("gml", "pos", "http://www.opengis.net/gml", string.Create(invariant, $"{53.86 + museum / 1000.0} {10.68 + museum / 1000.0}"));
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteStartElement("lido", "objectDescriptionWrap", Namespace);
        w.WriteStartElement("lido", "objectDescriptionSet", Namespace);
        Element(w, "descriptiveNoteValue", $"Beschreibung des Objekts {position}: ein synthetischer Datensatz für die Messung des Durchsatzes, so lang wie eine typische kurze Beschreibung eines Museumsobjekts.");
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteStartElement("lido", "objectMeasurementsWrap", Namespace);
        w.WriteStartElement("lido", "objectMeasurementsSet", Namespace);
        Element(w, "displayObjectMeasurements", string.Create(invariant, $"{10 + position % 90} x {20 + position % 70} cm"));
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteStartElement("lido", "eventWrap", Namespace);
        w.WriteStartElement("lido", "eventSet", Namespace);
        w.WriteStartElement("lido", "event", Namespace);
        w.WriteStartElement("lido", "eventType", Namespace);
        Element(w, "conceptID", "http://terminology.lido-schema.org/lido00007", ("type", "uri"));
        Element(w, "term", "Herstellung");
        w.WriteEndElement();
        w.WriteStartElement("lido", "eventActor", Namespace);
        w.WriteStartElement("lido", "actorInRole", Namespace);
        w.WriteStartElement("lido", "actor", Namespace);
        Element(w, "actorID", $"https://d-nb.info/gnd/{100000 + position % 5000}", ("type", "uri"));
        w.WriteStartElement("lido", "nameActorSet", Namespace);
        Element(w, "appellationValue", $"Künstler {position % 5000}", ("pref", "preferred"));
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteStartElement("lido", "roleActor", Namespace);
        Element(w, "term", "Hersteller");
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteStartElement("lido", "eventDate", Namespace);
        Element(w, "displayDate", string.Create(invariant, $"um {1500 + position % 500}"));
        w.WriteStartElement("lido", "date", Namespace);
        Element(w, "earliestDate", string.Create(invariant, $"{1495 + position % 500}"));
        Element(w, "latestDate", string.Create(invariant, $"{1505 + position % 500}"));
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteStartElement("lido", "eventMaterialsTech", Namespace);
        w.WriteStartElement("lido", "materialsTech", Namespace);
        w.WriteStartElement("lido", "termMaterialsTech", Namespace);
        w.WriteAttributeString("lido", "type", Namespace, "material");
        Element(w, "term", Materials[position % Materials.Length]);
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteStartElement("lido", "administrativeMetadata", Namespace);
        w.WriteAttributeString("xml", "lang", null, "de");
        w.WriteStartElement("lido", "recordWrap", Namespace);
        Element(w, "recordID", position.ToString(invariant), ("type", "local"));
        w.WriteStartElement("lido", "recordRights", Namespace);
        w.WriteStartElement("lido", "rightsType", Namespace);
        Element(w, "conceptID", "https://creativecommons.org/publicdomain/zero/1.0/", ("type", "uri"));
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteStartElement("lido", "recordInfoSet", Namespace);
        Element(w, "recordInfoLink", $"https://luebeck.museum-digital.de/object/{position}");
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteStartElement("lido", "resourceWrap", Namespace);
        for (var image = 1; image <= 2; image++)
        {
            w.WriteStartElement("lido", "resourceSet", Namespace);
            w.WriteStartElement("lido", "resourceRepresentation", Namespace);
            w.WriteAttributeString("lido", "type", Namespace, "image_thumb");
            Element(w, "linkResource", $"https://luebeck.museum-digital.de/images/100h_{position}_{image}.jpg");
            w.WriteEndElement();
            w.WriteStartElement("lido", "resourceRepresentation", Namespace);
            w.WriteAttributeString("lido", "type", Namespace, "image_master");
            Element(w, "linkResource", $"https://luebeck.museum-digital.de/images/{position}_{image}.jpg");
            w.WriteEndElement();
            w.WriteStartElement("lido", "rightsResource", Namespace);
            w.WriteStartElement("lido", "rightsType", Namespace);
            Element(w, "conceptID", "https://creativecommons.org/licenses/by-sa/4.0/", ("type", "uri"));
            w.WriteEndElement();
            Element(w, "creditLine", $"Museum {museum} der Hansestadt Lübeck, CC BY-SA 4.0");
            w.WriteEndElement();
            w.WriteEndElement();
        }
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();
    }

    private static void Element(XmlWriter w, string name, string value, params (string Name, string Value)[] attributes)
    {
        w.WriteStartElement("lido", name, Namespace);
        foreach (var (attribute, text) in attributes)
            w.WriteAttributeString("lido", attribute, Namespace, text);
        w.WriteString(value);
        w.WriteEndElement();
    }
}
