using NetTopologySuite.Geometries;

namespace Broker.Geo;

/// <summary>
/// Distances in metres on the WGS84 ellipsoid, for <c>near</c> (clause 4.10).
/// </summary>
/// <remarks>
/// Point to point: Vincenty's inverse formula (T. Vincenty, Survey Review XXIII/176, 1975), accurate to well
/// under a millimetre; for nearly antipodal points where it does not converge, the spherical (haversine)
/// distance on the mean radius 6 371 008.8 m is used instead (error below 0.5 %).
/// Point to line or polygon: every vertex is placed in an azimuthal equidistant projection centred on the
/// query point, using its exact Vincenty distance and initial azimuth, and the planar distance from the origin
/// to the projected geometry is taken. Distances to vertices are exact; along an edge the projection bends the
/// geodesic slightly, which stays far below 0.5 % for edges of a few kilometres (city scale). A point inside a
/// polygon has distance 0.
/// </remarks>
public static class Geodesy
{
    private const double A = 6378137.0;
    private const double F = 1 / 298.257223563;
    private const double B = A * (1 - F);
    private const double MeanRadius = 6371008.8;

    /// <summary>The geodesic distance in metres between two lon/lat points.</summary>
    public static double Distance(double lon1, double lat1, double lon2, double lat2) =>
        Inverse(lon1, lat1, lon2, lat2).Distance;

