namespace Broker.Api.Http;

/// <summary>
/// Lets at most a fixed number of requests of an endpoint group run at a time; the others wait before their bodies are
/// read. Meant for requests that hold much memory while they run (batch operations: a thousand entities each). Run all
/// at once, 32 such requests share the cores for seconds, so everything they allocate outlives several young-generation
/// collections and is copied into the old generation before it dies; admitted a few at a time, each finishes in a
/// fraction of that and the same work costs much less garbage collection. Waiting clients keep their place in line
/// and give it up when they disconnect.
/// </summary>
public sealed class AdmissionLimit(int limit) : IEndpointFilter
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, limit), Math.Max(1, limit));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        await _slots.WaitAsync(context.HttpContext.RequestAborted);
        try
        {
            return await next(context);
        }
        finally
        {
            _slots.Release();
        }
    }
}
