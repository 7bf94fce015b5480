using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Ontology.SmartDataModels;

[JsonSerializable(typeof(JsonObject))]
internal sealed partial class SchemaJsonContext : JsonSerializerContext;
