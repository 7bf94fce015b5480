using System.Net;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;
using Xunit;

namespace Broker.HttpTests.Subscriptions;

/// <summary>A broker that may notify a loopback MQTT broker, and retries a failed notification after 0.2, 0.4, 0.8 and then every 1 s.</summary>
public sealed class MqttBrokerFactory : BrokerFactory
{
    public MqttBrokerFactory() : base(new Dictionary<string, string>
    {
        ["Outbound:AllowLoopback"] = "true",
        ["Notifications:FirstRetryDelay"] = "00:00:00.200",
        ["Notifications:MaxRetryDelay"] = "00:00:01",
    })
    {
    }
}

/// <summary>
/// The MQTT binding of notifications (clause 7) through the whole broker: a subscription with an mqtt:// endpoint, an
/// entity update, and what a subscriber of the endpoint's topic on a real mosquitto receives.
/// </summary>
[Collection(MosquittoCollection.Name)]
public sealed class MqttNotificationTests(MqttBrokerFactory factory) : BrokerTest<MqttBrokerFactory>(factory)
{
    private const string Subscriptions = "/ngsi-ld/v1/subscriptions";
    private const string ReceiverKey = "x-city";
    private const string ReceiverValue = "Lübeck";

    private static string NewTopic() => "ngsild-tests/" + Guid.NewGuid().ToString("N");

    private static string Endpoint(string topic, int? port = null, string? userInfo = null) =>
        $"mqtt://{(userInfo is null ? "" : userInfo + "@")}{Mosquitto.Host}:{port ?? Mosquitto.Port}/{topic}";

    private async Task<string> CreateVehicleAsync() => await CreateAsync("Vehicle", """ "speed":{"type":"Property","value":1}""");

