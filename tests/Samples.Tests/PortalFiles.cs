using System.Globalization;
using System.Text.Json.Nodes;
using OpenDataPortal;
using OpenDataPortal.Publishing;

namespace Samples.Tests;

/// <summary>The notification files of this project applied to a catalog with the default datasets, and the expected files.</summary>
internal static class PortalFiles
{
    public static readonly PortalOptions Portal = new() { PublicUrl = new Uri("https://opendata.luebeck.example/") };

    public static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    /// <summary>The day after the last day observed in Notifications/: every day of them is held.</summary>
    public static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    public static DatasetCatalog Catalog(params string[] deniedAttributes) =>
        new(DatasetDefinition.Defaults(), new Redaction(deniedAttributes), Berlin, new FrozenTime(Now), historyDays: 7);

    public static DatasetCatalog Notified(DatasetCatalog catalog, params string[] notifications)
    {
        foreach (var name in notifications)
        {
            var notification = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Notifications", name)))!.AsObject();
            var notifiedAt = DateTimeOffset.Parse(notification["notifiedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            catalog.Apply(notification["data"]!.AsArray().OfType<JsonObject>(), notifiedAt);
        }
        return catalog;
    }

    public static string Expected(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Expected", name)).ReplaceLineEndings("\n");

    /// <summary>Where an actual output differs from its expected file, written beside the test output for a look.</summary>
    public static void AssertSame(string expectedFile, string actual)
    {
        var expected = Expected(expectedFile);
        if (expected != actual)
            File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "Expected", expectedFile + ".actual"), actual);
        Xunit.Assert.Equal(expected, actual);
    }
}
