using System.Text.Json;
using Ontology.JsonLd;

namespace Broker.Subscriptions.Delivery;

/// <summary>The @context a subscription's notifications (of entities or of registrations) are compacted with.</summary>
public static class NotificationContext
{
    /// <summary>jsonldContext, or the @context the subscription was given with, or the core @context.</summary>
    public static async Task<JsonLdContext> ResolveAsync(ContextResolver resolver, Subscription subscription, CancellationToken cancellationToken)
    {
        if (subscription.JsonldContext is { } url)
            return await resolver.ResolveAsync(null, url, cancellationToken).ConfigureAwait(false);
        return subscription.Context switch
        {
            null => JsonLdContext.Core,
            System.Text.Json.Nodes.JsonValue value when value.GetValueKind() == JsonValueKind.String =>
                await resolver.ResolveAsync(null, value.GetValue<string>(), cancellationToken).ConfigureAwait(false),
            var inline => await resolver.ResolveAsync(JsonSerializer.SerializeToElement(inline, Broker.Api.Http.JsonNodeContext.Default.JsonNode), null, cancellationToken).ConfigureAwait(false),
        };
    }
}
