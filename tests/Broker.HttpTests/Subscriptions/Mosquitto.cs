using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// The mosquitto of the tests, from what scripts/with-mosquitto.sh exports: MQTT_HOST, MQTT_PORT (anonymous),
/// MQTT_AUTH_PORT (MQTT_USER and MQTT_PASSWORD only), MQTT_QOS1_PORT (QoS 1 at most) and MQTT_CTL, which stops and starts it.
/// </summary>
public static class Mosquitto
{
    private static readonly Lazy<string?> Unreachable = new(Probe);

    public static string Host => Variable("MQTT_HOST");

    public static int Port => int.Parse(Variable("MQTT_PORT"), CultureInfo.InvariantCulture);

    public static int AuthPort => int.Parse(Variable("MQTT_AUTH_PORT"), CultureInfo.InvariantCulture);

    public static int Qos1Port => int.Parse(Variable("MQTT_QOS1_PORT"), CultureInfo.InvariantCulture);

    public static string User => Variable("MQTT_USER");

    public static string Password => Variable("MQTT_PASSWORD");

    /// <summary>Why the tests are skipped (no mosquitto on a developer box), or null to run them.</summary>
    /// <remarks>With CI=true they are never skipped: they run and fail, so a missing mosquitto cannot pass silently.</remarks>
    public static string? SkipReason =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ? null : Unreachable.Value;

    private static string Variable(string name) =>
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

    public static Task StopAsync() => ControlAsync("stop");

    public static Task StartAsync() => ControlAsync("start");

    public static Task RestartAsync() => ControlAsync("restart");

    private static async Task ControlAsync(string command)
    {
        using var process = Process.Start(new ProcessStartInfo(Variable("MQTT_CTL"), command) { RedirectStandardError = true })!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"MQTT_CTL {command} exited with {process.ExitCode}: {errors}");
    }
}

/// <summary>A fact that needs mosquitto: skipped on a developer box without one, failing in CI (CI=true).</summary>
public sealed class MosquittoFactAttribute : FactAttribute
{
    public MosquittoFactAttribute() => Skip = Mosquitto.SkipReason;
}

/// <summary>A theory that needs mosquitto: skipped on a developer box without one, failing in CI (CI=true).</summary>
public sealed class MosquittoTheoryAttribute : TheoryAttribute
{
    public MosquittoTheoryAttribute() => Skip = Mosquitto.SkipReason;
}

/// <summary>The tests that use mosquitto run one after the other: some of them stop it.</summary>
[CollectionDefinition(Name)]
public sealed class MosquittoCollection
{
    public const string Name = "mosquitto";
}

/// <summary>
/// An MQTT 5 client of the tests that subscribes to one topic (QoS 2, so a message arrives with the QoS it was published
/// with) and keeps what arrives.
/// </summary>
public sealed class TestSubscriber : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly Channel<MqttApplicationMessage> _received = Channel.CreateUnbounded<MqttApplicationMessage>();

    private TestSubscriber(IMqttClient client)
    {
        _client = client;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            _received.Writer.TryWrite(e.ApplicationMessage);
            return Task.CompletedTask;
        };
    }

    /// <summary>Whether the MQTT broker still had the session of this client id (a persistent subscriber connecting again).</summary>
    public bool SessionPresent { get; private set; }

    /// <summary>
    /// Connects and, unless <paramref name="subscribe"/> is false (a persistent session has its subscription already),
    /// subscribes to <paramref name="topic"/>. A <paramref name="persistentClientId"/> keeps the session for five minutes
    /// after the connection ends.
    /// </summary>
    public static async Task<TestSubscriber> ConnectAsync(string topic, int? port = null, string? user = null, string? password = null,
        string? persistentClientId = null, bool subscribe = true)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(Mosquitto.Host, port ?? Mosquitto.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(persistentClientId ?? "test-" + Guid.NewGuid().ToString("N")[..12])
            .WithTimeout(TimeSpan.FromSeconds(5));
        if (persistentClientId is not null)
            options.WithCleanStart(false).WithSessionExpiryInterval(300);
        if (user is not null)
            options.WithCredentials(user, password);
        var subscriber = new TestSubscriber(client);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var connected = await client.ConnectAsync(options.Build(), timeout.Token);
        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        subscriber.SessionPresent = connected.IsSessionPresent;
        if (subscribe)
        {
            var subscribed = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topic, MqttQualityOfServiceLevel.ExactlyOnce).Build(), timeout.Token);
            Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS2, Assert.Single(subscribed.Items).ResultCode);
        }
        return subscriber;
    }

    /// <summary>The next message, waiting at most <paramref name="seconds"/>.</summary>
    public async Task<MqttApplicationMessage> NextAsync(double seconds = 10)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            return await _received.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"No MQTT message arrived within {seconds} s.");
        }
    }

    /// <summary>Asserts that no (further) message arrives within <paramref name="seconds"/>.</summary>
    public async Task AssertNothingMoreAsync(double seconds = 0.5)
    {
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        if (_received.Reader.TryRead(out var extra))
            throw new Xunit.Sdk.XunitException($"An unexpected MQTT message arrived on '{extra.Topic}': {extra.ConvertPayloadToString()}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException)
            {
            }
        }
        _client.Dispose();
    }
}
