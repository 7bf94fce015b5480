namespace Adapters.Tests;

/// <summary>
/// The source-format samples the tests translate: copies of the project's shared reference samples, kept in
/// Samples/ (provenance and licences in Samples/SOURCES.md) and copied beside the test assembly.
/// </summary>
internal static class ReferenceData
{
    public static string Samples { get; } = Path.Combine(AppContext.BaseDirectory, "Samples");

    public static string SourceFormat(string relativePath) => Path.Combine(Samples, relativePath);

    public static string ReadSourceFormat(string relativePath) => File.ReadAllText(SourceFormat(relativePath));
}
