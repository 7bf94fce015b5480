using System.Globalization;

namespace Broker.Entities.Representation;

/// <summary>Date-time values as NGSI-LD writes them (clause 4.6.3 / C.6): ISO 8601 in UTC.</summary>
public static class Timestamps
{
    [ThreadStatic]
    private static string? t_lastText;

    [ThreadStatic]
    private static long t_lastTicks;

    /// <summary>yyyy-MM-ddTHH:mm:ss.ffffffZ. The entities of one write share one instant, so the last text is kept per thread.</summary>
    public static string Format6(DateTimeOffset instant)
    {
        var utc = instant.UtcDateTime;
        if (t_lastText is { } last && t_lastTicks == utc.Ticks)
            return last;
        var text = string.Create(27, utc, static (span, time) =>
        {
            Digits(span[..4], time.Year);
            span[4] = '-';
            Digits(span.Slice(5, 2), time.Month);
            span[7] = '-';
            Digits(span.Slice(8, 2), time.Day);
            span[10] = 'T';
            Digits(span.Slice(11, 2), time.Hour);
            span[13] = ':';
            Digits(span.Slice(14, 2), time.Minute);
            span[16] = ':';
            Digits(span.Slice(17, 2), time.Second);
            span[19] = '.';
            Digits(span.Slice(20, 6), (int)(time.Ticks % TimeSpan.TicksPerSecond / 10));
            span[26] = 'Z';
        });
        (t_lastText, t_lastTicks) = (text, utc.Ticks);
        return text;
    }

    /// <summary>
    /// yyyy-MM-ddTHH:mm:ssZ, with the fraction of the second only when there is one (3 or 6 digits): the form instants the
    /// broker computes (aggregation periods) and reports beside values take, as most NGSI-LD implementations write them.
    /// </summary>
    public static string FormatMinimal(DateTimeOffset instant)
    {
        var text = Format6(instant);
        var micros = instant.UtcTicks % TimeSpan.TicksPerSecond / 10;
        if (micros == 0)
            return string.Concat(text.AsSpan(0, 19), "Z");
        return micros % 1000 == 0 ? string.Concat(text.AsSpan(0, 23), "Z") : text;
    }

    private static void Digits(Span<char> span, int value)
    {
        for (var i = span.Length - 1; i >= 0; i--)
        {
            span[i] = (char)('0' + value % 10);
            value /= 10;
        }
    }

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
