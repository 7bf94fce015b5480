namespace Broker.Federation.Distributed;

/// <summary>
/// Sends a request once more, on a new connection, when the source closed the pooled connection it went out on without
/// answering (a context source restarted since the last request to it): otherwise the first request after every
/// restart of a source would fail. A second failure is the caller's.
/// </summary>
public sealed class StaleConnectionRetryHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ResponseEnded && !cancellationToken.IsCancellationRequested)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }
}
