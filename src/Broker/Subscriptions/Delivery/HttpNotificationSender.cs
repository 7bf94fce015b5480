using System.Net.Http.Headers;

namespace Broker.Subscriptions.Delivery;

/// <summary>
/// The HTTP binding of notifications (clause 6.3.x, 5.8.6): a POST of the notification to the endpoint URI with
/// Content-Length (never chunked), the headers of the notification, and success meaning a 2xx answer within the
/// timeout. The client's handler is the outbound-address policy's, so every connection is checked where it is made.
/// </summary>
public sealed class HttpNotificationSender(HttpClient client) : INotificationSender, IDisposable
{
    public void Dispose() => client.Dispose();

    public bool Handles(Uri endpoint) => endpoint.Scheme is "http" or "https";

    public async Task<DeliveryAttempt> SendAsync(NotificationMessage message, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(message.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, message.Endpoint) { Content = new ByteArrayContent(message.Body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(message.ContentType);
        foreach (var (name, value) in message.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
                request.Content.Headers.TryAddWithoutValidation(name, value);
        }
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? DeliveryAttempt.Success
                : DeliveryAttempt.Failed($"the endpoint answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DeliveryAttempt.Failed($"no answer within {message.Timeout.TotalMilliseconds:0} ms");
        }
        catch (HttpRequestException e)
        {
            return DeliveryAttempt.Failed(e.Message);
        }
    }
}
