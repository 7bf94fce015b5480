using System.Text.RegularExpressions;
using Adapters.Core;
using Adapters.LoRaWan;
using Adapters.Museums;
using Adapters.Parking;
using Adapters.Tests.LoRaWan;
using Adapters.Tests.Museums;
using Adapters.Tests.Parking;
using Adapters.Tests.Traffic;
using Adapters.Traffic;
using Ontology.SmartDataModels;
using Xunit;

namespace Adapters.Tests;

/// <summary>
/// Every source record in Samples/ translates with the test deployment's mappings, and every entity it gives conforms
/// to its Smart Data Model, as the sink would check it before the upsert. Each file of Samples/ is a record that
/// translates, a record that is deliberately not translated, or not a record at all; a new file that is none of these
/// fails <see cref="Every_file_of_the_samples_is_a_record_sample_or_excluded_with_a_reason"/>.
/// </summary>
public sealed partial class SampleValidationTests
{
    private enum Source
    {
        ChirpStack,
        TheThingsStack,
        CodecExamples,
        Datex2Parking,
        NedapSensit,
        ParkingSensorFeed,
        TrafficSignals,
        TrafficCounts,
        Lido,
    }

    /// <summary>The records that carry entity data, with the source that translates them.</summary>
    private static readonly Dictionary<string, Source> Records = new(StringComparer.Ordinal)
    {
        ["lorawan/chirpstack-v4/event-up.json"] = Source.ChirpStack,
        ["lorawan/chirpstack-v4/event-status.json"] = Source.ChirpStack,
        ["lorawan/chirpstack-v4/event-join.json"] = Source.ChirpStack,
        ["lorawan/chirpstack-v4/event-location.json"] = Source.ChirpStack,
        ["lorawan/chirpstack-v4/jena-real-uplinks/up-1-Dragino-LSE01.json"] = Source.ChirpStack,
        ["lorawan/chirpstack-v4/jena-real-uplinks/up-2-SenseCAP-Wetterstation-2-0.json"] = Source.ChirpStack,
        ["lorawan/chirpstack-v4/jena-real-uplinks/up-3-EM310-UDL.json"] = Source.ChirpStack,
        ["lorawan/chirpstack-v4/jena-real-uplinks/up-4-TEKTELIC-KIWI-Agriculture-Sensor.json"] = Source.ChirpStack,
        ["lorawan/chirpstack-v4/jena-real-uplinks/up-5-SenseCAP-S2106-LoRaWAN-pH-Sensor.json"] = Source.ChirpStack,
        ["lorawan/chirpstack-v4/jena-real-uplinks/up-6-SN50v3-LB-LS.json"] = Source.ChirpStack,
        ["lorawan/chirpstack-v4/jena-real-uplinks/up-7-Solidos-Teros21.json"] = Source.ChirpStack,
        ["lorawan/the-things-stack-v3/uplink-message.json"] = Source.TheThingsStack,
        ["lorawan/the-things-stack-v3/join-accept.json"] = Source.TheThingsStack,
        ["lorawan/device-codec-examples/bosch-tps110-0292-codec.yaml"] = Source.CodecExamples,
        ["lorawan/device-codec-examples/decentlab-dl-atm41-codec.yaml"] = Source.CodecExamples,
        ["lorawan/device-codec-examples/decentlab-dl-pm-codec.yaml"] = Source.CodecExamples,
        ["lorawan/device-codec-examples/elsys-ers-co2-codec.yaml"] = Source.CodecExamples,
        ["lorawan/device-codec-examples/nwave-nps405-codec.yaml"] = Source.CodecExamples,
        ["parking/datex2-v2/aachen-ParkingStatusPublication.xml"] = Source.Datex2Parking,
        ["parking/datex2-v2/aachen-ParkingTablePublication.xml"] = Source.Datex2Parking,
        ["parking/datex2-v2/friedrichshafen-spot-sensors-ParkingStatusPublication.xml"] = Source.Datex2Parking,
        ["parking/datex2-v2/friedrichshafen-spot-sensors-ParkingTablePublication.xml"] = Source.Datex2Parking,
        ["parking/datex2-v2/stuttgart-parkingFacilityTableStatusPublication.xml"] = Source.Datex2Parking,
        ["parking/nedap-sensit/ellwangen-sensit-parking-status.json"] = Source.NedapSensit,
        ["parking/sensor-feeds/ulm-realtime-parking-sites.json"] = Source.ParkingSensorFeed,
        ["parking/sensor-feeds/ulm-realtime-parking-spots.json"] = Source.ParkingSensorFeed,
        ["traffic-signals/jena-ilsa-traffic-light-mqtt/TLConfiguration-K440-Felsenkeller.json"] = Source.TrafficSignals,
        ["traffic-signals/jena-ilsa-traffic-light-mqtt/TLSignalState-example.json"] = Source.TrafficSignals,
        ["traffic-counts/fackenburger-allee-MeasuredDataPublication.json"] = Source.TrafficCounts,
        ["museum-collections/lido/ddb/DDB-Minimaldatensatz-example.xml"] = Source.Lido,
        ["museum-collections/lido/ddb/Deutsches_Museum.xml"] = Source.Lido,
        ["museum-collections/lido/examples/LIDO-v1.0-Example_FMobj00154983-LaPrimavera.xml"] = Source.Lido,
        ["museum-collections/lido/examples/LIDO-v1.1-Example_FMobj00154983-LaPrimavera.xml"] = Source.Lido,
        ["museum-collections/lido/examples/LIDO-v1.1-Example_FMobj20344012-Fontana_del_Moro.xml"] = Source.Lido,
        ["museum-collections/museum-digital/lido-export/museum-digital_Muellrose.xml"] = Source.Lido,
        ["museum-collections/museum-digital/lido-export/museum-digital_Oderberg.xml"] = Source.Lido,
        ["museum-collections/museum-digital/lido-export/museum-digital_Terra_Sigillata_Museum.xml"] = Source.Lido,
    };

