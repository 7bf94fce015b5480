using System.Text.RegularExpressions;

namespace Broker.Query.Evaluation;

/// <summary>A regular expression of <c>~=</c> ran longer than its match timeout; the HTTP layer reports it distinctly.</summary>
public sealed class QueryTimeoutException : Exception
{
    public QueryTimeoutException()
    {
    }

    public QueryTimeoutException(string message)
        : base(message)
    {
    }

    public QueryTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public QueryTimeoutException(RegexMatchTimeoutException innerException)
        : base($"The regular expression '{innerException?.Pattern}' exceeded its match timeout of {innerException?.MatchTimeout.TotalMilliseconds} ms.", innerException)
    {
    }
}
