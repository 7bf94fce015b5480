using System.Globalization;
using Broker.Entities.Representation;
using Xunit;

namespace Broker.Tests.Entities;

public sealed class TimestampsTests
{
    [Fact]
    public void Format6_writes_what_the_custom_format_string_writes()
    {
        var random = new Random(6);
        var instants = new List<DateTimeOffset> { DateTimeOffset.MinValue, DateTimeOffset.MaxValue, new(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)) };
        for (var i = 0; i < 1000; i++)
            instants.Add(new DateTimeOffset(random.NextInt64(DateTimeOffset.MinValue.Ticks, DateTimeOffset.MaxValue.Ticks), TimeSpan.Zero));
        foreach (var instant in instants)
        {
            var expected = instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
            Assert.Equal(expected, Timestamps.Format6(instant));
            Assert.Equal(expected, Timestamps.Format6(instant));
        }
    }
}
