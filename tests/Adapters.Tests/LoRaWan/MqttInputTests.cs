using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Adapters.LoRaWan;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Protocol;
using Xunit;

namespace Adapters.Tests.LoRaWan;

/// <summary>The mosquitto of scripts/with-mosquitto.sh (MQTT_HOST, MQTT_PORT, MQTT_AUTH_PORT, MQTT_USER, MQTT_PASSWORD, MQTT_CTL).</summary>
internal static class Mosquitto
{
    private static readonly Lazy<string?> Unreachable = new(Probe);

    public static string Host => Variable("MQTT_HOST");

    public static int Port => int.Parse(Variable("MQTT_PORT"), CultureInfo.InvariantCulture);

    public static int AuthPort => int.Parse(Variable("MQTT_AUTH_PORT"), CultureInfo.InvariantCulture);

    /// <summary>Null to run: with CI=true the tests always run, so a missing mosquitto fails them instead of skipping.</summary>
    public static string? SkipReason =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ? null : Unreachable.Value;

    public static string Variable(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the MQTT tests under scripts/with-mosquitto.sh.");

    private static string? Probe()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(Host, Port);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or SocketException or FormatException)
        {
            return "No mosquitto reachable through MQTT_HOST/MQTT_PORT (" + e.Message + "); run under scripts/with-mosquitto.sh.";
        }
    }

    public static async Task RestartAsync()
    {
        using var process = Process.Start(new ProcessStartInfo(Variable("MQTT_CTL"), "restart") { RedirectStandardError = true })!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"MQTT_CTL restart exited with {process.ExitCode}: {errors}");
    }

    public static async Task PublishAsync(string topic, string payload)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(Host, Port).Build(), timeout.Token);
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), timeout.Token);
        await client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token);
    }
}

public sealed class MosquittoFactAttribute : FactAttribute
{
    public MosquittoFactAttribute() => Skip = Mosquitto.SkipReason;
}

[CollectionDefinition(Name)]
public sealed class MosquittoCollection
{
    public const string Name = "mosquitto";
}

[Collection(MosquittoCollection.Name)]
public sealed class MqttInputTests
{
    private const string UpTopic = "application/17c82e96-be03-4f38-aef3-f83d48582d97/device/0101010101010101/event/up";

    private static ChirpStackMqttListener Listener(RecordingSink sink, LoRaWanMqttOptions options) =>
        new(options, new LoRaWanIngest(new LoRaWanTranslator(TestMapping.Create()), sink), NullLogger<ChirpStackMqttListener>.Instance);

    /// <summary>Publishes until the listener has subscribed (its subscription is not visible from outside) and the sink is called.</summary>
    private static async Task<RecordingSink.Call> PublishUntilReceivedAsync(RecordingSink sink, string topic, string payload)
    {
        for (var attempt = 0; attempt < 40; attempt++)
        {
            await Mosquitto.PublishAsync(topic, payload);
            try
            {
                return await sink.NextAsync(0.5);
            }
            catch (Xunit.Sdk.XunitException)
            {
            }
        }
        throw new Xunit.Sdk.XunitException($"Nothing published to {topic} reached the sink within 20 s.");
    }

    [MosquittoFact]
    public async Task A_ChirpStack_event_published_over_MQTT_is_translated_and_submitted_also_after_the_broker_restarts()
    {
        var sink = new RecordingSink();
        using var listener = Listener(sink, new LoRaWanMqttOptions { Host = Mosquitto.Host, Port = Mosquitto.Port, ReconnectDelay = TimeSpan.FromMilliseconds(200) });
        await listener.StartAsync(CancellationToken.None);
        try
        {
            var json = ReferenceData.ReadSourceFormat("lorawan/chirpstack-v4/event-up.json");
            var call = await PublishUntilReceivedAsync(sink, UpTopic, json);
            Assert.Equal(LoRaWanIngest.ChirpStackMqttSource, call.Source);
            ExpectedEntities.AssertMatches("chirpstack-v4/event-up", call.Entities!);

            await Mosquitto.RestartAsync();
            var status = ReferenceData.ReadSourceFormat("lorawan/chirpstack-v4/event-status.json");
            var again = await PublishUntilReceivedAsync(sink, UpTopic.Replace("/event/up", "/event/status", StringComparison.Ordinal), status);
            ExpectedEntities.AssertMatches("chirpstack-v4/event-status", again.Entities!);
        }
        finally
        {
            await listener.StopAsync(CancellationToken.None);
        }
    }

    [MosquittoFact]
    public async Task The_listener_logs_in_with_its_credentials_and_rejects_a_malformed_event()
    {
        var sink = new RecordingSink();
        using var listener = Listener(sink, new LoRaWanMqttOptions
        {
            Host = Mosquitto.Host,
            Port = Mosquitto.AuthPort,
            Username = Mosquitto.Variable("MQTT_USER"),
            Password = Mosquitto.Variable("MQTT_PASSWORD"),
            ReconnectDelay = TimeSpan.FromMilliseconds(200),
        });
        await listener.StartAsync(CancellationToken.None);
        try
        {
            using var client = new MqttClientFactory().CreateMqttClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(Mosquitto.Host, Mosquitto.AuthPort)
                .WithCredentials(Mosquitto.Variable("MQTT_USER"), Mosquitto.Variable("MQTT_PASSWORD")).Build(), timeout.Token);
            RecordingSink.Call? call = null;
            for (var attempt = 0; attempt < 40 && call is null; attempt++)
            {
                await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(UpTopic).WithPayload("{not json")
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), timeout.Token);
                try
                {
                    call = await sink.NextAsync(0.5);
                }
                catch (Xunit.Sdk.XunitException)
                {
                }
            }
            Assert.NotNull(call);
            Assert.StartsWith("ChirpStack up event: not JSON (", call.Reason, StringComparison.Ordinal);
            Assert.Null(call.Entities);
        }
        finally
        {
            await listener.StopAsync(CancellationToken.None);
        }
    }
}
