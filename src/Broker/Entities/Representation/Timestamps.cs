using System.Globalization;

namespace Broker.Entities.Representation;

/// <summary>Date-time values as NGSI-LD writes them (clause 4.6.3 / C.6): ISO 8601 in UTC.</summary>
public static class Timestamps
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    public static string Format6(DateTimeOffset instant) => instant.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>Truncates to microseconds, the precision every store keeps.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset instant) => new(instant.UtcTicks - instant.UtcTicks % 10, TimeSpan.Zero);

    public static DateTimeOffset Now(TimeProvider clock) => Truncate(clock.GetUtcNow());

    public static bool TryParse(string? text, out DateTimeOffset instant)
    {
        instant = default;
        if (string.IsNullOrEmpty(text) || text.Length < 20 || text[10] != 'T')
            return false;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out instant)
            && (text.EndsWith('Z') || text[^6] is '+' or '-');
    }
}
