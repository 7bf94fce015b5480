using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Adapters.Core;

namespace Adapters.Museums;

/// <summary>The entities of one LIDO record: the collection object and, when the record names it, the museum holding it.</summary>
public sealed record LidoEntities(AdapterEntity CollectionObject, AdapterEntity? Museum)
{
    public IReadOnlyList<AdapterEntity> All => Museum is null ? [CollectionObject] : [Museum, CollectionObject];
}

/// <summary>
/// One lido:lido record → a CollectionObject (dataModel.CulturalHeritage, this project's proposal) and a Museum
/// (dataModel.PointOfInterest) for the repository that holds it. Pure: no I/O, no clock. Which LIDO element gives
/// which attribute is the table in src/Ontology/SmartDataModels/dataModel.CulturalHeritage/README.md.
/// </summary>
public static partial class LidoTranslator
{
    public const string CollectionObjectModel = "dataModel.CulturalHeritage";
    public const string MuseumModel = "dataModel.PointOfInterest";

    private static readonly XNamespace L = Lido.Ns;

    /// <summary>Event types whose actors are the creators and whose date is the dating of the object.</summary>
    private static readonly FrozenSet<string> ProductionEventTypes = FrozenSet.ToFrozenSet(
    [
        "http://terminology.lido-schema.org/lido00007",
        "http://erlangen-crm.org/current/E12_Production",
        "http://erlangen-crm.org/current/E65_Creation",
        "http://www.cidoc-crm.org/cidoc-crm/E12_Production",
        "http://www.cidoc-crm.org/cidoc-crm/E65_Creation",
        "https://event-types.museum-digital.org/1",
        "production", "creation", "herstellung", "hergestellt", "erstellung", "entstehung", "geschaffen",
        "aufgenommen", "verfasst", "gemalt", "gezeichnet", "gedruckt",
    ], StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenSet<string> AuthorityHosts = FrozenSet.ToFrozenSet(
        ["d-nb.info", "vocab.getty.edu", "viaf.org", "www.wikidata.org"], StringComparer.OrdinalIgnoreCase);

    /// <summary>resourceRepresentation types from the largest to the smallest rendition.</summary>
    private static readonly FrozenDictionary<string, int> RepresentationRank = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)
    {
        ["http://terminology.lido-schema.org/lido00464"] = 0,
        ["image_master"] = 0,
        ["masterfile"] = 0,
        ["provided_image"] = 0,
        ["image_preview"] = 2,
        ["http://terminology.lido-schema.org/lido00451"] = 3,
        ["image_thumb"] = 3,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>Translates one lido:lido element.</summary>
    /// <param name="wrapLanguage">xml:lang of the enclosing lido:lidoWrap, if any (a value's own or nearest xml:lang wins).</param>
    /// <param name="mapping">Where the museums are whose records do not say.</param>
    /// <exception cref="MalformedSourceException">The record has no lidoRecID or no title.</exception>
    public static LidoEntities Translate(XElement record, string? wrapLanguage = null, MuseumsMapping? mapping = null)
    {
        if (record.Name != Lido.Record)
            throw new MalformedSourceException($"LIDO: expected a lido:lido record, found {Describe(record.Name)}");
        var recId = RecordId(record)
            ?? throw new MalformedSourceException("LIDO record: lidoRecID is missing or empty");
        var descriptive = record.Elements(L + "descriptiveMetadata").ToList();
        var first = descriptive.FirstOrDefault();
        var language = first is null ? wrapLanguage : Lido.Language(first, wrapLanguage);
        var context = new RecordContext(wrapLanguage, language);

        var titles = Titles(descriptive, context);
        if (titles.Name is null)
            throw new MalformedSourceException($"LIDO record '{recId}': no title (descriptiveMetadata/objectIdentificationWrap/titleWrap/titleSet/appellationValue is missing or empty)");

        var entity = new JsonObject
        {
            ["id"] = MuseumIds.CollectionObject(recId),
            ["type"] = MuseumIds.CollectionObjectType,
            ["name"] = Normalized.Property(titles.Name),
            ["title"] = Normalized.LanguageProperty(titles.ByLanguage),
        };
        if (titles.Alternatives.Count > 0)
            entity["alternativeTitle"] = Normalized.Property(Normalized.Strings(titles.Alternatives));
        entity["lidoRecID"] = Normalized.Property(recId);

        AddIfAny(entity, "category", Label(record.Element(L + "category"), context));
        AdapterEntity? museum = null;
        if (first is not null)
            museum = AddDescriptive(entity, first, context);
        if (museum is not null && !museum.Body.ContainsKey("location") && mapping?.Find(museum.Id) is { Longitude: { } longitude, Latitude: { } latitude })
            museum.Body["location"] = Normalized.GeoPoint(longitude, latitude);
        AddAdministrative(entity, record.Element(L + "administrativeMetadata"), context);

        var seeAlso = record.Elements(L + "objectPublishedID").Select(Lido.Text).Where(Lido.IsAbsoluteHttpUri).Distinct().ToList();
        if (seeAlso.Count > 0)
            entity["seeAlso"] = Normalized.Property(Normalized.Strings(seeAlso!));

        return new LidoEntities(new AdapterEntity(entity, CollectionObjectModel), museum);
    }

    /// <summary>The first non-empty lidoRecID, or null.</summary>
    public static string? RecordId(XElement record) =>
        record.Elements(Lido.LidoRecId).Select(Lido.Text).FirstOrDefault(id => id is not null);

    private sealed record RecordContext(string? WrapLanguage, string? Language);

    private sealed record TitleSet(string? Name, List<KeyValuePair<string, string>> ByLanguage, List<string> Alternatives);

    /// <summary>
    /// Titles of every descriptiveMetadata (one per language in LIDO 1.0, e.g. en and de): per language the first
    /// preferred value (of alternate values when no value is preferred); the name is the first of these; every other
    /// value is an alternative.
    /// </summary>
    private static TitleSet Titles(List<XElement> descriptive, RecordContext context)
    {
        string? name = null;
        var byLanguage = new List<KeyValuePair<string, string>>();
        var values = new List<string>();
        var appellations = descriptive
            .Elements(L + "objectIdentificationWrap").Elements(L + "titleWrap").Elements(L + "titleSet").Elements(Lido.AppellationValue)
            .ToList();
        var preferred = appellations.Where(value => !Lido.IsAlternate(value)).ToList();
        foreach (var value in appellations)
        {
            var text = Lido.Text(value);
            if (text is null)
                continue;
            if (!values.Contains(text))
                values.Add(text);
            if (preferred.Count > 0 && Lido.IsAlternate(value))
                continue;
            name ??= text;
            var language = Lido.Language(value, context.WrapLanguage) ?? "@none";
            if (!byLanguage.Exists(pair => pair.Key == language))
                byLanguage.Add(new(language, text));
        }
        values.RemoveAll(text => text == name || byLanguage.Exists(pair => pair.Value == text));
        return new TitleSet(name, byLanguage, values);
    }

    private static AdapterEntity? AddDescriptive(JsonObject entity, XElement descriptive, RecordContext context)
    {
        var classification = descriptive.Element(L + "objectClassificationWrap");
        AddIfAny(entity, "objectType", classification?.Element(L + "objectWorkTypeWrap")?.Elements(L + "objectWorkType")
            .Select(type => Label(type, context)).OfType<string>().Distinct().ToList());
        AddIfAny(entity, "classification", classification?.Element(L + "classificationWrap")?.Elements(L + "classification")
            .Where(c => (string?)c.Attribute(Lido.Type) != "europeana:type")
            .Select(c => Label(c, context)).OfType<string>().Distinct().ToList());

        var identification = descriptive.Element(L + "objectIdentificationWrap");
        AddIfAny(entity, "description", identification?.Element(L + "objectDescriptionWrap")?.Elements(L + "objectDescriptionSet")
            .Elements(L + "descriptiveNoteValue").Select(Lido.Text).FirstOrDefault(text => text is not null));

        var events = descriptive.Element(L + "eventWrap")?.Elements(L + "eventSet").Elements(L + "event").ToList() ?? [];
        var production = events.Where(e => IsProduction(e.Element(L + "eventType"))).ToList();
        AddIfAny(entity, "creator", Creators(production, context));
        AddIfAny(entity, "dating", Dating(production, context));
        AddMaterials(entity, events, identification, context);
        AddIfAny(entity, "dimensions", Dimensions(identification, context));

        var repositories = identification?.Element(L + "repositoryWrap")?.Elements(L + "repositorySet").Where(set => !Lido.IsFormerRepository(set)).ToList() ?? [];
        var holding = repositories.FirstOrDefault(set => set.Element(L + "repositoryName") is not null);
        AddIfAny(entity, "inventoryNumber", (holding is null ? repositories : [holding])
            .Elements(L + "workID").Select(Lido.Text).FirstOrDefault(id => id is not null));
        var museum = holding is null ? null : Museum(holding.Element(L + "repositoryName")!, holding.Element(L + "repositoryLocation"), context);
        if (museum is not null)
            entity["refMuseum"] = Normalized.Relationship(museum.Id);
        else if (repositories.Select(set => Point(set.Element(L + "repositoryLocation"))).FirstOrDefault(point => point is not null) is { } point)
            entity["location"] = point;
        return museum;
    }

    private static bool IsProduction(XElement? eventType)
    {
        if (eventType is null)
            return false;
        foreach (var id in eventType.Elements(Lido.ConceptId))
            if (Lido.Text(id) is { } uri && ProductionEventTypes.Contains(uri))
                return true;
        foreach (var concept in eventType.Elements(Lido.SkosConcept))
            if ((string?)concept.Attribute(Lido.RdfAbout) is { } about && ProductionEventTypes.Contains(about))
                return true;
        foreach (var label in eventType.Elements(Lido.Term).Concat(eventType.Elements(Lido.SkosConcept).Elements(Lido.SkosPrefLabel)))
            if (Lido.Text(label) is { } text && ProductionEventTypes.Contains(text))
                return true;
        return false;
    }

    private static JsonArray? Creators(List<XElement> production, RecordContext context)
    {
        var creators = new JsonArray();
        foreach (var eventActor in production.Elements(L + "eventActor"))
        {
            var inRoles = eventActor.Elements(L + "actorInRole").ToList();
            if (inRoles.Count == 0 && Lido.Text(eventActor.Element(L + "displayActorInRole")) is { } display)
                creators.Add(new JsonObject { ["name"] = display });
            foreach (var inRole in inRoles)
            {
                var actor = inRole.Element(L + "actor");
                var names = actor?.Elements(L + "nameActorSet").Elements(Lido.AppellationValue).ToList() ?? [];
                var name = names.Where(n => !Lido.IsAlternate(n)).Select(Lido.Text).FirstOrDefault(n => n is not null)
                    ?? names.Select(Lido.Text).FirstOrDefault(n => n is not null);
                if (name is null)
                    continue;
                var creator = new JsonObject { ["name"] = name };
                if (Label(inRole.Element(L + "roleActor"), context) is { } role)
                    creator["role"] = role;
                if (AuthorityId(actor!.Elements(L + "actorID")) is { } id)
                    creator["identifier"] = id;
                creators.Add(creator);
            }
        }
        return creators.Count == 0 ? null : creators;
    }

    /// <summary>An actorID in an authority file (GND, ULAN, VIAF, Wikidata) if there is one, else the first that is a URL.</summary>
    private static string? AuthorityId(IEnumerable<XElement> actorIds)
    {
        var urls = actorIds.Select(Lido.Text).Where(Lido.IsAbsoluteHttpUri).ToList();
        return urls.Find(url => AuthorityHosts.Contains(new Uri(url!).Host)) ?? urls.FirstOrDefault();
    }

    private static JsonObject? Dating(List<XElement> production, RecordContext context)
    {
        foreach (var eventDate in production.Elements(L + "eventDate"))
        {
            var dating = new JsonObject();
            if (InLanguage(eventDate.Elements(L + "displayDate"), context) is { } display)
                dating["displayDate"] = display;
            var date = eventDate.Element(L + "date");
            if (IsoDate(Lido.Text(date?.Element(L + "earliestDate"))) is { } earliest)
                dating["earliestDate"] = earliest;
            if (IsoDate(Lido.Text(date?.Element(L + "latestDate"))) is { } latest)
                dating["latestDate"] = latest;
            if (dating.Count > 0)
                return dating;
        }
        return null;
    }

    /// <summary>A year ("1482", "-0050") or an ISO 8601 calendar date of the year, month or day; anything else is dropped.</summary>
    private static string? IsoDate(string? value) => value is not null && IsoDatePattern().IsMatch(value) ? value : null;

    [GeneratedRegex(@"^-?\d{1,4}(-\d{2}(-\d{2})?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDatePattern();

    /// <summary>Terms of every event's materials and of objectMaterialsTechWrap (LIDO 1.1): techniques apart, the rest materials.</summary>
    private static void AddMaterials(JsonObject entity, List<XElement> events, XElement? identification, RecordContext context)
    {
        var sets = events.Elements(L + "eventMaterialsTech")
            .Concat(identification?.Element(L + "objectMaterialsTechWrap")?.Elements(L + "objectMaterialsTechSet") ?? [])
            .ToList();
        var materials = new List<string>();
        var techniques = new List<string>();
        foreach (var term in sets.Elements(L + "materialsTech").Elements(L + "termMaterialsTech"))
        {
            if (Label(term, context) is not { } label)
                continue;
            var list = Lido.IsTechnique(term) ? techniques : materials;
            if (!list.Contains(label))
                list.Add(label);
        }
        AddIfAny(entity, "material", materials);
        AddIfAny(entity, "technique", techniques);
        AddIfAny(entity, "materialDescription", InLanguage(sets.Elements(L + "displayMaterialsTech"), context));
    }

    private static JsonObject? Dimensions(XElement? identification, RecordContext context)
    {
        var sets = identification?.Element(L + "objectMeasurementsWrap")?.Elements(L + "objectMeasurementsSet").ToList() ?? [];
        var displays = sets.Select(set => InLanguage(set.Elements(L + "displayObjectMeasurements"), context)).OfType<string>().ToList();
        var measurements = new JsonArray();
        foreach (var measurement in sets.Elements(L + "objectMeasurements").Elements(L + "measurementsSet"))
        {
            var type = Label(measurement.Element(L + "measurementType"), context);
            var unit = Label(measurement.Element(L + "measurementUnit"), context);
            var text = Lido.Text(measurement.Element(L + "measurementValue"))?.Replace(',', '.');
            if (type is null || unit is null || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                continue;
            measurements.Add(new JsonObject { ["type"] = type, ["unit"] = unit, ["value"] = value });
        }
        if (displays.Count == 0 && measurements.Count == 0)
            return null;
        var dimensions = new JsonObject();
        if (displays.Count > 0)
            dimensions["displayDimensions"] = string.Join("; ", displays);
        if (measurements.Count > 0)
            dimensions["measurements"] = measurements;
        return dimensions;
    }

    private static AdapterEntity? Museum(XElement repositoryName, XElement? location, RecordContext context)
    {
        var name = InLanguage(repositoryName.Elements(L + "legalBodyName").Elements(Lido.AppellationValue).Where(v => !Lido.IsAlternate(v)), context);
        var legalBodyId = repositoryName.Elements(L + "legalBodyID").Select(Lido.Text).FirstOrDefault(id => id is not null);
        if (name is null && legalBodyId is null)
            return null;
        var museum = new JsonObject
        {
            ["id"] = legalBodyId is null ? MuseumIds.MuseumFromName(name!) : MuseumIds.MuseumFromLegalBodyId(legalBodyId),
            ["type"] = MuseumIds.MuseumType,
            ["name"] = Normalized.Property(name ?? legalBodyId!),
        };
        if (Point(location) is { } point)
            museum["location"] = point;
        var locality = location is null ? null
            : InLanguage(location.Elements(L + "namePlaceSet").Elements(Lido.AppellationValue), context)
              ?? InLanguage(location.Elements(L + "partOfPlace").Take(1).Elements(L + "namePlaceSet").Elements(Lido.AppellationValue), context);
        if (locality is not null)
            museum["address"] = Normalized.Property(new JsonObject { ["addressLocality"] = locality });
        if (repositoryName.Elements(L + "legalBodyWeblink").Select(Lido.Text).FirstOrDefault(Lido.IsAbsoluteHttpUri) is { } url)
            museum["url"] = Normalized.Property(url);
        return new AdapterEntity(museum, MuseumModel);
    }

    /// <summary>gml:Point/gml:pos of the place itself ("latitude longitude", the axis order of EPSG:4326) as a GeoJSON point.</summary>
    private static JsonObject? Point(XElement? place)
    {
        var pos = Lido.Text(place?.Elements(L + "gml").Elements(Lido.Gml + "Point").Elements(Lido.Gml + "pos").FirstOrDefault());
        if (pos is null)
            return null;
        var parts = pos.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2
            || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var latitude)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var longitude)
            || Math.Abs(latitude) > 90 || Math.Abs(longitude) > 180)
            return null;
        return Normalized.GeoPoint(longitude, latitude);
    }

    private static void AddAdministrative(JsonObject entity, XElement? administrative, RecordContext context)
    {
        if (administrative is null)
            return;
        var recordWrap = administrative.Element(L + "recordWrap");
        AddIfAny(entity, "rights", Rights(recordWrap?.Element(L + "recordRights"), context));

        var images = new List<string>();
        var imageRights = new JsonArray();
        foreach (var resource in administrative.Element(L + "resourceWrap")?.Elements(L + "resourceSet") ?? [])
        {
            var link = resource.Elements(L + "resourceRepresentation")
                .Select(r => (Url: Lido.Text(r.Element(L + "linkResource")), Rank: RepresentationRank.GetValueOrDefault((string?)r.Attribute(Lido.Type) ?? "", 1)))
                .Where(r => Lido.IsAbsoluteHttpUri(r.Url))
                .OrderBy(r => r.Rank)
                .Select(r => r.Url)
                .FirstOrDefault();
            if (link is null || images.Contains(link))
                continue;
            images.Add(link);
            if (Rights(resource.Element(L + "rightsResource"), context) is { } rights)
            {
                rights.Insert(0, "image", link);
                imageRights.Add(rights);
            }
        }
        AddIfAny(entity, "image", images);
        AddIfAny(entity, "imageRights", imageRights.Count == 0 ? null : imageRights);

        AddIfAny(entity, "source", recordWrap?.Elements(L + "recordInfoSet").Elements(L + "recordInfoLink").Select(Lido.Text).FirstOrDefault(Lido.IsAbsoluteHttpUri));
    }

    /// <summary>A rightsComplexType: the licence (rightsType as a URI), the credit line and the rights holder.</summary>
    private static JsonObject? Rights(XElement? rights, RecordContext context)
    {
        if (rights is null)
            return null;
        var result = new JsonObject();
        var rightsType = rights.Elements(L + "rightsType").ToList();
        var license = rightsType.Elements(Lido.ConceptId).Select(Lido.Text)
            .Concat(rightsType.Elements(Lido.SkosConcept).Select(c => (string?)c.Attribute(Lido.RdfAbout)))
            .FirstOrDefault(Lido.IsAbsoluteHttpUri);
        if (license is not null)
            result["license"] = license;
        else if (Label(rightsType.FirstOrDefault(), context) is { } licenseName)
            result["licenseName"] = licenseName;
        if (InLanguage(rights.Elements(L + "creditLine"), context) is { } creditLine)
            result["creditLine"] = creditLine;
        if (InLanguage(rights.Elements(L + "rightsHolder").Take(1).Elements(L + "legalBodyName").Elements(Lido.AppellationValue), context) is { } holder)
            result["rightsHolder"] = holder;
        return result.Count == 0 ? null : result;
    }

    /// <summary>
    /// The label of a concept (lido:term in 1.0, skos:Concept/skos:prefLabel or lido:term in 1.1; a measurement's
    /// type or unit may be plain text): in the record's language if there is one, else the first; search terms
    /// (lido:addedSearchTerm="yes") only when nothing else is in the record's language.
    /// </summary>
    private static string? Label(XElement? concept, RecordContext context)
    {
        if (concept is null)
            return null;
        var labels = concept.Elements(Lido.SkosConcept).Elements(Lido.SkosPrefLabel)
            .Concat(concept.Elements(Lido.Term).Where(t => (string?)t.Attribute(Lido.AddedSearchTerm) != "yes" && !Lido.IsAlternate(t)))
            .Where(label => Lido.Text(label) is not null)
            .ToList();
        var searchTerms = concept.Elements(Lido.Term).Where(t => (string?)t.Attribute(Lido.AddedSearchTerm) == "yes" && Lido.Text(t) is not null).ToList();
        var inLanguage = labels.Find(l => Lido.Language(l, context.WrapLanguage) == context.Language)
            ?? searchTerms.Find(l => Lido.Language(l, context.WrapLanguage) == context.Language);
        if ((inLanguage ?? labels.FirstOrDefault() ?? searchTerms.FirstOrDefault()) is { } label)
            return Lido.Text(label);
        return concept.HasElements ? null : Lido.Text(concept);
    }

    /// <summary>Of language variants of one value, the one in the record's language, else the first.</summary>
    private static string? InLanguage(IEnumerable<XElement> variants, RecordContext context)
    {
        string? first = null;
        foreach (var variant in variants)
        {
            if (Lido.Text(variant) is not { } text)
                continue;
            if (Lido.Language(variant, context.WrapLanguage) == context.Language)
                return text;
            first ??= text;
        }
        return first;
    }

    private static void AddIfAny(JsonObject entity, string attribute, string? value)
    {
        if (value is not null)
            entity[attribute] = Normalized.Property(value);
    }

    private static void AddIfAny(JsonObject entity, string attribute, List<string>? values)
    {
        if (values is { Count: > 0 })
            entity[attribute] = Normalized.Property(Normalized.Strings(values));
    }

    private static void AddIfAny(JsonObject entity, string attribute, JsonNode? value)
    {
        if (value is not null)
            entity[attribute] = Normalized.Property(value);
    }

    internal static string Describe(XName name) =>
        name.NamespaceName.Length == 0 ? $"<{name.LocalName}> in no namespace" : $"<{name.LocalName}> in namespace {name.NamespaceName}";
}
