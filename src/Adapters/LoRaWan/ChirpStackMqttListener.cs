using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace Adapters.LoRaWan;

/// <summary>The connection to the MQTT broker that ChirpStack's MQTT integration publishes to (section LoRaWan:Mqtt).</summary>
public sealed class LoRaWanMqttOptions
{
    public const string SectionName = "LoRaWan:Mqtt";

    /// <summary>The MQTT broker; without it, there is no MQTT input.</summary>
    public string? Host { get; set; }

    public int Port { get; set; } = 1883;

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>ChirpStack's event topics: application/{application_id}/device/{dev_eui}/event/{event}.</summary>
    public string TopicFilter { get; set; } = "application/+/device/+/event/+";

    /// <summary>How long to wait before connecting again after the connection failed or dropped.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// ChirpStack's MQTT integration (JSON encoding): subscribes with QoS 1 to the event topics and hands each event to the
/// same path as the HTTP webhook, the event type taken from the topic's last level. Connects again after
/// <see cref="LoRaWanMqttOptions.ReconnectDelay"/> whenever the connection fails or drops.
/// </summary>
public sealed class ChirpStackMqttListener(LoRaWanMqttOptions options, LoRaWanIngest ingest, ILogger<ChirpStackMqttListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e => HandleAsync(e.ApplicationMessage, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task OnDisconnected(MqttClientDisconnectedEventArgs e)
            {
                disconnected.TrySetResult();
                return Task.CompletedTask;
            }
            client.DisconnectedAsync += OnDisconnected;
            try
            {
                await ConnectAsync(client, stoppingToken);
                logger.LogInformation("LoRaWAN MQTT input: subscribed to {TopicFilter} at {Host}:{Port}", options.TopicFilter, options.Host, options.Port);
                await disconnected.Task.WaitAsync(stoppingToken);
                logger.LogWarning("LoRaWAN MQTT input: the connection to {Host}:{Port} dropped", options.Host, options.Port);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or InvalidOperationException)
            {
                logger.LogWarning("LoRaWAN MQTT input: cannot connect to {Host}:{Port}: {Error}", options.Host, options.Port, e.Message);
            }
            finally
            {
                client.DisconnectedAsync -= OnDisconnected;
            }
            try
            {
                await Task.Delay(options.ReconnectDelay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        if (client.IsConnected)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token);
        }
    }

    private async Task ConnectAsync(IMqttClient client, CancellationToken stoppingToken)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(options.Host, options.Port)
            .WithClientId("ngsi-adapters-" + Guid.NewGuid().ToString("N")[..12])
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (options.Username is not null)
            builder.WithCredentials(options.Username, options.Password);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var connected = await client.ConnectAsync(builder.Build(), timeout.Token);
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
            throw new InvalidOperationException($"the broker refused the connection: {connected.ResultCode}");
        var subscribed = await client.SubscribeAsync(
            new MqttClientSubscribeOptionsBuilder().WithTopicFilter(options.TopicFilter, MqttQualityOfServiceLevel.AtLeastOnce).Build(), timeout.Token);
        if (subscribed.Items.Any(item => item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2))
            throw new InvalidOperationException($"the broker refused the subscription to {options.TopicFilter}");
    }

    private async Task HandleAsync(MqttApplicationMessage message, CancellationToken stoppingToken)
    {
        var levels = message.Topic.Split('/');
        if (levels is not ["application", _, "device", _, "event", var eventType])
        {
            logger.LogWarning("LoRaWAN MQTT input: {Topic} is not a ChirpStack event topic; passed over", message.Topic);
            return;
        }
        var body = Encoding.UTF8.GetString(message.Payload);
        try
        {
            if (await ingest.ChirpStackAsync(LoRaWanIngest.ChirpStackMqttSource, eventType, body, stoppingToken) is IngestResult.Rejected rejected)
                logger.LogWarning("LoRaWAN MQTT input: {Topic} rejected: {Reason}", message.Topic, rejected.Reason);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "LoRaWAN MQTT input: {Topic} could not be submitted", message.Topic);
        }
    }
}
