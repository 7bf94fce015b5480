namespace Adapters.Core;

/// <summary>
/// A source record that cannot be translated (unparseable, a required field missing, a payload that its decoder
/// rejects). The message says what is wrong in terms of the source format, for the dead-letter folder and the 400
/// a webhook returns.
/// </summary>
public sealed class MalformedSourceException(string message, Exception? inner = null) : Exception(message, inner);
