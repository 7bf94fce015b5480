using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Adapters.Core;

namespace Adapters.Parking;

/// <summary>
/// DATEX II v2 (namespace http://datex2.eu/schema/2/2_0) parking publications, as the German Mobilithek/MDM feeds
/// deliver them (a GenericPublication whose extension holds the publication, or the publication as the payload's
/// xsi:type): ParkingTablePublication (static records: name, location, capacity), ParkingStatusPublication (dynamic:
/// occupancy, vacant spaces, status) and the older parkingFacilityTableStatusPublication. A record mapped as a site
/// becomes an OffStreetParking, one mapped as a spot (sensor-monitored single spaces) a ParkingSpot. A site's status
/// record that says nothing the model can hold (statusUnknown, no counts) gives no entity. A static table record of a
/// spot says nothing of its occupancy, and a ParkingSpot must have a status: it is "unknown", without observedAt (so
/// that the site's counts, which are made of observed states, do not take it); before it is sent,
/// <see cref="UnobservedSpotStatus"/> replaces it with the status already known, if any.
/// </summary>
public static class Datex2ParkingTranslation
{
    public const string Namespace = "http://datex2.eu/schema/2/2_0";

    private static readonly XNamespace D2 = Namespace;
    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    private static readonly HashSet<string> SdmStatus =
        ["almostFull", "closed", "closedAbnormal", "full", "fullAtEntrance", "open", "openingTimesInForce", "spacesAvailable"];

    private static readonly HashSet<string> SdmLayout =
        ["automatedParkingGarage", "covered", "field", "multiLevel", "multiStorey", "nested", "openSpace", "singleLevel"];

    public static IReadOnlyList<AdapterEntity> Translate(string xml, ParkingMapping mapping)
    {
        var root = Parse(xml);
        if (root.Name != D2 + "d2LogicalModel")
            throw new MalformedSourceException(
                $"DATEX II v2: the root element is {{{root.Name.NamespaceName}}}{root.Name.LocalName}, not d2LogicalModel in {Namespace}");
        var payload = root.Element(D2 + "payloadPublication")
            ?? throw new MalformedSourceException("DATEX II v2: d2LogicalModel has no payloadPublication");
        var publicationTime = ParkingEntities.Instant(Text(payload, "publicationTime"), "DATEX II v2 payloadPublication.publicationTime")
            ?? throw new MalformedSourceException("DATEX II v2: payloadPublication.publicationTime is missing");

        var publications = Publications(payload).ToList();
        if (publications.Count == 0)
            throw new MalformedSourceException(
                $"DATEX II v2: payloadPublication (xsi:type {XsiType(payload) ?? "none"}) holds no parkingTablePublication, parkingStatusPublication or parkingFacilityTableStatusPublication");

        var records = new ParkingRecords(mapping, "DATEX II v2");
        foreach (var publication in publications)
        {
            switch (publication.Name.LocalName)
            {
                case "parkingTablePublication" or "ParkingTablePublication":
                    foreach (var record in publication.Elements(D2 + "parkingTable").Elements(D2 + "parkingRecord"))
                        TableRecord(record, records);
                    break;
                case "parkingStatusPublication" or "ParkingStatusPublication":
                    foreach (var status in publication.Elements(D2 + "parkingRecordStatus"))
                        RecordStatus(status, publicationTime, records);
                    break;
                default:
                    foreach (var status in publication.Elements(D2 + "parkingFacilityStatus"))
                        FacilityStatus(status, publicationTime, records);
                    break;
            }
        }
        return records.Entities();
    }

