using Broker.Geo;
using Broker.Storage.Postgres.Sql;
using NetTopologySuite.Geometries;
using Xunit;

namespace Broker.Tests.Storage;

/// <summary>The longitude/latitude box that narrows a PostgreSQL near query over points must hold every point within the distance.</summary>
public sealed class NearDegreeBoxTests
{
    [Theory]
    [InlineData(10.6797, 53.866, 500)]
    [InlineData(10.6797, 53.866, 150_000)]
    [InlineData(-70.6, -33.45, 20_000)]
    [InlineData(0, 0, 1_000_000)]
    [InlineData(179.0, 60, 50_000)]
    [InlineData(25, 88.5, 10_000)]
    public void Every_point_within_the_distance_lies_in_the_box(double longitude, double latitude, double metres)
    {
        var box = GeoPredicate.DegreeBox(new Point(longitude, latitude), metres);
        if (box is not { } b)
        {
            // Only near the poles or the antimeridian may the box be refused.
            Assert.True(Math.Abs(latitude) + metres / 110_000 >= 89 || Math.Abs(longitude) + metres / 110_000 / Math.Cos(89 * Math.PI / 180) > 180);
            return;
        }
        var random = new Random(7);
        var checkedPoints = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var x = b.MinX - (b.MaxX - b.MinX) * 0.5 + random.NextDouble() * (b.MaxX - b.MinX) * 2;
            var y = Math.Clamp(b.MinY - (b.MaxY - b.MinY) * 0.5 + random.NextDouble() * (b.MaxY - b.MinY) * 2, -90, 90);
            if (Geodesy.Distance(longitude, latitude, x, y) > metres)
                continue;
            checkedPoints++;
            Assert.InRange(x, b.MinX, b.MaxX);
            Assert.InRange(y, b.MinY, b.MaxY);
        }
        Assert.True(checkedPoints > 1000, $"only {checkedPoints} points fell within the distance");
    }

    [Fact]
    public void The_box_is_refused_across_the_antimeridian_and_near_a_pole()
    {
        Assert.Null(GeoPredicate.DegreeBox(new Point(179.99, 10), 5_000));
        Assert.Null(GeoPredicate.DegreeBox(new Point(10, 88.99), 5_000));
    }
}