    /// <summary>Geodesic distance in metres and initial azimuth in radians (clockwise from north) from point 1 to point 2.</summary>
    public static (double Distance, double Azimuth) Inverse(double lon1, double lat1, double lon2, double lat2)
    {
        if (lon1 == lon2 && lat1 == lat2)
            return (0, 0);
        var l = ToRadians(lon2 - lon1);
        var (sinU1, cosU1) = ReducedLatitude.Of(lat1);
        var u2 = Math.Atan((1 - F) * Math.Tan(ToRadians(lat2)));
        double sinU2 = Math.Sin(u2), cosU2 = Math.Cos(u2);
        var lambda = l;
        double sinLambda, cosLambda, sinSigma, cosSigma, sigma, cosSqAlpha, cos2SigmaM;
        var iterations = 0;
        while (true)
        {
            sinLambda = Math.Sin(lambda);
            cosLambda = Math.Cos(lambda);
            var t = cosU2 * sinLambda;
            var u = cosU1 * sinU2 - sinU1 * cosU2 * cosLambda;
            sinSigma = Math.Sqrt(t * t + u * u);
            if (sinSigma == 0)
                return (0, 0);
            cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosLambda;
            sigma = Math.Atan2(sinSigma, cosSigma);
            var sinAlpha = cosU1 * cosU2 * sinLambda / sinSigma;
            cosSqAlpha = 1 - sinAlpha * sinAlpha;
            cos2SigmaM = cosSqAlpha != 0 ? cosSigma - 2 * sinU1 * sinU2 / cosSqAlpha : 0;
            var c = F / 16 * cosSqAlpha * (4 + F * (4 - 3 * cosSqAlpha));
            var previous = lambda;
            lambda = l + (1 - c) * F * sinAlpha * (sigma + c * sinSigma * (cos2SigmaM + c * cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)));
            if (Math.Abs(lambda - previous) < 1e-12)
                break;
            if (++iterations > 200 || Math.Abs(lambda) > Math.PI)
                return Spherical(lon1, lat1, lon2, lat2);
        }
        var uSq = cosSqAlpha * (A * A - B * B) / (B * B);
        var bigA = 1 + uSq / 16384 * (4096 + uSq * (-768 + uSq * (320 - 175 * uSq)));
        var bigB = uSq / 1024 * (256 + uSq * (-128 + uSq * (74 - 47 * uSq)));
        var deltaSigma = bigB * sinSigma * (cos2SigmaM + bigB / 4 * (cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)
            - bigB / 6 * cos2SigmaM * (-3 + 4 * sinSigma * sinSigma) * (-3 + 4 * cos2SigmaM * cos2SigmaM)));
        var distance = B * bigA * (sigma - deltaSigma);
        var azimuth = Math.Atan2(cosU2 * sinLambda, cosU1 * sinU2 - sinU1 * cosU2 * cosLambda);
        return (distance, azimuth);
    }

    /// <summary>
    /// sin and cos of the reduced latitude of the first point, remembered per thread for the last latitude: a near query
    /// measures from one reference point to every candidate, and the values are those computed anew.
    /// </summary>
    private static class ReducedLatitude
    {
        [ThreadStatic]
        private static (long LatitudeBits, double Sin, double Cos, bool Set) _last;

        public static (double Sin, double Cos) Of(double latitude)
        {
            var bits = BitConverter.DoubleToInt64Bits(latitude);
            var last = _last;
            if (last.Set && last.LatitudeBits == bits)
                return (last.Sin, last.Cos);
            var u = Math.Atan((1 - F) * Math.Tan(ToRadians(latitude)));
            double sin = Math.Sin(u), cos = Math.Cos(u);
            _last = (bits, sin, cos, true);
            return (sin, cos);
        }
    }

    /// <summary>Haversine distance and initial azimuth on the sphere of mean radius (the fallback of <see cref="Inverse"/>).</summary>
    public static (double Distance, double Azimuth) Spherical(double lon1, double lat1, double lon2, double lat2)
    {
        double phi1 = ToRadians(lat1), phi2 = ToRadians(lat2), dLambda = ToRadians(lon2 - lon1);
        var h = Math.Pow(Math.Sin((phi2 - phi1) / 2), 2) + Math.Cos(phi1) * Math.Cos(phi2) * Math.Pow(Math.Sin(dLambda / 2), 2);
        var distance = 2 * MeanRadius * Math.Asin(Math.Min(1, Math.Sqrt(h)));
        var azimuth = Math.Atan2(Math.Sin(dLambda) * Math.Cos(phi2), Math.Cos(phi1) * Math.Sin(phi2) - Math.Sin(phi1) * Math.Cos(phi2) * Math.Cos(dLambda));
        return (distance, azimuth);
    }

    /// <summary>The distance in metres from a lon/lat point to any geometry (0 when the point is inside or on it).</summary>
    public static double Distance(Point reference, Geometry geometry)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(geometry);
        if (geometry is Point point)
            return Distance(reference.X, reference.Y, point.X, point.Y);
        if (geometry.IsEmpty)
            return double.PositiveInfinity;
        var projected = geometry.Copy();
        projected.Apply(new AzimuthalEquidistantFilter(reference.X, reference.Y));
        projected.GeometryChanged();
        return projected.Distance(Planar.CreatePoint(new Coordinate(0, 0)));
    }

    /// <summary>The distance in metres between two geometries, projected around a point of the first.</summary>
    public static double Distance(Geometry a, Geometry b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a is Point pa)
            return Distance(pa, b);
        if (b is Point pb)
            return Distance(pb, a);
        if (a.IsEmpty || b.IsEmpty)
            return double.PositiveInfinity;
        var centre = a.Coordinate;
        var filter = new AzimuthalEquidistantFilter(centre.X, centre.Y);
        var pa2 = a.Copy();
        pa2.Apply(filter);
        pa2.GeometryChanged();
        var pb2 = b.Copy();
        pb2.Apply(filter);
        pb2.GeometryChanged();
        return pa2.Distance(pb2);
    }

    private static readonly GeometryFactory Planar = new();

    private static double ToRadians(double degrees) => degrees * Math.PI / 180;

    /// <summary>Maps lon/lat to metres east/north of a centre, preserving the distance and azimuth from the centre.</summary>
    private sealed class AzimuthalEquidistantFilter(double lon0, double lat0) : ICoordinateSequenceFilter
    {
        public bool Done => false;

        public bool GeometryChanged => true;

        public void Filter(CoordinateSequence seq, int i)
        {
            var (distance, azimuth) = Inverse(lon0, lat0, seq.GetX(i), seq.GetY(i));
            seq.SetX(i, distance * Math.Sin(azimuth));
            seq.SetY(i, distance * Math.Cos(azimuth));
        }
    }
}
