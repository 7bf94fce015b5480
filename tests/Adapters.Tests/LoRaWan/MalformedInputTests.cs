using System.Text.Json.Nodes;
using Adapters.Core;
using Adapters.LoRaWan;
using Xunit;

namespace Adapters.Tests.LoRaWan;

public sealed class MalformedInputTests
{
    private readonly LoRaWanTranslator _translator = new(TestMapping.Create());

    private static string Up(Action<JsonObject> change)
    {
        var up = JsonNode.Parse(ReferenceData.ReadSourceFormat("lorawan/chirpstack-v4/event-up.json"))!.AsObject();
        change(up);
        return up.ToJsonString();
    }

    private static string TtsUplink(Action<JsonObject> change)
    {
        var message = JsonNode.Parse(ReferenceData.ReadSourceFormat("lorawan/the-things-stack-v3/uplink-message.json"))!.AsObject();
        change(message);
        return message.ToJsonString();
    }

    public static TheoryData<string, string, string> ChirpStackCases() => new()
    {
        { "up", "{\"deviceInfo\": ", "ChirpStack up event: not JSON (" },
        { "up", "[1, 2]", "ChirpStack up event: not a JSON object" },
        { "up", Up(e => e.Remove("deviceInfo")), "ChirpStack up event: deviceInfo is missing" },
        { "status", Up(e => e["deviceInfo"]!.AsObject().Remove("devEui")), "ChirpStack status event: deviceInfo.devEui is missing" },
        { "up", Up(e => e["deviceInfo"]!["devEui"] = "01-01-01-01-01-01-01-01"), "ChirpStack up event: deviceInfo.devEui \"01-01-01-01-01-01-01-01\" is not 16 hex digits" },
        { "up", Up(e => e["deviceInfo"]!["devEui"] = 42), "ChirpStack up event: deviceInfo.devEui is not a string but Number" },
        { "join", Up(e => e.Remove("time")), "ChirpStack join event: time is missing" },
        { "up", Up(e => e["time"] = "18.07.2022 09:34"), "ChirpStack up event: time \"18.07.2022 09:34\" is not an RFC 3339 date-time" },
        { "up", Up(e => e["data"] = "not base64!"), "ChirpStack up event: data \"not base64!\" is not base64" },
        { "up", Up(e => e["fPort"] = 300), "ChirpStack up event: fPort 300 is not from 0 to 255" },
        { "up", Up(e => e["rxInfo"] = "gateway"), "ChirpStack up event: rxInfo is not an array" },
        { "up", Up(e => { e["fPort"] = 3; e["data"] = "JAMAAA=="; }), "ChirpStack up event: bosch-tps110 payload on fPort 3: a start-up message has at least 17 bytes, this one 4" },
        { "up", Up(e => e["deviceInfo"]!["devEui"] = TestMapping.ElsysSensor), "ChirpStack up event: elsys-ers-co2 payload on fPort 1: unknown reading type 0xAA at byte 0" },
        { "location", Up(e => e["location"] = new JsonObject { ["latitude"] = 53.9 }), "ChirpStack location event: location.longitude is missing" },
        { "status", Up(e => e["batteryLevel"] = 140), "ChirpStack status event: batteryLevel 140 is not from 0 to 100" },
    };

    [Theory]
    [MemberData(nameof(ChirpStackCases))]
    public void A_malformed_ChirpStack_event_is_refused_with_what_is_wrong(string eventType, string json, string message)
    {
        var exception = Assert.Throws<MalformedSourceException>(() => _translator.TranslateChirpStack(eventType, json));
        Assert.StartsWith(message, exception.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> TheThingsStackCases() => new()
    {
        { "<xml/>", "The Things Stack message: not JSON (" },
        { TtsUplink(m => m["end_device_ids"]!.AsObject().Remove("dev_eui")), "The Things Stack uplink message: end_device_ids.dev_eui is missing" },
        { TtsUplink(m => m["uplink_message"]!["frm_payload"] = "%%%"), "The Things Stack uplink message: uplink_message.frm_payload \"%%%\" is not base64" },
        { TtsUplink(m => { m.Remove("received_at"); m["uplink_message"]!.AsObject().Remove("received_at"); }), "The Things Stack uplink message: uplink_message.received_at and received_at are missing" },
        { TtsUplink(m => m["uplink_message"]!["decoded_payload"] = "temperature=1"), "The Things Stack uplink message: uplink_message.decoded_payload is not an object but String" },
    };

    [Theory]
    [MemberData(nameof(TheThingsStackCases))]
    public void A_malformed_The_Things_Stack_message_is_refused_with_what_is_wrong(string json, string message)
    {
        var exception = Assert.Throws<MalformedSourceException>(() => _translator.TranslateTheThingsStack(json));
        Assert.StartsWith(message, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_device_is_refused_unless_the_mapping_makes_unmapped_devices_Device_entities()
    {
        var rejecting = new LoRaWanTranslator(TestMapping.Create(unmappedDevices: "reject"));
        var json = ReferenceData.ReadSourceFormat("lorawan/chirpstack-v4/jena-real-uplinks/up-1-Dragino-LSE01.json");
        var exception = Assert.Throws<MalformedSourceException>(() => rejecting.TranslateChirpStack("up", json));
        Assert.Equal("ChirpStack up event: device a8404187d187106e is not in the mapping (lorawan.devices)", exception.Message);
        Assert.Equal("Device", Assert.Single(_translator.TranslateChirpStack("up", json)!).Type);
    }
}
