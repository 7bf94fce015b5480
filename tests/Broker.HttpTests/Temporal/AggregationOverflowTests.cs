using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace Broker.HttpTests.Temporal;

public sealed class AggregationOverflowTests(BrokerFactory factory) : TemporalTest<BrokerFactory>(factory)
{
    [Theory]
    [InlineData("sumsq")]
    [InlineData("sum")]
    public async Task An_aggregate_beyond_the_range_of_a_double_is_not_a_500(string method)
    {
        // 1e200² and 1e308 + 1e308 are beyond double.MaxValue: the entity API accepts both values.
        var id = await SeriesAsync(NewType(), "v", [(T0, 1e200), (T0.AddMinutes(1), 1e308), (T0.AddMinutes(2), 1e308)]);

        var response = await GetAsync(TemporalPath(id) + $"?options=aggregatedValues&aggrMethods={method}");

        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
    }
}
