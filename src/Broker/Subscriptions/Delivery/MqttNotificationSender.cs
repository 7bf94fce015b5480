using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Broker.Outbound;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Channel;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Broker.Subscriptions.Delivery;

/// <summary>
/// The MQTT binding of notifications (clause 7): each notification is published to the endpoint's topic as the JSON
/// object <c>{"metadata": {…}, "body": Notification}</c> (clause 7.2), where metadata holds what the HTTP binding sends as
/// headers: Content-Type, Link, NGSILD-Tenant and receiverInfo. The attempt succeeds when the publish completes within
/// the timeout: acknowledged by the MQTT broker with QoS 1 (PUBACK) or 2 (PUBCOMP), handed to the socket with QoS 0.
/// </summary>
/// <remarks>
/// Connections are pooled by broker, credentials and protocol version and shared by the lanes that publish at the same
/// time (MQTTnet sends one packet at a time on a connection and matches acknowledgements by packet identifier). A
/// connection that dropped is opened again by the next notification; one that no notification used for
/// <see cref="MqttNotificationOptions.IdleTimeout"/> is closed. Every connection is opened by
/// <see cref="OutboundAddressPolicy.ConnectAsync"/>, which MQTTnet calls as its stream provider, and mqtts validates the
/// broker's certificate against the system's trust store and the host name.
/// </remarks>
public sealed partial class MqttNotificationSender : INotificationSender, IAsyncDisposable, IDisposable
{
    /// <summary>How long closing a connection may wait for the DISCONNECT to be written; also MQTTnet's bound on a PINGREQ's answer.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly MqttNotificationOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly MqttClientFactory _factory = new();
    private readonly PolicyStreamProvider _streams;
    private readonly ConcurrentDictionary<MqttConnectionKey, PooledConnection> _pool = new();
    private readonly ITimer _sweeper;
    private int _disposed;

