using System.Text;
using System.Text.Json.Nodes;
using Broker.Subscriptions;
using Broker.Subscriptions.Delivery;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit;

namespace Broker.Tests.Subscriptions;

/// <summary>How an MQTT endpoint URI and its notifierInfo are read (clause 7.2), and the message published to it.</summary>
public sealed class MqttEndpointTests
{
    private static MqttEndpoint Parse(string uri, params KeyValue[] notifierInfo)
    {
        Assert.True(MqttEndpoint.TryParse(new Uri(uri), notifierInfo, out var endpoint, out var error), error);
        return endpoint;
    }

    private static string Refusal(string uri, params KeyValue[] notifierInfo)
    {
        Assert.False(MqttEndpoint.TryParse(new Uri(uri), notifierInfo, out _, out var error));
        return error;
    }

    [Theory]
    [InlineData("mqtt://broker.example/t", false, 1883)]
    [InlineData("mqtts://broker.example/t", true, 8883)]
    [InlineData("mqtt://broker.example:1884/t", false, 1884)]
    [InlineData("mqtts://broker.example:443/t", true, 443)]
    public void The_port_defaults_to_1883_for_mqtt_and_8883_for_mqtts(string uri, bool tls, int port)
    {
        var endpoint = Parse(uri);

        Assert.Equal(tls, endpoint.Connection.Tls);
        Assert.Equal(port, endpoint.Connection.Port);
    }

    [Theory]
    [InlineData("mqtt://h/topic", "topic")]
    [InlineData("mqtt://h/city/luebeck/parking", "city/luebeck/parking")]
    [InlineData("mqtt://h/a%20b/%C3%BC", "a b/ü")]
    [InlineData("mqtt://h/trailing/", "trailing/")]
    [InlineData("mqtt://h/t?ignored=1", "t")]
    public void The_topic_is_the_decoded_path_without_its_leading_slash(string uri, string topic) =>
        Assert.Equal(topic, Parse(uri).Topic);

    [Fact]
    public void User_and_password_are_the_percent_decoded_parts_of_the_user_info()
    {
        var key = Parse("mqtt://us%65r:p%3Aw%40d%2F1@h/t").Connection;

        Assert.Equal("user", key.User);
        Assert.Equal("p:w@d/1", key.Password);
    }

    [Theory]
    [InlineData("mqtt://user@h/t", "user", null)]
    [InlineData("mqtt://:secret@h/t", null, "secret")]
    [InlineData("mqtt://h/t", null, null)]
    public void User_and_password_are_each_optional(string uri, string? user, string? password)
    {
        var key = Parse(uri).Connection;

        Assert.Equal(user, key.User);
        Assert.Equal(password, key.Password);
    }

    [Fact]
    public void A_password_without_a_user_is_refused_for_MQTT_3_1_1() =>
        Assert.Contains("3.1.1", Refusal("mqtt://:secret@h/t", new KeyValue("MQTT-Version", "mqtt3.1.1")), StringComparison.Ordinal);

    [Fact]
    public void Hosts_are_in_their_ASCII_form_and_IPv6_addresses_without_brackets()
    {
        Assert.Equal("xn--lbeck-kva.de", Parse("mqtt://lübeck.de/t").Connection.Host);
        Assert.Equal("::1", Parse("mqtt://[::1]:1884/t").Connection.Host);
    }

    [Fact]
    public void The_defaults_are_MQTT_5_and_QoS_0()
    {
        var endpoint = Parse("mqtt://h/t");

        Assert.Equal(MqttProtocolVersion.V500, endpoint.Connection.Version);
        Assert.Equal(MqttQualityOfServiceLevel.AtMostOnce, endpoint.QualityOfService);
    }

    [Theory]
    [InlineData("mqtt3.1.1", "0", MqttProtocolVersion.V311, MqttQualityOfServiceLevel.AtMostOnce)]
    [InlineData("mqtt5.0", "1", MqttProtocolVersion.V500, MqttQualityOfServiceLevel.AtLeastOnce)]
    [InlineData("mqtt3.1.1", "2", MqttProtocolVersion.V311, MqttQualityOfServiceLevel.ExactlyOnce)]
    public void NotifierInfo_sets_the_version_and_the_QoS(string version, string qos, MqttProtocolVersion expectedVersion, MqttQualityOfServiceLevel expectedQos)
    {
        var endpoint = Parse("mqtt://h/t", new KeyValue("MQTT-Version", version), new KeyValue("MQTT-QoS", qos));

        Assert.Equal(expectedVersion, endpoint.Connection.Version);
        Assert.Equal(expectedQos, endpoint.QualityOfService);
    }

    [Theory]
    [InlineData("mqtt://h/a/%2B/b")]
    [InlineData("mqtt://h/a/%23")]
    public void A_topic_with_a_wildcard_is_refused(string uri) =>
        Assert.Contains("wildcard", Refusal(uri), StringComparison.Ordinal);

    [Fact]
    public void Connections_are_shared_by_broker_credentials_and_version_but_not_by_topic_or_QoS()
    {
        var a = Parse("mqtt://u:p@h:1884/one", new KeyValue("MQTT-QoS", "1"));
        var b = Parse("mqtt://u:p@h:1884/two/three", new KeyValue("MQTT-QoS", "2"));

        Assert.Equal(a.Connection, b.Connection);
        Assert.NotEqual(a.Connection, Parse("mqtt://u:other@h:1884/one").Connection);
        Assert.NotEqual(a.Connection, Parse("mqtt://u:p@h:1884/one", new KeyValue("MQTT-Version", "mqtt3.1.1")).Connection);
        Assert.NotEqual(a.Connection, Parse("mqtts://u:p@h:1884/one").Connection);
    }

    [Fact]
    public void A_connection_key_is_written_without_its_credentials()
    {
        var endpoint = Parse("mqtt://user:secret@[::1]:1884/t");

        Assert.Equal("mqtt://[::1]:1884", endpoint.Connection.ToString());
        Assert.DoesNotContain("secret", endpoint.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_message_holds_the_headers_as_metadata_and_the_notification_as_body()
    {
        var body = """{"id":"urn:ngsi-ld:Notification:1","type":"Notification","data":[{"id":"urn:a","type":"T"}]}""";
        var message = new NotificationMessage(new Uri("mqtt://h/t"), "application/json", Encoding.UTF8.GetBytes(body),
            [new("Link", "<https://example.org/ctx.jsonld>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\""),
             new("NGSILD-Tenant", "luebeck"), new("x-receiver", "ü"), new("content-type", "text/plain")],
            null, TimeSpan.FromSeconds(1));

        var published = JsonNode.Parse(MqttNotificationSender.Payload(message))!;

        var expected = JsonNode.Parse($$"""
            {"metadata": {"Content-Type": "application/json",
                          "Link": "<https://example.org/ctx.jsonld>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"",
                          "NGSILD-Tenant": "luebeck", "x-receiver": "ü"},
             "body": {{body}}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, published), published.ToJsonString());
    }
}
