namespace Broker.Storage.Embedded;

public sealed class EmbeddedStoreOptions
{
    /// <summary>The folder of the SQLite database (configuration key Storage:DataPath).</summary>
    public string DataPath { get; set; } = "data";

    /// <summary>How many queued write requests one transaction takes at most (group commit).</summary>
    public int MaxGroupSize { get; set; } = 512;
}
