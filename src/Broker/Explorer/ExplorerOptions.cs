namespace Broker.Explorer;

/// <summary>The Explorer section of the configuration.</summary>
public sealed class ExplorerOptions
{
    /// <summary>Whether the broker serves the explorer at /explorer; off by default, so a deployment opts in.</summary>
    public bool Enabled { get; set; }
}
