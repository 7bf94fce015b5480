using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Temporal;

/// <summary>Pagination when instances share the instant of the cut (several datasetIds observed at once).</summary>
public sealed class PaginationCutTests(SmallInstanceLimitBrokerFactory factory) : TemporalTest<SmallInstanceLimitBrokerFactory>(factory)
{
    [Fact]
    public async Task Instances_at_the_instant_of_the_cut_are_all_on_the_page_or_all_on_the_next()
    {
        // Two datasetIds observed at 00:00 and 01:00: four instances, three per page. Whichever three come first, the
        // page ends at 01:00 and one instance of 01:00 is on neither this page nor on the next (timerel=after 01:00).
        var type = NewType();
        var id = NewId(type);
        await PostTemporalAsync(Entity(id, type, ("v", Array(
            Property(1, T0, "urn:ngsi-ld:Dataset:x"), Property(2, T0, "urn:ngsi-ld:Dataset:y"),
            Property(3, T0.AddHours(1), "urn:ngsi-ld:Dataset:x"), Property(4, T0.AddHours(1), "urn:ngsi-ld:Dataset:y"),
            Property(5, T0.AddHours(2), "urn:ngsi-ld:Dataset:x")))));

        var seen = new List<double>();
        var query = "";
        for (var page = 0; ; page++)
        {
            Assert.True(page < 10, "the pages never end");
            var response = await GetAsync(TemporalPath(id) + "?" + query);
            var entity = Assert.IsType<JsonObject>(await ReadJsonAsync(response));
            if (entity["v"] is JsonArray)
                seen.AddRange(Numbers(entity, "v"));
            if (response.StatusCode == HttpStatusCode.OK)
                break;
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            var header = Assert.Single(response.Content.Headers.GetValues("Content-Range"));
            var range = header["date-time ".Length..header.LastIndexOf('/')];
            var end = range[(range.IndexOf("Z-", StringComparison.Ordinal) + 2)..];
            query = $"timerel=after&timeAt={Uri.EscapeDataString(end)}";
        }

        Assert.Equal([1.0, 2, 3, 4, 5], seen.Order());
    }
}
