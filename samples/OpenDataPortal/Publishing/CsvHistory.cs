using System.Globalization;
using System.Text;

namespace OpenDataPortal.Publishing;

/// <summary>A day of history as CSV (RFC 4180, UTF-8, CRLF line ends), one row per observation in time order.</summary>
public static class CsvHistory
{
    public const string MediaType = "text/csv";

    private static readonly string[] Header = ["observedAt", "entityId", "entityType", "attribute", "datasetId", "value", "unitCode"];

    public static string Write(IEnumerable<HistoryRow> rows)
    {
        var csv = new StringBuilder();
        AppendLine(csv, Header);
        var ordered = rows.OrderBy(r => r.ObservedAt).ThenBy(r => r.EntityId, StringComparer.Ordinal)
            .ThenBy(r => r.Attribute, StringComparer.Ordinal).ThenBy(r => r.DatasetId, StringComparer.Ordinal);
        foreach (var row in ordered)
        {
            AppendLine(csv, [row.ObservedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture), row.EntityId, row.EntityType,
                row.Attribute, row.DatasetId ?? "", row.Value, row.UnitCode ?? ""]);
        }
        return csv.ToString();
    }

    private static void AppendLine(StringBuilder csv, IReadOnlyList<string> fields)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0)
                csv.Append(',');
            Append(csv, fields[i]);
        }
        csv.Append("\r\n");
    }

    private static void Append(StringBuilder csv, string field)
    {
        if (field.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            csv.Append(field);
            return;
        }
        csv.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