    public MqttNotificationSender(OutboundAddressPolicy policy, MqttNotificationOptions options, TimeProvider clock, ILogger<MqttNotificationSender> logger)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(options);
        if (options.IdleTimeout <= TimeSpan.Zero)
            throw new InvalidOperationException($"{MqttNotificationOptions.SectionName}:IdleTimeout must be longer than zero.");
        if (options.KeepAlivePeriod < TimeSpan.Zero || options.KeepAlivePeriod > TimeSpan.FromSeconds(ushort.MaxValue))
            throw new InvalidOperationException($"{MqttNotificationOptions.SectionName}:KeepAlivePeriod must be from zero (off) to 18:12:15 (MQTT's 65535 s).");
        _options = options;
        _clock = clock;
        _logger = logger;
        _streams = new PolicyStreamProvider(policy);
        var sweep = TimeSpan.FromTicks(Math.Clamp(options.IdleTimeout.Ticks / 2, TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerMinute));
        _sweeper = clock.CreateTimer(static state => ((MqttNotificationSender)state!).CloseIdle(), this, sweep, sweep);
    }

    /// <summary>The connections in the pool, open or to be opened again.</summary>
    internal int PooledConnections => _pool.Count;

    public bool Handles(Uri endpoint) => endpoint.Scheme is "mqtt" or "mqtts";

    public async Task<DeliveryAttempt> SendAsync(NotificationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!MqttEndpoint.TryParse(message.Endpoint, message.NotifierInfo, out var endpoint, out var error))
            return DeliveryAttempt.Failed(error);
        if (Rent(endpoint.Connection) is not { } connection)
            return DeliveryAttempt.Failed("the broker is shutting down");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(message.Timeout);
        var key = endpoint.Connection;
        Session? session = null;
        try
        {
            (session, var refusal) = await connection.ConnectedAsync(this, timeout.Token).ConfigureAwait(false);
            if (session is null)
                return DeliveryAttempt.Failed(refusal!);
            if (endpoint.QualityOfService > session.MaximumQoS)
                return DeliveryAttempt.Failed($"the MQTT broker {key} accepts QoS {(int)session.MaximumQoS} at most, and the endpoint asks for QoS {(int)endpoint.QualityOfService}");
            var acknowledged = endpoint.QualityOfService != MqttQualityOfServiceLevel.AtMostOnce;
            if (acknowledged)
                await session.InFlight.WaitAsync(timeout.Token).ConfigureAwait(false);
            MqttClientPublishResult result;
            try
            {
                result = await session.Client.PublishAsync(ApplicationMessage(endpoint, message), timeout.Token).ConfigureAwait(false);
            }
            finally
            {
                if (acknowledged)
                    session.InFlight.Release();
            }
            if (result.IsSuccess)
                return DeliveryAttempt.Success;
            return DeliveryAttempt.Failed($"the MQTT broker {key} did not accept the message on topic '{endpoint.Topic}': {result.ReasonCode}{Reason(result.ReasonString)}");
        }
        catch (Exception e)
        {
            // A publish cut short may have left half a packet on the stream: the connection cannot be used any more.
            connection.Drop(session);
            // MQTTnet reports a cancellation while connecting as its own exception.
            cancellationToken.ThrowIfCancellationRequested();
            if (timeout.IsCancellationRequested)
            {
                return DeliveryAttempt.Failed(session is null
                    ? $"no connection to the MQTT broker {key} within {message.Timeout.TotalMilliseconds:0} ms"
                    : $"the publish to the MQTT broker {key} did not complete within {message.Timeout.TotalMilliseconds:0} ms");
            }
            if (e is OperationCanceledException)
                return DeliveryAttempt.Failed($"the connection to the MQTT broker {key} closed while the notification was sent");
            return DeliveryAttempt.Failed(session is null
                ? $"connecting to the MQTT broker {key} failed: {Describe(e)}"
                : $"publishing to the MQTT broker {key} failed: {Describe(e)}");
        }
        finally
        {
            Return(connection);
        }
    }

    private static string Reason(string? reason) => string.IsNullOrEmpty(reason) ? "" : $" ({reason})";

    /// <summary>What went wrong, for people: MQTTnet wraps the policy's refusal, socket and TLS errors in its own exceptions.</summary>
    private static string Describe(Exception exception)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case OutboundPolicyException or SocketException:
                    return inner.Message;
                case AuthenticationException:
                    return inner.Message.StartsWith("TLS", StringComparison.Ordinal) ? inner.Message : "TLS: " + inner.Message;
            }
        }
        return exception.Message;
    }

    /// <summary>The PUBLISH of a notification (clause 7.2), with MQTT 5 also saying that the payload is JSON text.</summary>
    private static MqttApplicationMessage ApplicationMessage(MqttEndpoint endpoint, NotificationMessage message)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(endpoint.Topic)
            .WithPayload(Payload(message))
            .WithQualityOfServiceLevel(endpoint.QualityOfService)
            .WithRetainFlag(false);
        if (endpoint.Connection.Version == MqttProtocolVersion.V500)
            builder.WithContentType("application/json").WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData);
        return builder.Build();
    }

    /// <summary>
    /// <c>{"metadata": {"Content-Type": accept, headers…}, "body": Notification}</c>. A receiverInfo key that repeats a
    /// key written before (case-insensitively, as header names compare) is left out: a JSON object has one member of a name.
    /// </summary>
    internal static byte[] Payload(NotificationMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>(message.Body.Length + 256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("metadata"u8);
            json.WriteString("Content-Type"u8, message.ContentType);
            var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Content-Type" };
            foreach (var (name, value) in message.Headers)
            {
                if (written.Add(name))
                    json.WriteString(name, value);
            }
            json.WriteEndObject();
            json.WritePropertyName("body"u8);
            // The body is the renderer's own JSON.
            json.WriteRawValue(message.Body, skipInputValidation: true);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The options of one connection attempt; <paramref name="rejection"/> receives why a TLS certificate was refused.</summary>
    private MqttClientOptions ClientOptions(MqttConnectionKey key, out CertificateRejection rejection)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(key.Host, key.Port)
            .WithStreamProvider(_streams)
            .WithProtocolVersion(key.Version)
            .WithClientId("ngsild-" + Guid.NewGuid().ToString("N")[..16])
            .WithCleanSession()
            .WithKeepAlivePeriod(_options.KeepAlivePeriod)
            .WithTimeout(CloseTimeout);
        if (key.User is not null || key.Password is not null)
            builder.WithCredentials(key.User, key.Password is null ? null : Encoding.UTF8.GetBytes(key.Password));
        var rejected = rejection = new CertificateRejection();
        if (key.Tls)
        {
            // Revocation is not checked, as for HTTPS notifications (SslStream's default): fetching the CRLs a certificate
            // names would be a connection the outbound policy never sees.
            builder.WithTlsOptions(tls => tls
                .UseTls()
                .WithTargetHost(key.Host)
                .WithRevocationMode(X509RevocationMode.NoCheck)
                .WithCertificateValidationHandler(validation => rejected.Accept(validation.SslPolicyErrors, validation.Chain)));
        }
        return builder.Build();
    }

    /// <summary>Accepts a certificate only without errors (chain to a trusted root, name, presence), and keeps why not.</summary>
    private sealed class CertificateRejection
    {
        public string? Reason { get; private set; }

        public bool Accept(SslPolicyErrors errors, X509Chain? chain)
        {
            if (errors == SslPolicyErrors.None)
                return true;
            var reasons = new List<string>();
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
                reasons.Add("it sent no certificate");
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
                reasons.Add("its certificate is not issued to the host name");
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
            {
                var statuses = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct() ?? [];
                reasons.Add($"its certificate chain is not trusted ({string.Join(", ", statuses)})");
            }
            Reason = "TLS: the MQTT broker's certificate is refused: " + string.Join("; ", reasons);
            return false;
        }
    }

    private PooledConnection? Rent(MqttConnectionKey key)
    {
        while (Volatile.Read(ref _disposed) == 0)
        {
            var connection = _pool.GetOrAdd(key, static key => new PooledConnection(key));
            lock (connection.Gate)
            {
                if (!connection.Retired)
                {
                    connection.Users++;
                    return connection;
                }
            }
        }
        return null;
    }

    private void Return(PooledConnection connection)
    {
        lock (connection.Gate)
        {
            connection.Users--;
            connection.LastUsed = _clock.GetUtcNow();
        }
    }

    /// <summary>Closes the connections that no notification used for the idle timeout.</summary>
    private void CloseIdle()
    {
        var now = _clock.GetUtcNow();
        foreach (var (key, connection) in _pool)
        {
            lock (connection.Gate)
            {
                if (connection.Retired || connection.Users > 0 || now - connection.LastUsed < _options.IdleTimeout)
                    continue;
                connection.Retired = true;
                _pool.TryRemove(new KeyValuePair<MqttConnectionKey, PooledConnection>(key, connection));
            }
            LogClosingIdle(_logger, key.ToString());
            _ = connection.CloseAsync(this);
        }
    }

    /// <summary>Closes every connection, each with a DISCONNECT; a notification still being sent fails (and is retried by the next node or start).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _sweeper.DisposeAsync().ConfigureAwait(false);
        var closing = new List<Task>();
        foreach (var connection in RetireAll())
            closing.Add(connection.CloseAsync(this));
        await Task.WhenAll(closing).ConfigureAwait(false);
    }

    /// <summary>Drops every connection without a DISCONNECT (the MQTT brokers see them end); prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _sweeper.Dispose();
        foreach (var connection in RetireAll())
            connection.Abort();
    }

    private List<PooledConnection> RetireAll()
    {
        var retired = new List<PooledConnection>();
        foreach (var (key, connection) in _pool)
        {
            lock (connection.Gate)
            {
                connection.Retired = true;
                _pool.TryRemove(new KeyValuePair<MqttConnectionKey, PooledConnection>(key, connection));
            }
            retired.Add(connection);
        }
        return retired;
    }

    /// <summary>
    /// One MQTT broker connection of the pool. <see cref="Gate"/> guards the pool's bookkeeping (users, last use, retirement)
    /// and the hand-over of the client; connecting is serialized, so concurrent notifications open one connection.
    /// </summary>
    private sealed class PooledConnection(MqttConnectionKey key)
    {
        private readonly SemaphoreSlim _connecting = new(1, 1);
        private Session? _session;
        private bool _closed;

        public Lock Gate { get; } = new();

        public int Users { get; set; }

        public DateTimeOffset LastUsed { get; set; }

        /// <summary>Out of the pool: no new users; it is closed once taken out.</summary>
        public bool Retired { get; set; }

        /// <summary>The connected session, connecting first when there is none or it dropped; without a session, why the MQTT broker refused.</summary>
        public async Task<(Session? Session, string? Refusal)> ConnectedAsync(MqttNotificationSender owner, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref _session) is { Client.IsConnected: true } connected)
                return (connected, null);
            await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var current = Volatile.Read(ref _session);
                if (current is { Client.IsConnected: true })
                    return (current, null);
                if (current is not null)
                {
                    Drop(current);
                    LogReconnecting(owner._logger, key.ToString());
                }
                var client = owner._factory.CreateMqttClient();
                var options = owner.ClientOptions(key, out var certificate);
                MqttClientConnectResult result;
                try
                {
                    result = await client.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (certificate.Reason is { } refused)
                {
                    client.Dispose();
                    throw new AuthenticationException(refused, e);
                }
                catch
                {
                    client.Dispose();
                    throw;
                }
                if (result.ResultCode != MqttClientConnectResultCode.Success)
                {
                    client.Dispose();
                    return (null, $"the MQTT broker {key} refused the connection: {result.ResultCode}{Reason(result.ReasonString)}");
                }
                var session = new Session(client, result, key.Version);
                bool kept;
                lock (Gate)
                {
                    kept = !_closed;
                    if (kept)
                        Volatile.Write(ref _session, session);
                }
                if (!kept)
                {
                    client.Dispose();
                    return (null, "the broker is shutting down");
                }
                LogConnected(owner._logger, key.ToString(), key.Version);
                return (session, null);
            }
            finally
            {
                _connecting.Release();
            }
        }

        /// <summary>Forgets a session that failed (unless another notification did so already); the next one connects again.</summary>
        public void Drop(Session? session)
        {
            if (session is not null && Interlocked.CompareExchange(ref _session, null, session) == session)
                session.Client.Dispose();
        }

        public async Task CloseAsync(MqttNotificationSender owner)
        {
            if (Take()?.Client is not { } client)
                return;
            try
            {
                if (client.IsConnected)
                {
                    using var timeout = new CancellationTokenSource(CloseTimeout);
                    await client.DisconnectAsync(new MqttClientDisconnectOptions { Reason = MqttClientDisconnectOptionsReason.NormalDisconnection }, timeout.Token)
                        .ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                // The connection ends either way: the MQTT broker sees it close without a DISCONNECT.
                LogCloseFailed(owner._logger, key.ToString(), e.Message);
            }
            finally
            {
                client.Dispose();
            }
        }

        public void Abort() => Take()?.Client.Dispose();

        private Session? Take()
        {
            lock (Gate)
            {
                _closed = true;
                return Interlocked.Exchange(ref _session, null);
            }
        }
    }

    /// <summary>
    /// A connected client and what its MQTT 5 broker allows (CONNACK, MQTT 5 clause 3.2.2.3): the highest QoS, and how
    /// many QoS 1 and 2 publishes may wait for their acknowledgement at a time (Receive Maximum, clause 4.9).
    /// </summary>
    private sealed class Session(IMqttClient client, MqttClientConnectResult connected, MqttProtocolVersion version)
    {
        public IMqttClient Client { get; } = client;

        public MqttQualityOfServiceLevel MaximumQoS { get; } = version == MqttProtocolVersion.V500 ? connected.MaximumQoS : MqttQualityOfServiceLevel.ExactlyOnce;

        public SemaphoreSlim InFlight { get; } = new(version == MqttProtocolVersion.V500 && connected.ReceiveMaximum is > 0 and var most ? most : ushort.MaxValue);
    }

    /// <summary>
    /// Opens MQTTnet's connections with <see cref="OutboundAddressPolicy.ConnectAsync"/>, so that the addresses a broker's
    /// name resolves to are judged where the connection is made; MQTTnet layers TLS on the stream for mqtts.
    /// </summary>
    private sealed class PolicyStreamProvider(OutboundAddressPolicy policy) : IMqttClientStreamProvider
    {
        public async Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken)
        {
            var (host, port) = brokerEndPoint switch
            {
                DnsEndPoint dns => (dns.Host, dns.Port),
                IPEndPoint ip => (ip.Address.ToString(), ip.Port),
                _ => throw new NotSupportedException($"MQTT connections go to host names and IP addresses, not to {brokerEndPoint.GetType().Name}."),
            };
            var socket = await policy.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connected to the MQTT broker {Broker} ({Version})")]
    private static partial void LogConnected(ILogger logger, string broker, MqttProtocolVersion version);

    [LoggerMessage(Level = LogLevel.Information, Message = "The connection to the MQTT broker {Broker} dropped; connecting again")]
    private static partial void LogReconnecting(ILogger logger, string broker);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Closing the idle connection to the MQTT broker {Broker}")]
    private static partial void LogClosingIdle(ILogger logger, string broker);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Closing the connection to the MQTT broker {Broker} failed: {Reason}")]
    private static partial void LogCloseFailed(ILogger logger, string broker, string reason);
}
