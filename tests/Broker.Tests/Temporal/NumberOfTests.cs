using System.Text.Json.Nodes;
using Broker.Temporal;
using Xunit;

namespace Broker.Tests.Temporal;

public sealed class NumberOfTests
{
    [Fact]
    public void NumberOf_reads_an_integer_created_in_code()
    {
        // JsonValue.Create(2) reports JsonValueKind.Number, but GetValue<double>() throws InvalidOperationException for it.
        Assert.Equal(2.0, TemporalQueries.NumberOf(JsonValue.Create(2)));
        Assert.Equal(7.0, TemporalQueries.Compute(AggregationMethod.Sum, [JsonValue.Create(3), JsonValue.Create(4L)])!.GetValue<double>());
    }
}
