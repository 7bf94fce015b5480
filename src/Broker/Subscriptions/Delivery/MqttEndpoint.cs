using System.Diagnostics.CodeAnalysis;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Broker.Subscriptions.Delivery;

/// <summary>
/// What a pooled MQTT connection is shared by: one broker, reached with one set of credentials and one protocol version.
/// <see cref="ToString"/> leaves the credentials out, so a key can be logged.
/// </summary>
internal readonly record struct MqttConnectionKey(bool Tls, string Host, int Port, string? User, string? Password, MqttProtocolVersion Version)
{
    public override string ToString() => $"{(Tls ? "mqtts" : "mqtt")}://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}";
}

/// <summary>
/// An MQTT endpoint of the notification binding (clause 7.2): <c>mqtt[s]://[user][:password]@host[:port]/topic[/subtopic]*</c>
/// with the notifierInfo keys MQTT-Version (<c>mqtt3.1.1</c> or <c>mqtt5.0</c>, the default) and MQTT-QoS (<c>0</c>, the
/// default, <c>1</c> or <c>2</c>).
/// </summary>
internal readonly record struct MqttEndpoint(MqttConnectionKey Connection, string Topic, MqttQualityOfServiceLevel QualityOfService)
{
    /// <summary>The MQTT port over TCP (clause 7.2).</summary>
    public const int DefaultPort = 1883;

    /// <summary>The port of secure MQTT, over TLS (clause 7.2).</summary>
    public const int DefaultTlsPort = 8883;

    public const string VersionKey = "MQTT-Version";

    public const string QualityOfServiceKey = "MQTT-QoS";

    /// <summary>
    /// Reads the endpoint of a notification. The topic is the URI's path without its leading '/', percent-decoded (the
    /// URI's dot segments are resolved first, as for any URI); user and password are the percent-decoded parts of the
    /// user info, before and after its first ':'.
    /// </summary>
    /// <param name="error">Why the endpoint cannot be used (the reader of subscriptions lets through only what this accepts, but for MQTT 3.1.1 with a password and no user).</param>
    public static bool TryParse(Uri uri, IReadOnlyList<KeyValue>? notifierInfo, out MqttEndpoint endpoint, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(uri);
        endpoint = default;
        var tls = uri.Scheme == "mqtts";
        if (!tls && uri.Scheme != "mqtt")
        {
            error = $"'{uri.Scheme}' is not an MQTT scheme";
            return false;
        }
        var host = uri.IdnHost;
        if (host.Length == 0)
        {
            error = "the endpoint names no host";
            return false;
        }
        var port = uri.Port < 0 ? (tls ? DefaultTlsPort : DefaultPort) : uri.Port;

        string? user = null;
        string? password = null;
        var userInfo = uri.UserInfo;
        if (userInfo.Length > 0)
        {
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
            if (user.Length == 0)
                user = null;
            if (password?.Length == 0)
                password = null;
        }

        var version = MqttProtocolVersion.V500;
        var qos = MqttQualityOfServiceLevel.AtMostOnce;
        foreach (var (key, value) in notifierInfo ?? [])
        {
            if (key == VersionKey)
                version = value == "mqtt3.1.1" ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500;
            else if (key == QualityOfServiceKey)
                qos = value switch { "1" => MqttQualityOfServiceLevel.AtLeastOnce, "2" => MqttQualityOfServiceLevel.ExactlyOnce, _ => MqttQualityOfServiceLevel.AtMostOnce };
        }
        if (version == MqttProtocolVersion.V311 && password is not null && user is null)
        {
            error = "MQTT 3.1.1 sends a password only together with a user name (MQTT 3.1.1 clause 3.1.2.9)";
            return false;
        }

        var path = uri.AbsolutePath;
        var topic = Uri.UnescapeDataString(path.StartsWith('/') ? path[1..] : path);
        if (topic.Length == 0)
        {
            error = "the endpoint names no topic";
            return false;
        }
        if (topic.AsSpan().IndexOfAny('+', '#', '\0') >= 0)
        {
            error = $"the topic '{topic}' holds a wildcard (+ or #) or a NUL character, which a published topic must not (MQTT 3.1.1 clause 4.7.1)";
            return false;
        }

        endpoint = new MqttEndpoint(new MqttConnectionKey(tls, host, port, user, password, version), topic, qos);
        error = null;
        return true;
    }
}
