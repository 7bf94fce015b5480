using Broker.Storage;
using Ontology.Model;
using Xunit;

namespace Broker.Tests.Storage;

public sealed class PageCollectorTests
{
    [Theory]
    [InlineData(0, 20)]
    [InlineData(0, 0)]
    [InlineData(5, 10)]
    [InlineData(95, 10)]
    [InlineData(100, 10)]
    [InlineData(0, 1000)]
    [InlineData(3, int.MaxValue)]
    [InlineData(int.MaxValue, int.MaxValue)]
    public void Keeps_the_page_of_the_least_ids_in_ordinal_order(int offset, int limit)
    {
        var random = new Random(offset ^ limit);
        var ids = Enumerable.Range(0, 100).Select(i => $"urn:e:{i}").Concat(["urn:E", "urn:é", "urn:e"]).OrderBy(_ => random.Next()).ToList();
        var page = new PageCollector(offset, limit);
        foreach (var id in ids)
            page.Add(new Entity { Id = id });
        var expected = ids.Order(StringComparer.Ordinal).Skip(offset).Take(limit).ToList();
        Assert.Equal(expected, page.ToPage().Select(e => e.Id));
        Assert.Equal(ids.Count, page.Matches);
    }
}
