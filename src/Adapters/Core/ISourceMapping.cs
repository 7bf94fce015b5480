namespace Adapters.Core;

/// <summary>
/// One source's section of the deployment's mapping file (which device EUI is which parking spot, which counter is
/// which road segment), bound from JSON or YAML. Checked at start-up: the host refuses to start and lists every error.
/// </summary>
public interface ISourceMapping
{
    /// <summary>Every problem of this section, each naming where it is, e.g. "lorawan.devices[3].devEui: not 16 hex digits".</summary>
    /// <param name="path">Where the section is in the file, e.g. "lorawan", to prefix each problem with.</param>
    IEnumerable<string> Validate(string path);
}
