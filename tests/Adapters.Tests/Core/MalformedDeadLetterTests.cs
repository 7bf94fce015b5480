using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Adapters.Core;
using Adapters.Tests.Parking;
using Adapters.Tests.Traffic;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Adapters.Tests.Core;

/// <summary>
/// A malformed record of every source, posted to the host with its real sink: the answer is a 400 saying what is wrong,
/// and the record is one file in the dead-letter folder with its source, that reason and the record as received. The
/// broker is never reached (nothing listens at its URL).
/// </summary>
public sealed class MalformedDeadLetterTests : IDisposable
{
    private readonly string _deadLetters = Directory.CreateTempSubdirectory("adapters-malformed-").FullName;

    public void Dispose() => Directory.Delete(_deadLetters, recursive: true);

    public static TheoryData<string, string, string, string> MalformedRecords() => new()
    {
        { "/lorawan/chirpstack?event=up", "{\"deviceInfo\": ", "lorawan/chirpstack", "ChirpStack up event: not JSON (" },
        { "/lorawan/chirpstack?event=up", ReferenceData.ReadSourceFormat("lorawan/chirpstack-v4/event-up.json"), "lorawan/chirpstack", "ChirpStack up event: device 0101010101010101 is not in the mapping (lorawan.devices)" },
        { "/lorawan/ttn", "<xml/>", "lorawan/ttn", "The Things Stack message: not JSON (" },
        { "/lorawan/ttn", "{\"end_device_ids\": {\"dev_eui\": \"0004A30B001C0530\"}, \"uplink_message\": {\"f_port\": 300}}", "lorawan/ttn", "The Things Stack uplink message: uplink_message.received_at and received_at are missing" },
        { "/parking/datex2", "<d2LogicalModel xmlns=\"http://datex2.eu/schema/2/2_0\"><payloadPublication>", "parking/datex2", "DATEX II v2: not well-formed XML (" },
        { "/parking/datex2", "<d2LogicalModel xmlns=\"http://datex2.eu/schema/2/2_0\"><payloadPublication><publicationTime>yesterday</publicationTime></payloadPublication></d2LogicalModel>", "parking/datex2", "DATEX II v2 payloadPublication.publicationTime: 'yesterday' is not an ISO 8601 date-time" },
        { "/parking/sensit", "{\"id\": ", "parking/sensit", "Nedap SENSIT status: not valid JSON (" },
        { "/parking/sensit", "[{\"id\":\"1\",\"actualStatus\":{\"vacantSpaces\":-1}}]", "parking/sensit", "Nedap SENSIT status [0].actualStatus.vacantSpaces: -1 is negative" },
        { "/parking/sensors", "42", "parking/sensors", "parking sensor feed: expected an array of records or one record object" },
        { "/parking/sensors", "[{\"id\":\"pbg-b-elade-o-1-006\",\"occupied\":true}]", "parking/sensors", "parking sensor feed [0].timestamp is missing" },
        { "/traffic/signals", "{", "traffic/signals", "TLSignalState/TLConfiguration: not valid JSON" },
        { "/traffic/signals", "{\"eClass\":\"x#//TLConfiguration\",\"intersectionId\":\"K999\",\"modules\":[]}", "traffic/signals", "TLConfiguration: controller 'K999' is not in the traffic mapping" },
        { "/traffic/signals", "{\"eClass\":\"x#//TLSignalState\",\"id\":\"K1/1\",\"signalGroup\":{\"id\":\"K1\"},\"timestamp\":\"2026-01-06T14:48:15Z\",\"values\":[1,0]}", "traffic/signals", "TLSignalState K1/1: values must be 1 to 3 booleans" },
        { "/traffic/counts", "[]", "traffic/counts", "DATEX II v3 MeasuredDataPublication: expected a JSON object" },
        { "/traffic/counts", "{\"payload\":{}}", "traffic/counts", "DATEX II v3 MeasuredDataPublication: payload.roaMeasuredDataPublication is missing" },
        { "/museums/lido", "{\"not\": \"xml\"}", "museums/lido", "LIDO: not well-formed XML at line 1, position 1:" },
        { "/museums/lido", "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/>", "museums/lido", "LIDO: the root element is <RDF>" },
    };

    [Theory]
    [MemberData(nameof(MalformedRecords))]
    public async Task A_malformed_record_is_answered_400_and_kept_in_the_dead_letter_folder_with_its_reason(string path, string body, string source, string reason)
    {
        await using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host => host
            .UseSetting("Broker:Url", "http://127.0.0.1:9")
            .UseSetting(AdapterCore.DeadLettersPathKey, _deadLetters)
            .ConfigureAppConfiguration(configuration => configuration.AddJsonFile(TestMappings.ParkingFile).AddJsonFile(TrafficTestMapping.File)));
        using var client = factory.CreateClient();

        using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, path.StartsWith("/museums", StringComparison.Ordinal) || path.Contains("datex2", StringComparison.Ordinal) ? "application/xml" : "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!;
        Assert.StartsWith(reason, detail, StringComparison.Ordinal);
        var letter = JsonNode.Parse(File.ReadAllText(Assert.Single(new DeadLetterFolder(_deadLetters).Files())))!;
        Assert.Equal(source, (string)letter["source"]!);
        Assert.Equal(detail, (string)letter["reason"]!);
        Assert.Equal(body, (string)letter["original"]!);
        Assert.Null(letter["entity"]);
    }
}