    /// <summary>Records that say nothing about a device's state: the ingest ignores them (no entity, no dead letter).</summary>
    private static readonly Dictionary<string, string> IgnoredRecords = new(StringComparer.Ordinal)
    {
        ["lorawan/chirpstack-v4/event-ack.json"] = "the device acknowledged a confirmed downlink",
        ["lorawan/chirpstack-v4/event-txack.json"] = "a gateway acknowledged sending a downlink",
        ["lorawan/chirpstack-v4/event-log.json"] = "a log line of the network server",
        ["lorawan/chirpstack-v4/event-integration.json"] = "the output of an integration (e.g. a geolocation service's raw answer)",
        ["lorawan/the-things-stack-v3/downlink-message.json"] = "a downlink queued for the device",
        ["lorawan/the-things-stack-v3/downlink-event-ack.json"] = "the device acknowledged a downlink",
        ["lorawan/the-things-stack-v3/downlink-event-failed.json"] = "a downlink could not be sent",
    };

    /// <summary>Files of Samples/ that are not source records.</summary>
    private static readonly Dictionary<string, string> NotRecords = new(StringComparer.Ordinal)
    {
        ["SOURCES.md"] = "the provenance of the samples",
        ["lorawan/chirpstack-v4/message-definitions/common.proto"] = "ChirpStack's protobuf definitions of the messages",
        ["lorawan/chirpstack-v4/message-definitions/gw.proto"] = "ChirpStack's protobuf definitions of the messages",
        ["lorawan/chirpstack-v4/message-definitions/integration.proto"] = "ChirpStack's protobuf definitions of the messages",
        ["lorawan/the-things-stack-v3/api-message-definitions/ApplicationUp.yml"] = "The Things Stack's API definition of the messages",
        ["lorawan/the-things-stack-v3/api-message-definitions/ApplicationUplink.yml"] = "The Things Stack's API definition of the messages",
        ["lorawan/the-things-stack-v3/api-message-definitions/ApplicationUplinkNormalized.yml"] = "The Things Stack's API definition of the messages",
        ["lorawan/the-things-stack-v3/api-message-definitions/DataRate.yml"] = "The Things Stack's API definition of the messages",
        ["lorawan/the-things-stack-v3/api-message-definitions/EndDeviceIdentifiers.yml"] = "The Things Stack's API definition of the messages",
        ["lorawan/the-things-stack-v3/api-message-definitions/LoRaDataRate.yml"] = "The Things Stack's API definition of the messages",
        ["lorawan/the-things-stack-v3/api-message-definitions/RxMetadata.yml"] = "The Things Stack's API definition of the messages",
        ["lorawan/the-things-stack-v3/api-message-definitions/TxSettings.yml"] = "The Things Stack's API definition of the messages",
    };

    /// <summary>One record of a sample (a file, or one example of a codec file) and what it translated to.</summary>
    private sealed record TranslatedRecord(string Record, IReadOnlyList<AdapterEntity> Entities);

    public static TheoryData<string> RecordSamples() => new(Records.Keys.Order(StringComparer.Ordinal));

    public static TheoryData<string> IgnoredSamples() => new(IgnoredRecords.Keys.Order(StringComparer.Ordinal));

