namespace Broker.Federation.Distributed;

/// <summary>
/// What a distributed retrieval carries from the request it serves to the requests it forwards: whether it may forward
/// at all (not with local=true), the Via header it arrived with (a loop ends where Via names this broker), the Link
/// header (so a source expands the terms as the client meant them) and the query parameters a source is asked.
/// </summary>
public sealed record ForwardingContext(bool Local, string? Via, string? Link, IReadOnlyList<KeyValuePair<string, string>> Parameters)
{
    public const string ViaHeader = "Via";

    /// <summary>
    /// The @context of a write's JSON-LD body when it names documents by URL only (a string or an array of strings): the
    /// parts of the body a source is sent are compacted with it and carry it, as the client sent them.
    /// </summary>
    public string? BodyContext { get; init; }

    /// <summary>Whether <paramref name="via"/> (received-by entries: "1.1 name, 1.1 other (comment)") names <paramref name="brokerId"/>.</summary>
    public static bool ViaNames(string? via, string brokerId)
    {
        if (string.IsNullOrEmpty(via))
            return false;
        foreach (var entry in via.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && string.Equals(parts[1], brokerId, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    /// <summary>The Via header of a request forwarded by <paramref name="brokerId"/>: the one received with this broker appended.</summary>
    public string ForwardedVia(string brokerId) => string.IsNullOrEmpty(Via) ? $"1.1 {brokerId}" : $"{Via}, 1.1 {brokerId}";
}
