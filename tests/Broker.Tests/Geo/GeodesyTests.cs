using Broker.Geo;
using NetTopologySuite.Geometries;
using Xunit;

namespace Broker.Tests.Geo;

public sealed class GeodesyTests
{
    private const double HolstentorLon = 10.67967;
    private const double HolstentorLat = 53.86597;

    private static double Dms(int degrees, int minutes, double seconds) =>
        Math.Sign(degrees) * (Math.Abs(degrees) + minutes / 60.0 + seconds / 3600.0);

    [Fact]
    public void Flinders_Peak_to_Buninyong_matches_the_published_geodesic()
    {
        // Geoscience Australia's worked example of Vincenty's formulae (GDA94 / GRS80, identical to WGS84 at this precision):
        // 54 972.271 m, forward azimuth 306°52'05.37".
        var (distance, azimuth) = Geodesy.Inverse(
            Dms(144, 25, 29.52440), -Dms(37, 57, 3.72030),
            Dms(143, 55, 35.38390), -Dms(37, 39, 10.15610));

        Assert.Equal(54972.271, distance, 0.01);
        var degrees = (azimuth * 180 / Math.PI + 360) % 360;
        Assert.Equal(Dms(306, 52, 5.37), degrees, 0.0001);
    }

    [Fact]
    public void Quarter_of_the_equator_is_a_times_pi_over_two()
    {
        Assert.Equal(6378137.0 * Math.PI / 2, Geodesy.Distance(0, 0, 90, 0), 0.001);
    }

    [Fact]
    public void Equator_to_pole_is_the_WGS84_meridian_quadrant()
    {
        // The WGS84 meridian quadrant is 10 001 965.729 m.
        Assert.Equal(10001965.729, Geodesy.Distance(10, 0, 10, 90), 0.01);
    }

    [Fact]
    public void A_thousandth_of_a_degree_of_latitude_at_the_Holstentor()
    {
        // Meridian radius of curvature M = a(1-e²)/(1-e² sin²φ)^1.5 at 53.866° N is about 6 377 220 m, so 0.001° is 111.30 m.
        Assert.Equal(111.30, Geodesy.Distance(HolstentorLon, HolstentorLat, HolstentorLon, HolstentorLat + 0.001), 0.05);
    }

    [Fact]
    public void Distance_is_symmetric_and_zero_for_the_same_point()
    {
        Assert.Equal(0, Geodesy.Distance(HolstentorLon, HolstentorLat, HolstentorLon, HolstentorLat));
        Assert.Equal(
            Geodesy.Distance(HolstentorLon, HolstentorLat, 10.8700, 53.9600),
            Geodesy.Distance(10.8700, 53.9600, HolstentorLon, HolstentorLat), 1e-6);
    }

    [Fact]
    public void Nearly_antipodal_points_fall_back_to_the_sphere()
    {
        var distance = Geodesy.Distance(0, 0, 179.7, 0.2);
        var spherical = Geodesy.Spherical(0, 0, 179.7, 0.2).Distance;

        Assert.True(double.IsFinite(distance));
        Assert.InRange(distance, 19_900_000, 20_040_000);
        Assert.InRange(Math.Abs(distance - spherical) / spherical, 0, 0.005);
    }

    [Theory]
    [InlineData(10.6850, 53.8580, 10.6850, 53.8640)]
    [InlineData(10.6700, 53.8700, 10.6900, 53.8720)]
    [InlineData(10.6600, 53.8500, 10.7000, 53.8400)]
    public void Point_to_line_distance_is_within_half_a_percent_of_the_geodesic_minimum(double lon1, double lat1, double lon2, double lat2)
    {
        var line = GeoJson.Factory.CreateLineString([new Coordinate(lon1, lat1), new Coordinate(lon2, lat2)]);
        var reference = GeoJson.Factory.CreatePoint(new Coordinate(HolstentorLon, HolstentorLat));

        var projected = Geodesy.Distance(reference, line);

        var brute = double.MaxValue;
        for (var i = 0; i <= 20000; i++)
        {
            var t = i / 20000.0;
            brute = Math.Min(brute, Geodesy.Distance(HolstentorLon, HolstentorLat, lon1 + t * (lon2 - lon1), lat1 + t * (lat2 - lat1)));
        }
        Assert.InRange(Math.Abs(projected - brute) / brute, 0, 0.005);
    }

    [Fact]
    public void Point_inside_a_polygon_has_distance_zero_and_inside_a_hole_the_distance_to_the_hole()
    {
        var shell = Ring((10.6790, 53.8655), (10.6805, 53.8655), (10.6805, 53.8665), (10.6790, 53.8665), (10.6790, 53.8655));
        var hole = Ring((10.6795, 53.8658), (10.6800, 53.8658), (10.6800, 53.8662), (10.6795, 53.8662), (10.6795, 53.8658));
        var polygon = GeoJson.Factory.CreatePolygon(shell, [hole]);

        Assert.Equal(0, Geodesy.Distance(GeoJson.Factory.CreatePoint(new Coordinate(10.6792, 53.8660)), polygon));
        var inHole = Geodesy.Distance(GeoJson.Factory.CreatePoint(new Coordinate(10.6797, 53.8660)), polygon);
        var toWestEdge = Geodesy.Distance(10.6797, 53.8660, 10.6795, 53.8660);
        Assert.Equal(toWestEdge, inHole, toWestEdge * 0.005);
    }

    private static LinearRing Ring(params (double Lon, double Lat)[] points) =>
        GeoJson.Factory.CreateLinearRing(points.Select(p => new Coordinate(p.Lon, p.Lat)).ToArray());
}

public sealed class GeodesyReferenceTests
{
    /// <summary>The reduced latitude of the first point is remembered between calls: results must not depend on the previous call.</summary>
    [Fact]
    public void Distances_do_not_depend_on_the_previous_call()
    {
        var random = new Random(3);
        var points = Enumerable.Range(0, 200).Select(_ => (Lon: random.NextDouble() * 360 - 180, Lat: random.NextDouble() * 178 - 89)).ToList();
        points.AddRange([(0, 0.0), (0, -0.0), (10, 53.866), (10, 53.866), (-179.9, 89), (179.9, -89)]);
        var expected = points.Select(p => Broker.Geo.Geodesy.Inverse(10.6797, 53.866, p.Lon, p.Lat)).ToList();
        for (var i = 0; i < points.Count; i++)
        {
            var other = points[(i * 7) % points.Count];
            Broker.Geo.Geodesy.Inverse(other.Lon, other.Lat, 10.6797, 53.866);
            Assert.Equal(expected[i], Broker.Geo.Geodesy.Inverse(10.6797, 53.866, points[i].Lon, points[i].Lat));
            Assert.Equal(Broker.Geo.Geodesy.Inverse(points[i].Lon, points[i].Lat, 10.6797, 53.866), Broker.Geo.Geodesy.Inverse(points[i].Lon, points[i].Lat, 10.6797, 53.866));
        }
    }
}
