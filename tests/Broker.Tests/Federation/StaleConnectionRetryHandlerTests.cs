using System.Net;
using Broker.Federation.Distributed;
using Xunit;

namespace Broker.Tests.Federation;

public sealed class StaleConnectionRetryHandlerTests
{
    /// <summary>Fails the first <c>failures</c> sends with <paramref name="error"/>, then answers 204.</summary>
    private sealed class FlakyHandler(int failures, HttpRequestError error) : HttpMessageHandler
    {
        public int Sends { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Sends++;
            if (Sends <= failures)
                throw new HttpRequestException(error, "failed");
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NoContent));
        }
    }

    private static async Task<HttpResponseMessage> PostAsync(FlakyHandler inner)
    {
        using var client = new HttpClient(new StaleConnectionRetryHandler { InnerHandler = inner });
        return await client.PostAsync(new Uri("http://source.example.org/ngsi-ld/v1/entities"), new StringContent("{}"));
    }

    [Fact]
    public async Task A_connection_the_source_closed_unanswered_is_tried_once_more()
    {
        var inner = new FlakyHandler(1, HttpRequestError.ResponseEnded);
        using var response = await PostAsync(inner);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(2, inner.Sends);
    }

    [Fact]
    public async Task A_second_failure_and_other_failures_are_not_retried()
    {
        var twice = new FlakyHandler(2, HttpRequestError.ResponseEnded);
        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(twice));
        Assert.Equal(2, twice.Sends);

        var refused = new FlakyHandler(1, HttpRequestError.ConnectionError);
        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(refused));
        Assert.Equal(1, refused.Sends);
    }
}