    [Fact]
    public void Every_file_of_the_samples_is_a_record_sample_or_excluded_with_a_reason()
    {
        var files = Directory.EnumerateFiles(ReferenceData.Samples, "*", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(ReferenceData.Samples, file).Replace('\\', '/'))
            .ToHashSet(StringComparer.Ordinal);
        var listed = Records.Keys.Concat(IgnoredRecords.Keys).Concat(NotRecords.Keys).ToList();

        Assert.Empty(files.Except(listed, StringComparer.Ordinal).Order(StringComparer.Ordinal));
        Assert.Empty(listed.Except(files, StringComparer.Ordinal));
        Assert.Equal(listed.Count, listed.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [MemberData(nameof(RecordSamples))]
    public void Every_record_sample_translates_to_entities_that_conform_to_their_data_models(string sample)
    {
        var records = Translate(sample, Records[sample]);

        Assert.NotEmpty(records);
        Assert.All(records, record => Assert.True(record.Entities.Count > 0, $"{record.Record}: no entities"));
        var errors = new List<string>();
        foreach (var record in records)
        {
            foreach (var entity in record.Entities)
            {
                foreach (var error in SmartDataModelValidator.Shared.Validate(entity.DataModel, entity.Body).Errors)
                    errors.Add($"{record.Record}: {entity.Id} ({entity.DataModel}) {error}");
            }
        }
        Assert.True(errors.Count == 0, $"{errors.Count} schema error(s):\n  " + string.Join("\n  ", errors));
    }

    [Theory]
    [MemberData(nameof(IgnoredSamples))]
    public async Task A_record_that_says_nothing_about_a_device_is_ignored_without_entities_or_dead_letter(string sample)
    {
        var sink = new LoRaWan.RecordingSink();
        var ingest = new LoRaWanIngest(new LoRaWanTranslator(TestMapping.Create()), sink);
        var body = ReferenceData.ReadSourceFormat(sample);

        var result = sample.StartsWith("lorawan/chirpstack-v4/", StringComparison.Ordinal)
            ? await ingest.ChirpStackAsync(LoRaWanIngest.ChirpStackHttpSource, ChirpStackEventType(sample), body, CancellationToken.None)
            : await ingest.TheThingsStackAsync(body, CancellationToken.None);

        Assert.IsType<IngestResult.Ignored>(result);
        Assert.Empty(sink.Calls);
    }

    private static List<TranslatedRecord> Translate(string sample, Source source)
    {
        if (source == Source.CodecExamples)
            return CodecExamples(sample);
        if (source == Source.Lido)
            return LidoRecords(sample);

        var text = ReferenceData.ReadSourceFormat(sample);
        var lorawan = new LoRaWanTranslator(TestMapping.Create());
        var parking = TestMappings.Parking();
        var aggregator = new ParkingSiteAggregator(parking);
        IReadOnlyList<AdapterEntity> entities = source switch
        {
            Source.ChirpStack => lorawan.TranslateChirpStack(ChirpStackEventType(sample), text) ?? [],
            Source.TheThingsStack => lorawan.TranslateTheThingsStack(text) ?? [],
            Source.Datex2Parking => WithSiteCounts(Datex2ParkingTranslation.Translate(text, parking), aggregator),
            Source.NedapSensit => WithSiteCounts(SensitTranslation.Translate(text, parking), aggregator),
            Source.ParkingSensorFeed => WithSiteCounts(SensorFeedTranslation.Translate(text, parking), aggregator),
            Source.TrafficSignals => TrafficSignalTranslation.Translate(text, null, TrafficTestMapping.Create()),
            Source.TrafficCounts => TrafficCountTranslation.Translate(text, TrafficTestMapping.Create()),
            _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
        };
        return [new TranslatedRecord(sample, entities)];
    }

    /// <summary>What the parking webhooks submit: the translation's entities and the site counts its spots change.</summary>
    private static IReadOnlyList<AdapterEntity> WithSiteCounts(IReadOnlyList<AdapterEntity> entities, ParkingSiteAggregator aggregator) =>
        [.. entities, .. aggregator.Observe(entities)];

    /// <summary>Each uplink example of a codec file, as a ChirpStack up event of the device of that family in the test mapping.</summary>
    private static List<TranslatedRecord> CodecExamples(string sample)
    {
        var file = Path.GetFileName(sample);
        var devEui = file switch
        {
            "bosch-tps110-0292-codec.yaml" => TestMapping.ParkingSensor,
            "decentlab-dl-atm41-codec.yaml" => TestMapping.DecentlabWeatherStation,
            "decentlab-dl-pm-codec.yaml" => TestMapping.DecentlabPmSensor,
            "elsys-ers-co2-codec.yaml" => TestMapping.ElsysSensor,
            "nwave-nps405-codec.yaml" => TestMapping.NwaveSensor,
            _ => throw new ArgumentOutOfRangeException(nameof(sample), sample, "no device of this codec in the test mapping"),
        };
        var translator = new LoRaWanTranslator(TestMapping.Create());
        return [.. CodecVector.Read(file).Select(vector => new TranslatedRecord(
            $"{file} \"{vector.Description}\"",
            translator.TranslateChirpStack("up", TranslationTests.UpEventWith(devEui, vector.FPort, vector.Bytes))!))];
    }

    private static List<TranslatedRecord> LidoRecords(string sample)
    {
        using var stream = File.OpenRead(ReferenceData.SourceFormat(sample));
        return [.. LidoReader.Read(stream).Select(record => new TranslatedRecord(
            $"{sample} record {record.Position}",
            LidoTranslator.Translate(record.Element, record.WrapLanguage, MuseumsTestMapping.Create()).All))];
    }

    private static string ChirpStackEventType(string sample) =>
        EventFile().Match(Path.GetFileName(sample)) is { Success: true } match ? match.Groups["type"].Value : "up";

    [GeneratedRegex("^event-(?<type>[a-z]+)\\.json$")]
    private static partial Regex EventFile();
}
