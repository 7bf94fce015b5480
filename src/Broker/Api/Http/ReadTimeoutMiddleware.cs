using Broker.Api.Problems;
using Broker.Problems;

namespace Broker.Api.Http;

/// <summary>
/// Stops a read that runs longer than <see cref="BrokerOptions.ReadTimeout"/> (its request's RequestAborted is cancelled)
/// and answers 503. Writes are left to finish: stopping one after its commit would report a change as not made.
/// </summary>
public sealed class ReadTimeoutMiddleware(RequestDelegate next, BrokerOptions options)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        var reads = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
            || HttpMethods.IsPost(request.Method) && (request.Path.Value ?? "").EndsWith("/entityOperations/query", StringComparison.Ordinal);
        if (!reads || options.ReadTimeout <= TimeSpan.Zero)
        {
            await next(http);
            return;
        }
        var clientGone = http.RequestAborted;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(clientGone);
        timeout.CancelAfter(options.ReadTimeout);
        http.RequestAborted = timeout.Token;
        try
        {
            await next(http);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !clientGone.IsCancellationRequested)
        {
            await ProblemDetailsMiddleware.WriteAsync(http, ErrorType.ServiceUnavailable,
                $"The request did not finish within the broker's limit of {options.ReadTimeout.TotalSeconds:0.###} s and was stopped; narrow it, or try again later.");
        }
        finally
        {
            http.RequestAborted = clientGone;
        }
    }
}
