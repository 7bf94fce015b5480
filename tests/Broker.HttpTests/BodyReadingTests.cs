using System.Net;
using System.Text;
using Xunit;

namespace Broker.HttpTests;

/// <summary>Request bodies are read into pooled buffers that grow as the body arrives.</summary>
public sealed class BodyReadingTests(BrokerFactory factory) : BrokerTest<BrokerFactory>(factory)
{
    private static readonly string Text = new('é', 200);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_batch_much_larger_than_the_first_buffer_is_read_whole(bool chunked)
    {
        var ids = Enumerable.Range(0, 600).Select(_ => NewId("Bulk")).ToList();
        var body = "[" + string.Join(",", ids.Select((id, n) =>
            $$$"""{"id":"{{{id}}}","type":"Bulk","n":{"type":"Property","value":{{{n}}}},"text":{"type":"Property","value":"{{{Text}}}"}}""")) + "]";
        Assert.True(Encoding.UTF8.GetByteCount(body) > 250_000);
        var request = new HttpRequestMessage(HttpMethod.Post, "/ngsi-ld/v1/entityOperations/upsert")
        {
            Content = chunked
                ? new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)), 1000)
                : new StringContent(body, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = chunked;

        await AssertStatus(HttpStatusCode.Created, await Client.SendAsync(request));

        foreach (var n in new[] { 0, 299, 599 })
        {
            var entity = await GetEntityAsync(ids[n]);
            Assert.Equal(n, (int)entity["n"]!["value"]!);
            Assert.Equal(Text, (string?)entity["text"]!["value"]);
        }
    }
}
