using Adapters.Core;
using Adapters.LoRaWan;
using Adapters.Museums;
using Adapters.Parking;
using Adapters.Traffic;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Adapters.Tests.Core;

public sealed class MappingFileTests : IDisposable
{
    private const string ValidYaml = """
        lorawan:
          unmappedDevices: reject
          devices:
            - devEui: "0101010101010101"
              decoder: bosch-tps110
              entityId: "urn:ngsi-ld:ParkingSpot:travemuende-strandbahnhof-12"
              location: { latitude: 53.9606, longitude: 10.8702 }
              category: [onStreet]
              refParkingSite: "urn:ngsi-ld:OnStreetParking:travemuende-strandbahnhof"
        traffic:
          controllers:
            - controllerId: K440
              intersectionId: "urn:ngsi-ld:RoadIntersection:fackenburger-allee"
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("adapters-mapping-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The start-up check's problems of a host with this mapping file, from the services alone (no host is started).</summary>
    private async Task<IReadOnlyList<string>> ProblemsAsync(string mappingPath)
    {
        var configuration = new ConfigurationManager();
        configuration["Broker:Url"] = "http://127.0.0.1:9";
        configuration[AdapterCore.DeadLettersPathKey] = Path.Combine(_folder, "dead-letters");
        configuration.AddMappingFile(mappingPath);
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddAdapterCore();
        services.AddLoRaWan(configuration);
        services.AddTraffic(configuration);
        services.AddParking(configuration);
        services.AddMuseums(configuration);
        await using var provider = services.BuildServiceProvider();
        return AdapterCore.Problems(provider);
    }

    private WebApplicationFactory<Program> Host(string mappingPath) => new WebApplicationFactory<Program>().WithWebHostBuilder(host => host
        .UseSetting("Broker:Url", "http://127.0.0.1:9")
        .UseSetting(AdapterCore.DeadLettersPathKey, Path.Combine(_folder, "dead-letters"))
        .ConfigureAppConfiguration(configuration => configuration.AddMappingFile(mappingPath)));

    [Fact]
    public void A_yaml_mapping_file_binds_each_sources_section()
    {
        using var factory = Host(Write("mapping.yaml", ValidYaml));
        using var client = factory.CreateClient();

        var lorawan = factory.Services.GetRequiredService<LoRaWanMapping>();
        var device = Assert.Single(lorawan.Devices);
        Assert.Equal("0101010101010101", device.DevEui);
        Assert.Equal(53.9606, device.Location!.Latitude);
        Assert.Equal(["onStreet"], device.Category!);
        Assert.Equal("K440", Assert.Single(factory.Services.GetRequiredService<TrafficMapping>().Controllers).ControllerId);
    }

    [Fact]
    public void A_json_mapping_file_gives_the_same_values_as_its_yaml_twin()
    {
        var json = MappingFile.Load(Write("mapping.json", """
            {"lorawan": {"unmappedDevices": "reject", "devices": [{"devEui": "0101010101010101", "decoder": "bosch-tps110",
              "entityId": "urn:ngsi-ld:ParkingSpot:travemuende-strandbahnhof-12", "location": {"latitude": 53.9606, "longitude": 10.8702},
              "category": ["onStreet"], "refParkingSite": "urn:ngsi-ld:OnStreetParking:travemuende-strandbahnhof"}]},
             "traffic": {"controllers": [{"controllerId": "K440", "intersectionId": "urn:ngsi-ld:RoadIntersection:fackenburger-allee"}]}}
            """));
        var yaml = MappingFile.Load(Write("mapping.yaml", ValidYaml));

        Assert.Equal(yaml.OrderBy(pair => pair.Key, StringComparer.Ordinal), json.OrderBy(pair => pair.Key, StringComparer.Ordinal));
        Assert.Equal("53.9606", json["lorawan:devices:0:location:latitude"]);
    }

    [Fact]
    public async Task Every_problem_of_every_section_is_listed()
    {
        var path = Write("mapping.yaml", """
            lorawan:
              unmappedDevices: sometimes
              devices:
                - devEui: "01010101"
                  decoder: bosch-tps110
                  entityId: "urn:ngsi-ld:ParkingSpot:a"
                  location: { latitude: 99, longitude: 10.8702 }
                  category: [onStreet]
                  refParkingSite: "urn:ngsi-ld:OnStreetParking:b"
            traffic:
              controllers:
                - controllerId: K440
            museums:
              positions:
                - entityId: "urn:ngsi-ld:PointOfInterest:mkg"
                  longitude: 10.0107
            lorwan:
              devices: []
            """);
        var problems = await ProblemsAsync(path);

        Assert.Contains("lorawan.unmappedDevices: \"sometimes\" is neither \"reject\" nor \"device\"", problems);
        Assert.Contains("lorawan.devices[0].devEui: \"01010101\" is not 16 hex digits", problems);
        Assert.Contains("lorawan.devices[0].location.latitude: 99 is not from -90 to 90", problems);
        Assert.Contains(problems, problem => problem.StartsWith("traffic.controllers[0]", StringComparison.Ordinal));
        Assert.Contains("museums.positions[0].entityId: 'urn:ngsi-ld:PointOfInterest:mkg' does not start with urn:ngsi-ld:Museum: followed by a local id", problems);
        Assert.Contains("museums.positions[0].latitude: missing", problems);
        Assert.Contains(problems, problem => problem.StartsWith("lorwan: no source has this section", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_value_that_does_not_convert_or_an_unknown_key_is_a_problem_naming_its_section()
    {
        var path = Write("mapping.yaml", """
            lorawan:
              devices:
                - devEui: "0101010101010101"
                  decoder: bosch-tps110
                  entityId: "urn:ngsi-ld:ParkingSpot:a"
                  location: { latitude: north, longitude: 10.8702 }
            traffic:
              controlers: [K440]
            """);
        var problems = await ProblemsAsync(path);

        Assert.Contains("lorawan: Failed to convert configuration value 'north' at 'lorawan:Devices:0:Location:Latitude' to type 'System.Double'. The input string 'north' was not in a correct format.", problems);
        Assert.Contains(problems, problem => problem.StartsWith("traffic: ", StringComparison.Ordinal) && problem.Contains("'controlers'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_host_process_refuses_to_start_and_prints_every_problem()
    {
        var path = Write("mapping.yaml", "lorawan:\n  unmappedDevices: sometimes\ntraffic:\n  controllers:\n    - controllerId: K440\n");
        var (exitCode, output) = await AdapterHostProcess.RunAsync("--Broker:Url", "http://127.0.0.1:9", "--Mapping:Path", path, "--DeadLetters:Path", Path.Combine(_folder, "dead-letters"), "--urls", "http://127.0.0.1:0");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("lorawan.unmappedDevices: \"sometimes\" is neither \"reject\" nor \"device\"", output, StringComparison.Ordinal);
        Assert.Contains("traffic.controllers[0].intersectionId", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_host_process_does_not_start_with_a_mapping_file_that_is_not_yaml()
    {
        var path = Write("mapping.yaml", "lorawan: [unclosed\n");
        var (exitCode, output) = await AdapterHostProcess.RunAsync("--Broker:Url", "http://127.0.0.1:9", "--Mapping:Path", path, "--urls", "http://127.0.0.1:0");

        Assert.Equal(1, exitCode);
        Assert.Contains($"The mapping file {path} is not valid YAML: line ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_a_clear_error()
    {
        var path = Path.Combine(_folder, "nowhere.yaml");
        var e = Assert.Throws<MappingFileException>(() => MappingFile.Load(path));
        Assert.Equal($"The mapping file {path} (Mapping:Path) does not exist.", e.Message);
    }

    [Fact]
    public void Unparsable_yaml_is_an_error_with_its_line_and_column()
    {
        var path = Write("mapping.yaml", "lorawan:\n  devices:\n    - devEui: \"0101\n  unmappedDevices: [reject\n");
        var e = Assert.Throws<MappingFileException>(() => MappingFile.Load(path));
        Assert.Matches($"^The mapping file {System.Text.RegularExpressions.Regex.Escape(path)} is not valid YAML: line [0-9]+, column [0-9]+: ", e.Message);
    }

    [Fact]
    public void Unparsable_json_is_an_error_with_its_line()
    {
        var path = Write("mapping.json", "{\n  \"lorawan\": {\n    \"devices\": [ { \"devEui\": 0101 } ]\n  }\n}\n");
        var e = Assert.Throws<MappingFileException>(() => MappingFile.Load(path));
        Assert.StartsWith($"The mapping file {path} is not valid JSON: line 3, position ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_mapping_of_sections_is_an_error()
    {
        var e = Assert.Throws<MappingFileException>(() => MappingFile.Load(Write("mapping.yaml", "- lorawan\n- traffic\n")));
        Assert.Contains("must hold a YAML mapping with one key per source (line 1, column 1)", e.Message, StringComparison.Ordinal);
    }
}
