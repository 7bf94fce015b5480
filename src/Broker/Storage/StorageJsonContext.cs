using System.Text.Json.Serialization;

namespace Broker.Storage;

[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
