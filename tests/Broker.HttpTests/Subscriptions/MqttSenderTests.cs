using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Broker.Outbound;
using Broker.Subscriptions;
using Broker.Subscriptions.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>
/// <see cref="MqttNotificationSender"/> on its own, against mosquitto or a loopback listener: the outbound policy, the
/// pool of connections (shared, opened again, closed when idle, closed on shutdown), refusals, timeouts and TLS.
/// </summary>
[Collection(MosquittoCollection.Name)]
public sealed class MqttSenderTests : IAsyncLifetime
{
    private static readonly OutboundAddressPolicy LoopbackAllowed = new(new OutboundPolicyOptions { AllowLoopback = true });

    private readonly List<MqttNotificationSender> _senders = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var sender in _senders)
            await sender.DisposeAsync();
    }

    private MqttNotificationSender NewSender(OutboundAddressPolicy? policy = null, TimeSpan? idleTimeout = null)
    {
        var sender = new MqttNotificationSender(policy ?? LoopbackAllowed, new MqttNotificationOptions { IdleTimeout = idleTimeout ?? TimeSpan.FromMinutes(2) },
            TimeProvider.System, NullLogger<MqttNotificationSender>.Instance);
        _senders.Add(sender);
        return sender;
    }

    private static string NewTopic() => "ngsild-sender-tests/" + Guid.NewGuid().ToString("N");

    private static NotificationMessage Message(string uri, string qos = "0", double timeoutSeconds = 5, int sequence = 0) =>
        new(new Uri(uri), "application/json", Encoding.UTF8.GetBytes($$"""{"type":"Notification","sequence":{{sequence}}}"""), [],
            [new KeyValue("MQTT-QoS", qos)], TimeSpan.FromSeconds(timeoutSeconds));

    private static string Anonymous(string topic, string host = "") => $"mqtt://{(host.Length == 0 ? Mosquitto.Host : host)}:{Mosquitto.Port}/{topic}";

    private static void AssertDelivered(DeliveryAttempt attempt) => Assert.True(attempt.Delivered, attempt.Failure);

    private static string AssertFailed(DeliveryAttempt attempt)
    {
        Assert.False(attempt.Delivered);
        Assert.False(string.IsNullOrWhiteSpace(attempt.Failure));
        return attempt.Failure!;
    }

    [MosquittoTheory]
    [InlineData("127.0.0.1", "loopback (127.0.0.0/8)")]
    [InlineData("localhost", "loopback name")]
    public async Task Connections_are_judged_by_the_outbound_policy(string host, string reason)
    {
        var topic = NewTopic();
        await using var subscriber = await TestSubscriber.ConnectAsync(topic);
        var sender = NewSender(new OutboundAddressPolicy(new OutboundPolicyOptions()));

        var failure = AssertFailed(await sender.SendAsync(Message(Anonymous(topic, host)), CancellationToken.None));

        Assert.Contains("outbound policy refuses", failure, StringComparison.Ordinal);
        Assert.Contains(reason, failure, StringComparison.Ordinal);
        await subscriber.AssertNothingMoreAsync(0.2);
    }

    [MosquittoFact]
    public async Task Concurrent_notifications_to_one_MQTT_broker_share_one_connection()
    {
        var topic = NewTopic();
        await using var subscriber = await TestSubscriber.ConnectAsync(topic);
        var sender = NewSender();

        var attempts = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => sender.SendAsync(Message(Anonymous(topic), qos: (i % 3).ToString(System.Globalization.CultureInfo.InvariantCulture), sequence: i), CancellationToken.None))));

        Assert.All(attempts, AssertDelivered);
        Assert.Equal(1, sender.PooledConnections);
        var sequences = new List<int>();
        for (var i = 0; i < 20; i++)
            sequences.Add((int)JsonNode.Parse((await subscriber.NextAsync()).ConvertPayloadToString())!["body"]!["sequence"]!);
        Assert.Equal(Enumerable.Range(0, 20), sequences.Order());
        await subscriber.AssertNothingMoreAsync(0.2);
    }

    [MosquittoFact]
    public async Task A_connection_that_dropped_is_opened_again_by_the_next_notification()
    {
        var topic = NewTopic();
        var sender = NewSender();
        AssertDelivered(await sender.SendAsync(Message(Anonymous(topic), qos: "1"), CancellationToken.None));

        await Mosquitto.RestartAsync();

        // QoS 1: only the MQTT broker's PUBACK counts, so a write into the dropped connection cannot pass.
        AssertDelivered(await sender.SendAsync(Message(Anonymous(topic), qos: "1"), CancellationToken.None));
        Assert.Equal(1, sender.PooledConnections);
    }

    [MosquittoFact]
    public async Task An_idle_connection_is_closed_and_opened_again_when_needed()
    {
        var topic = NewTopic();
        await using var subscriber = await TestSubscriber.ConnectAsync(topic);
        var sender = NewSender(idleTimeout: TimeSpan.FromMilliseconds(200));
        AssertDelivered(await sender.SendAsync(Message(Anonymous(topic)), CancellationToken.None));
        Assert.Equal(1, sender.PooledConnections);

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (sender.PooledConnections > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(50);

        Assert.Equal(0, sender.PooledConnections);
        AssertDelivered(await sender.SendAsync(Message(Anonymous(topic)), CancellationToken.None));
        await subscriber.NextAsync();
        await subscriber.NextAsync();
    }

    [MosquittoTheory]
    [InlineData("mqtt3.1.1")]
    [InlineData("mqtt5.0")]
    public async Task A_refused_connection_says_why_without_the_password(string version)
    {
        var sender = NewSender();
        var uri = $"mqtt://{Uri.EscapeDataString(Mosquitto.User)}:wrong-secret@{Mosquitto.Host}:{Mosquitto.AuthPort}/{NewTopic()}";
        var message = Message(uri) with { NotifierInfo = [new KeyValue("MQTT-Version", version)] };

        var failure = AssertFailed(await sender.SendAsync(message, CancellationToken.None));

        Assert.Contains("refused the connection", failure, StringComparison.Ordinal);
        Assert.Contains($":{Mosquitto.AuthPort}", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret", failure, StringComparison.Ordinal);
    }

    [MosquittoFact]
    public async Task A_QoS_above_what_an_MQTT_5_broker_allows_fails_without_breaking_the_connection()
    {
        var topic = NewTopic();
        var sender = NewSender();
        var uri = $"mqtt://{Mosquitto.Host}:{Mosquitto.Qos1Port}/{topic}";

        var failure = AssertFailed(await sender.SendAsync(Message(uri, qos: "2"), CancellationToken.None));

        Assert.Contains("accepts QoS 1 at most, and the endpoint asks for QoS 2", failure, StringComparison.Ordinal);
        AssertDelivered(await sender.SendAsync(Message(uri, qos: "1"), CancellationToken.None));
    }

    [Fact]
    public async Task An_MQTT_broker_that_does_not_answer_fails_the_notification_within_its_timeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var sender = NewSender();
        var started = DateTime.UtcNow;

        var failure = AssertFailed(await sender.SendAsync(Message($"mqtt://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/t", timeoutSeconds: 0.3), CancellationToken.None));

        Assert.Contains("within 300 ms", failure, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(3), $"took {DateTime.UtcNow - started}");
    }

    [Fact]
    public async Task Mqtts_refuses_a_certificate_that_no_trusted_authority_issued()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: true));
            try
            {
                await tls.AuthenticateAsServerAsync(certificate);
                // A client that validates the certificate after the handshake closes the connection before its CONNECT.
                return await tls.ReadAsync(new byte[1]) == 0 ? "closed" : "received MQTT";
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                return "closed";
            }
        });
        var sender = NewSender();

        var failure = AssertFailed(await sender.SendAsync(Message($"mqtts://user:secret@127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/t"), CancellationToken.None));

        Assert.Contains("TLS: the MQTT broker's certificate is refused: its certificate chain is not trusted (UntrustedRoot", failure, StringComparison.Ordinal);
        Assert.Equal("closed", await server.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task The_broker_registers_the_sender_and_disposes_it_on_shutdown()
    {
        var factory = new MqttBrokerFactory();
        MqttNotificationSender sender;
        try
        {
            sender = factory.Services.GetRequiredService<MqttNotificationSender>();
            Assert.Contains(sender, factory.Services.GetServices<INotificationSender>());
        }
        finally
        {
            await factory.DisposeAsync();
        }

        var failure = AssertFailed(await sender.SendAsync(Message("mqtt://127.0.0.1:1/t"), CancellationToken.None));
        Assert.Contains("shutting down", failure, StringComparison.Ordinal);
    }
}
