namespace Broker.Subscriptions.Delivery;

/// <summary>Settings of the MQTT binding of notifications (configuration section Notifications:Mqtt; see README).</summary>
public sealed class MqttNotificationOptions
{
    public const string SectionName = "Notifications:Mqtt";

    /// <summary>A pooled connection to an MQTT broker that no notification used for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The keep-alive of the connections (MQTT 3.1.1 clause 3.1.2.10): an idle connection sends PINGREQ this often, and
    /// the MQTT broker drops it after one and a half times as long without a packet. Zero turns keep-alive off.
    /// </summary>
    public TimeSpan KeepAlivePeriod { get; set; } = TimeSpan.FromSeconds(30);
}
