namespace OpenDataPortal;

/// <summary>The Portal section: where the portal is reached and who publishes its datasets.</summary>
public sealed class PortalOptions
{
    /// <summary>The portal's public base URL: the broker sends notifications to it, and the metadata links to it.</summary>
    public Uri PublicUrl { get; set; } = new("http://localhost:8090");

    public string Publisher { get; set; } = "Hansestadt Lübeck";

    public Uri PublisherUri { get; set; } = new("https://www.luebeck.de");

    /// <summary>The political geocoding of DCAT-AP.de: the regional key (Amtlicher Regionalschlüssel) of Lübeck.</summary>
    public string RegionalKey { get; set; } = "010030000000";

    /// <summary>The days of the daily history are days of this time zone.</summary>
    public string TimeZone { get; set; } = "Europe/Berlin";

    /// <summary>
    /// How many days of history, today included, the portal keeps in memory: filled from the temporal API at start-up,
    /// then from notifications; older days are dropped as time passes.
    /// </summary>
    public int HistoryDays { get; set; } = 7;

    /// <summary>How far back (in days before today) a day of history is published; older days than those held are read from the temporal API when asked.</summary>
    public int MaxHistoryAgeDays { get; set; } = 366;

    /// <summary>How many days read from the temporal API (over all datasets) are kept for further requests.</summary>
    public int PastDaysCached { get; set; } = 16;

    /// <summary>The datasets; without a Portal:Datasets section, <see cref="DatasetDefinition.Defaults"/>.</summary>
    public List<DatasetDefinition> Datasets { get; set; } = [];
}

/// <summary>The Broker section: the NGSI-LD broker the portal subscribes to.</summary>
public sealed class BrokerConnection
{
    public Uri? Url { get; set; }

    /// <summary>Sent as NGSILD-Tenant.</summary>
    public string? Tenant { get; set; }

    /// <summary>How many entities the portal asks for per request (limit), of the entity and the temporal API.</summary>
    public int PageSize { get; set; } = 500;
}

/// <summary>The Privacy section (GDPR): attributes that never leave the portal, at any depth of an entity.</summary>
public sealed class PrivacyOptions
{
    public List<string> DenyAttributes { get; set; } = [];
}

/// <summary>The Ckan section: an optional push of every dataset's metadata through CKAN's action API.</summary>
public sealed class CkanOptions
{
    /// <summary>The CKAN site, e.g. https://opendata.luebeck.example; without it nothing is pushed.</summary>
    public Uri? Url { get; set; }

    /// <summary>A CKAN API token, sent as Authorization.</summary>
    public string? ApiToken { get; set; }

    /// <summary>The CKAN organization (owner_org) the datasets belong to.</summary>
    public string Organization { get; set; } = "hansestadt-luebeck";

    /// <summary>CKAN package names are this prefix and the dataset's name.</summary>
    public string NamePrefix { get; set; } = "luebeck-";

    public TimeSpan PushInterval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>One open dataset: the entities of some types, published as current state, daily history and metadata.</summary>
public sealed class DatasetDefinition
{
    /// <summary>The name in the dataset's URLs: lower-case letters, digits and '-'.</summary>
    public string Name { get; set; } = "";

    public string Title { get; set; } = "";

    public string Description { get; set; } = "";

    /// <summary>The NGSI-LD entity types (short names, compacted with the core @context).</summary>
    public List<string> EntityTypes { get; set; } = [];

    /// <summary>Codes of the EU data theme vocabulary, e.g. TRAN, ENVI.</summary>
    public List<string> Themes { get; set; } = [];

    public List<string> Keywords { get; set; } = [];

    public static List<DatasetDefinition> Defaults() =>
    [
        new()
        {
            Name = "parking", Title = "Parken in Lübeck", EntityTypes = ["OffStreetParking", "OnStreetParking", "ParkingSpot"], Themes = ["TRAN"],
            Description = "Freie Stellplätze der Parkhäuser und Parkplätze sowie der Zustand einzelner Stellplätze in Lübeck.",
            Keywords = ["Parken", "Parkhaus", "Verkehr"],
        },
        new()
        {
            Name = "traffic-flow", Title = "Verkehrszählung in Lübeck", EntityTypes = ["TrafficFlowObserved"], Themes = ["TRAN"],
            Description = "Verkehrsstärke, Geschwindigkeit und Belegung der Zählstellen an Lübecks Straßen.",
            Keywords = ["Verkehr", "Verkehrszählung"],
        },
        new()
        {
            Name = "air-quality", Title = "Luftqualität in Lübeck", EntityTypes = ["AirQualityObserved"], Themes = ["ENVI", "HEAL"],
            Description = "Messwerte der Luftqualität (Stickstoffdioxid, Feinstaub, Ozon) der Messstationen in Lübeck.",
            Keywords = ["Luftqualität", "Umwelt", "Feinstaub"],
        },
        new()
        {
            Name = "weather", Title = "Wetter in Lübeck", EntityTypes = ["WeatherObserved"], Themes = ["ENVI"],
            Description = "Wetterbeobachtungen (Temperatur, Niederschlag, Wind, Luftfeuchte) der Wetterstationen in Lübeck.",
            Keywords = ["Wetter", "Klima"],
        },
    ];
}