    private static XElement Parse(string xml)
    {
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
            return XDocument.Load(reader).Root!;
        }
        catch (XmlException e)
        {
            throw new MalformedSourceException($"DATEX II v2: not well-formed XML ({e.Message})", e);
        }
    }

    private static IEnumerable<XElement> Publications(XElement payload)
    {
        if (XsiType(payload) is "ParkingTablePublication" or "ParkingStatusPublication")
            yield return new XElement(XsiType(payload)!, payload.Elements());
        foreach (var publication in payload.Elements(D2 + "genericPublicationExtension").Elements())
        {
            if (publication.Name.Namespace == D2 && publication.Name.LocalName is
                "parkingTablePublication" or "parkingStatusPublication" or "parkingFacilityTableStatusPublication")
                yield return publication;
        }
    }

    private static void TableRecord(XElement record, ParkingRecords records)
    {
        var id = Id(record, "parkingRecord");
        var name = record.Element(D2 + "parkingName")?.Element(D2 + "values")?.Elements(D2 + "value").FirstOrDefault()?.Value.Trim();
        var description = record.Element(D2 + "parkingDescription")?.Element(D2 + "values")?.Elements(D2 + "value").FirstOrDefault()?.Value.Trim();
        var position = Position(record.Element(D2 + "parkingLocation"), id);
        var total = Integer(record, "parkingNumberOfSpaces", id);
        var layout = Text(record, "parkingLayout");
        var forDisabled = record.Elements(D2 + "assignedParkingAmongOthers").Elements(D2 + "applicableForUser").Any(user => user.Value.Trim() == "disabled");
        records.Resolve(
            id,
            site => new SiteObservation(site)
            {
                Name = name,
                Description = description,
                Position = position,
                TotalSpotNumber = total,
                Layout = layout is not null && SdmLayout.Contains(layout) ? [layout] : [],
                Category = [.. (forDisabled ? new[] { "forDisabled" } : []), .. (layout == "underground" ? new[] { "underground" } : [])],
            },
            (spot, site) => new SpotObservation(spot, site) { Name = name, Position = position, Status = "unknown" });
    }

    private static void RecordStatus(XElement status, string publicationTime, ParkingRecords records)
    {
        var reference = status.Element(D2 + "parkingRecordReference")
            ?? throw new MalformedSourceException($"DATEX II v2 parkingRecordStatus (xsi:type {XsiType(status) ?? "none"}): parkingRecordReference is missing");
        var id = Id(reference, "parkingRecordReference");
        var observedAt = ParkingEntities.Instant(Text(status, "parkingStatusOriginTime"), $"DATEX II v2 parkingRecordStatus {id}: parkingStatusOriginTime") ?? publicationTime;
        var occupancy = status.Element(D2 + "parkingOccupancy");
        var total = occupancy is null ? null : Integer(occupancy, "parkingNumberOfSpacesOverride", id);
        var vacant = occupancy is null ? null : Integer(occupancy, "parkingNumberOfVacantSpaces", id);
        var occupied = occupancy is null ? null : Integer(occupancy, "parkingNumberOfOccupiedSpaces", id);
        var percentage = occupancy is null ? null : Number(occupancy, "parkingOccupancy", id);
        if (percentage is < 0 or > 100)
            throw new MalformedSourceException($"DATEX II v2 parkingRecordStatus {id}: parkingOccupancy {percentage.Value.ToString(CultureInfo.InvariantCulture)} is not a percentage");
        var siteStatus = Text(status, "parkingSiteStatus");
        var openingStatus = Text(status, "parkingSiteOpeningStatus");
        string[] states = [.. new[] { siteStatus, openingStatus }.OfType<string>().Where(SdmStatus.Contains).Distinct()];
        records.Resolve(
            id,
            site => new SiteObservation(site)
            {
                TotalSpotNumber = total,
                AvailableSpotNumber = vacant,
                OccupiedSpotNumber = occupied,
                Occupancy = percentage is { } p ? Math.Round(p / 100, 4) : null,
                Status = states,
                ObservedAt = observedAt,
            },
            (spot, site) => new SpotObservation(spot, site)
            {
                Status = SpotStatus(openingStatus is "closed" or "closedAbnormal", vacant, occupied, siteStatus),
                ObservedAt = observedAt,
            });
    }

    private static void FacilityStatus(XElement status, string publicationTime, ParkingRecords records)
    {
        var reference = status.Element(D2 + "parkingFacilityReference")
            ?? throw new MalformedSourceException("DATEX II v2 parkingFacilityStatus: parkingFacilityReference is missing");
        var id = Id(reference, "parkingFacilityReference");
        var observedAt = ParkingEntities.Instant(Text(status, "parkingFacilityStatusTime"), $"DATEX II v2 parkingFacilityStatus {id}: parkingFacilityStatusTime") ?? publicationTime;
        var occupied = Integer(status, "totalNumberOfOccupiedParkingSpaces", id);
        var vacant = Integer(status, "totalNumberOfVacantParkingSpaces", id);
        var assigned = status.Elements(D2 + "assignedParkingSpacesStatus").Elements(D2 + "assignedParkingSpacesStatus").ToList();
        if (occupied is null && vacant is null && assigned.Count > 0)
        {
            occupied = assigned.Sum(a => Integer(a, "numberOfOccupiedAssignedParkingSpaces", id) ?? 0);
            vacant = assigned.Sum(a => Integer(a, "numberOfVacantAssignedParkingSpaces", id) ?? 0);
        }
        int? total = occupied is { } o && vacant is { } v ? o + v : null;
        var statuses = status.Elements(D2 + "parkingFacilityStatus").Select(s => s.Value.Trim()).ToList();
        string[] states = [.. statuses.Where(SdmStatus.Contains).Distinct()];
        records.Resolve(
            id,
            site => new SiteObservation(site)
            {
                TotalSpotNumber = total,
                AvailableSpotNumber = vacant,
                OccupiedSpotNumber = occupied,
                Occupancy = total > 0 ? Math.Round((double)occupied!.Value / total.Value, 4) : null,
                Status = states,
                ObservedAt = observedAt,
            },
            (spot, site) => new SpotObservation(spot, site)
            {
                Status = SpotStatus(statuses.Contains("closed"), vacant, occupied, statuses.FirstOrDefault(s => s is "full" or "spacesAvailable")),
                ObservedAt = observedAt,
            });
    }

    private static string SpotStatus(bool closed, int? vacant, int? occupied, string? siteStatus) =>
        closed ? "closed"
        : vacant > 0 ? "free"
        : occupied > 0 ? "occupied"
        : siteStatus switch { "full" => "occupied", "spacesAvailable" => "free", _ => "unknown" };

    private static GeoPoint? Position(XElement? location, string id)
    {
        var coordinates = location?.Descendants(D2 + "pointCoordinates").FirstOrDefault();
        if (coordinates is null)
            return null;
        var latitude = Number(coordinates, "latitude", id);
        var longitude = Number(coordinates, "longitude", id);
        if (latitude is not ({ } lat and >= -90 and <= 90) || longitude is not ({ } lon and >= -180 and <= 180))
            throw new MalformedSourceException($"DATEX II v2 parkingRecord {id}: pointCoordinates need a latitude in -90..90 and a longitude in -180..180");
        return new GeoPoint(lon, lat);
    }

    private static string Id(XElement element, string what)
    {
        var id = element.Attribute("id")?.Value.Trim();
        return string.IsNullOrEmpty(id) ? throw new MalformedSourceException($"DATEX II v2 {what}: the id attribute is missing") : id;
    }

    private static string? XsiType(XElement element)
    {
        var type = element.Attribute(Xsi + "type")?.Value;
        return type is null ? null : type[(type.IndexOf(':', StringComparison.Ordinal) + 1)..];
    }

    private static string? Text(XElement parent, string name) => parent.Element(D2 + name)?.Value.Trim();

    private static int? Integer(XElement parent, string name, string id)
    {
        var text = Text(parent, name);
        if (text is null)
            return null;
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw new MalformedSourceException($"DATEX II v2 record {id}: {name} '{text}' is not an integer");
        return ParkingEntities.Count(value, $"DATEX II v2 record {id}: {name}");
    }

    private static double? Number(XElement parent, string name, string id)
    {
        var text = Text(parent, name);
        if (text is null)
            return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new MalformedSourceException($"DATEX II v2 record {id}: {name} '{text}' is not a number");
    }
}
