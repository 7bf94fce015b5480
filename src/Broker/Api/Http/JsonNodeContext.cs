using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Broker.Api.Http;

[JsonSerializable(typeof(JsonNode))]
internal sealed partial class JsonNodeContext : JsonSerializerContext;