    private async Task<string> SubscribeAsync(string entityId, string uri, params (string Key, string Value)[] notifierInfo)
    {
        var endpoint = new JsonObject
        {
            ["uri"] = uri,
            ["accept"] = "application/json",
            ["receiverInfo"] = new JsonArray(new JsonObject { ["key"] = ReceiverKey, ["value"] = ReceiverValue }),
        };
        if (notifierInfo.Length > 0)
            endpoint["notifierInfo"] = new JsonArray([.. notifierInfo.Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = p.Value })]);
        var subscription = new JsonObject
        {
            ["type"] = "Subscription",
            ["entities"] = new JsonArray(new JsonObject { ["id"] = entityId, ["type"] = "Vehicle" }),
            ["watchedAttributes"] = new JsonArray("speed"),
            ["notification"] = new JsonObject { ["endpoint"] = endpoint },
        };
        var response = await SendAsync(HttpMethod.Post, Subscriptions, subscription);
        await AssertStatus(HttpStatusCode.Created, response);
        var location = response.Headers.Location!.ToString();
        return Uri.UnescapeDataString(location[(location.LastIndexOf('/') + 1)..]);
    }

    private async Task SetSpeedAsync(string entityId, int speed)
    {
        var response = await SendAsync(HttpMethod.Patch, AttrsPath(entityId), $$$"""{"speed":{"type":"Property","value":{{{speed}}}}}""");
        await AssertStatus(HttpStatusCode.NoContent, response);
    }

    private async Task<JsonObject> NotificationStatusAsync(string subscriptionId) =>
        (JsonObject)(await GetJsonAsync($"{Subscriptions}/{Uri.EscapeDataString(subscriptionId)}"))["notification"]!;

    /// <summary>The subscription's notification member once <paramref name="done"/> holds for it (the status is reported after the publish).</summary>
    private async Task<JsonObject> WaitForStatusAsync(string subscriptionId, Func<JsonObject, bool> done, double seconds = 10)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (true)
        {
            var notification = await NotificationStatusAsync(subscriptionId);
            if (done(notification))
                return notification;
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"The status did not come within {seconds} s: {notification.ToJsonString()}");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Asserts the message of clause 7.2: a JSON object with metadata (Content-Type, the Link of a JSON notification,
    /// NGSILD-Tenant for this class's tenant, the receiverInfo) and the Notification as body, for the entity at
    /// <paramref name="speed"/>.
    /// </summary>
    private void AssertNotification(MqttApplicationMessage message, string topic, string subscriptionId, string entityId, int speed)
    {
        Assert.Equal(topic, message.Topic);
        Assert.False(message.Retain);
        var published = Assert.IsType<JsonObject>(JsonNode.Parse(message.ConvertPayloadToString()));
        Assert.Equal(["metadata", "body"], published.Select(member => member.Key));

        var expectedMetadata = new JsonObject
        {
            ["Content-Type"] = "application/json",
            ["Link"] = $"<{CoreContextUrl}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"",
            ["NGSILD-Tenant"] = Tenant,
            [ReceiverKey] = ReceiverValue,
        };
        AssertJsonEqual(expectedMetadata, published["metadata"]);

        var body = Assert.IsType<JsonObject>(published["body"]);
        Assert.Equal("Notification", (string?)body["type"]);
        Assert.StartsWith("urn:", (string?)body["id"], StringComparison.Ordinal);
        Assert.Equal(subscriptionId, (string?)body["subscriptionId"]);
        Assert.True(DateTimeOffset.TryParse((string?)body["notifiedAt"], System.Globalization.CultureInfo.InvariantCulture, out _), body.ToJsonString());
        var entity = Assert.Single(Assert.IsType<JsonArray>(body["data"]));
        AssertJsonEqual(JsonNode.Parse($$$"""{"id":"{{{entityId}}}","type":"Vehicle","speed":{"type":"Property","value":{{{speed}}}}}"""), WithoutTimestamps(entity));
    }

    [MosquittoFact]
    public async Task An_update_is_published_to_the_topic_of_an_anonymous_endpoint_once()
    {
        var topic = NewTopic();
        await using var subscriber = await TestSubscriber.ConnectAsync(topic);
        var entityId = await CreateVehicleAsync();
        var subscriptionId = await SubscribeAsync(entityId, Endpoint(topic));

        await SetSpeedAsync(entityId, 5);

        AssertNotification(await subscriber.NextAsync(), topic, subscriptionId, entityId, 5);
        await subscriber.AssertNothingMoreAsync();
    }

    [MosquittoFact]
    public async Task A_delivered_notification_shows_in_the_subscription_status()
    {
        var topic = NewTopic();
        await using var subscriber = await TestSubscriber.ConnectAsync(topic);
        var entityId = await CreateVehicleAsync();
        var subscriptionId = await SubscribeAsync(entityId, Endpoint(topic), ("MQTT-QoS", "1"));
        var before = await NotificationStatusAsync(subscriptionId);
        Assert.Null(before["timesSent"]);

        await SetSpeedAsync(entityId, 7);
        await subscriber.NextAsync();

        var status = await WaitForStatusAsync(subscriptionId, n => n["timesSent"] is not null);
        Assert.Equal("ok", (string?)status["status"]);
        Assert.Equal(1, (int?)status["timesSent"]);
        Assert.Null(status["timesFailed"]);
        Assert.Null(status["lastFailure"]);
        Assert.NotNull(status["lastSuccess"]);
        Assert.Equal((string?)status["lastSuccess"], (string?)status["lastNotification"]);
    }

    [MosquittoFact]
    public async Task User_and_password_of_the_endpoint_URI_are_percent_decoded_and_authenticate_the_broker()
    {
        var topic = NewTopic();
        await using var subscriber = await TestSubscriber.ConnectAsync(topic, Mosquitto.AuthPort, Mosquitto.User, Mosquitto.Password);
        var entityId = await CreateVehicleAsync();
        // The password holds ':', '@' and '/' (see scripts/with-mosquitto.sh), which the URI must encode.
        var userInfo = Uri.EscapeDataString(Mosquitto.User) + ":" + Uri.EscapeDataString(Mosquitto.Password);
        var subscriptionId = await SubscribeAsync(entityId, Endpoint(topic, Mosquitto.AuthPort, userInfo));

        await SetSpeedAsync(entityId, 9);

        AssertNotification(await subscriber.NextAsync(), topic, subscriptionId, entityId, 9);
        await subscriber.AssertNothingMoreAsync();
    }

    [MosquittoFact]
    public async Task A_wrong_password_fails_the_notification_and_shows_in_the_status()
    {
        var topic = NewTopic();
        await using var subscriber = await TestSubscriber.ConnectAsync(topic, Mosquitto.AuthPort, Mosquitto.User, Mosquitto.Password);
        var entityId = await CreateVehicleAsync();
        var subscriptionId = await SubscribeAsync(entityId, Endpoint(topic, Mosquitto.AuthPort, Uri.EscapeDataString(Mosquitto.User) + ":wrong"));

        await SetSpeedAsync(entityId, 3);

        var status = await WaitForStatusAsync(subscriptionId, n => n["timesFailed"] is not null);
        Assert.Equal("failed", (string?)status["status"]);
        Assert.True((int?)status["timesFailed"] >= 1, status.ToJsonString());
        Assert.Equal((int?)status["timesFailed"], (int?)status["timesSent"]);
        Assert.NotNull(status["lastFailure"]);
        Assert.Null(status["lastSuccess"]);
        await subscriber.AssertNothingMoreAsync();
    }

    /// <summary>
    /// The version is seen by the subscriber (MQTT 5) in the message's content type, which only an MQTT 5 publish carries;
    /// the QoS as the message's, since the subscription grants QoS 2.
    /// </summary>
    [MosquittoTheory]
    [InlineData("mqtt3.1.1", "0")]
    [InlineData("mqtt3.1.1", "1")]
    [InlineData("mqtt3.1.1", "2")]
    [InlineData("mqtt5.0", "0")]
    [InlineData("mqtt5.0", "1")]
    [InlineData("mqtt5.0", "2")]
    public async Task NotifierInfo_chooses_the_MQTT_version_and_the_QoS(string version, string qos)
    {
        var topic = NewTopic();
        await using var subscriber = await TestSubscriber.ConnectAsync(topic);
        var entityId = await CreateVehicleAsync();
        var subscriptionId = await SubscribeAsync(entityId, Endpoint(topic), ("MQTT-Version", version), ("MQTT-QoS", qos));

        await SetSpeedAsync(entityId, 11);

        var message = await subscriber.NextAsync();
        AssertNotification(message, topic, subscriptionId, entityId, 11);
        Assert.Equal((MqttQualityOfServiceLevel)int.Parse(qos, System.Globalization.CultureInfo.InvariantCulture), message.QualityOfServiceLevel);
        Assert.Equal(version == "mqtt5.0" ? "application/json" : null, message.ContentType);
        await subscriber.AssertNothingMoreAsync();
        var status = await WaitForStatusAsync(subscriptionId, n => n["timesSent"] is not null);
        Assert.Equal("ok", (string?)status["status"]);
    }

    [MosquittoFact]
    public async Task A_notification_made_while_the_MQTT_broker_is_down_reaches_a_persistent_QoS_1_session_after_its_restart()
    {
        var topic = NewTopic();
        var clientId = "persistent-" + Guid.NewGuid().ToString("N")[..12];
        var entityId = await CreateVehicleAsync();
        var subscriptionId = await SubscribeAsync(entityId, Endpoint(topic), ("MQTT-QoS", "1"));
        await using (var subscriber = await TestSubscriber.ConnectAsync(topic, persistentClientId: clientId))
        {
            // A first notification, so the broker holds a pooled connection that the restart will drop.
            await SetSpeedAsync(entityId, 20);
            AssertNotification(await subscriber.NextAsync(), topic, subscriptionId, entityId, 20);
            await WaitForStatusAsync(subscriptionId, n => (int?)n["timesSent"] == 1);

            await Mosquitto.StopAsync();
        }
        try
        {
            await SetSpeedAsync(entityId, 21);
            await WaitForStatusAsync(subscriptionId, n => n["timesFailed"] is not null);
        }
        finally
        {
            await Mosquitto.StartAsync();
        }

        // Delivered by a retry while the subscriber is away: mosquitto keeps it in the session it restored from disk.
        var status = await WaitForStatusAsync(subscriptionId, n => (string?)n["status"] == "ok" && (int?)n["timesSent"] > 2);
        Assert.True((int?)status["timesFailed"] >= 1, status.ToJsonString());
        Assert.True(string.CompareOrdinal((string?)status["lastSuccess"], (string?)status["lastFailure"]) > 0, status.ToJsonString());

        await using var returning = await TestSubscriber.ConnectAsync(topic, persistentClientId: clientId, subscribe: false);
        Assert.True(returning.SessionPresent, "mosquitto lost the subscriber's session in the restart");
        var message = await returning.NextAsync();
        AssertNotification(message, topic, subscriptionId, entityId, 21);
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, message.QualityOfServiceLevel);
        await returning.AssertNothingMoreAsync();
    }
}
