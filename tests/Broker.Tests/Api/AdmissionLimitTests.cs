using Broker.Api.Http;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Broker.Tests.Api;

public sealed class AdmissionLimitTests
{
    private static EndpointFilterInvocationContext Invocation(CancellationToken aborted = default) =>
        new DefaultEndpointFilterInvocationContext(new DefaultHttpContext { RequestAborted = aborted });

    [Fact]
    public async Task Requests_beyond_the_limit_start_only_when_a_running_one_ends()
    {
        var limit = new AdmissionLimit(2);
        var running = 0;
        var maximum = 0;
        var releases = Enumerable.Range(0, 5).Select(_ => new TaskCompletionSource()).ToList();
        var started = new List<int>();
        var calls = Enumerable.Range(0, 5).Select(n => limit.InvokeAsync(Invocation(), async _ =>
        {
            lock (started)
            {
                started.Add(n);
                maximum = Math.Max(maximum, ++running);
            }
            await releases[n].Task;
            lock (started)
                running--;
            return n;
        }).AsTask()).ToList();

        Assert.Equal([0, 1], started);
        releases[1].SetResult();
        await calls[1];
        // The freed place goes to the next waiter on the thread pool; no other can start while two still run.
        Assert.True(SpinWait.SpinUntil(() => { lock (started) return started.Count == 3; }, TimeSpan.FromSeconds(10)));
        lock (started)
            Assert.Equal([0, 1, 2], started);
        foreach (var release in releases)
            release.TrySetResult();
        Assert.Equal([0, 1, 2, 3, 4], (await Task.WhenAll(calls)).Cast<int>());
        Assert.Equal(2, maximum);
    }

    [Fact]
    public async Task A_waiting_request_whose_client_left_gives_up_its_place()
    {
        var limit = new AdmissionLimit(1);
        var release = new TaskCompletionSource();
        var first = limit.InvokeAsync(Invocation(), async _ => { await release.Task; return "first"; }).AsTask();
        using var aborted = new CancellationTokenSource();
        var second = limit.InvokeAsync(Invocation(aborted.Token), _ => ValueTask.FromResult<object?>("second")).AsTask();

        await aborted.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        release.SetResult();
        Assert.Equal("first", await first);
        Assert.Equal("third", await limit.InvokeAsync(Invocation(), _ => ValueTask.FromResult<object?>("third")));
    }
}
