using System.Text.Json;
using Broker.Entities.Representation;
using Broker.Storage;

namespace Broker.Federation;

/// <summary>
/// Writes a registration (CSourceRegistration, clause 5.2.9): for retrieve and query with the names compacted by the
/// request's @context, the defaults of mode and operations and the status members; for the store with the names
/// expanded and only what was given (<see cref="RegistrationDocument"/>).
/// </summary>
public static class RegistrationWriter
{
    /// <param name="compact">Compacts an expanded type or attribute name.</param>
    /// <param name="shown">True for a response: the defaults of mode and operations are written, and the status once a
    /// distributed operation was sent; false for the store.</param>
    public static void Write(Utf8JsonWriter json, ContextSourceRegistration registration, StoredRegistrationStatus status, Func<string, string> compact,
        bool shown, bool sysAttrs, Action<Utf8JsonWriter>? writeContext)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, registration.Id);
        json.WriteString("type"u8, ContextSourceRegistration.TypeName);
        WriteOptional(json, "registrationName", registration.RegistrationName);
        WriteOptional(json, "description", registration.Description);
        WriteOptional(json, "contextSourceAlias", registration.ContextSourceAlias);
        WriteInformation(json, registration.Information, compact);
        json.WriteString("endpoint"u8, registration.Endpoint.OriginalString);
        if (registration.DatasetIds is { } datasetIds)
            WriteStrings(json, "datasetId", datasetIds);
        WriteOptional(json, "tenant", registration.SourceTenant);
        WriteInterval(json, "observationInterval", registration.ObservationInterval);
        WriteInterval(json, "managementInterval", registration.ManagementInterval);
        WriteGeometry(json, "location", registration.Location);
        WriteGeometry(json, "observationSpace", registration.ObservationSpace);
        WriteGeometry(json, "operationSpace", registration.OperationSpace);
        if (registration.ExpiresAt is { } expiresAt)
            json.WriteString("expiresAt"u8, Timestamps.FormatMinimal(expiresAt));
        if (registration.ContextSourceInfo is { } info)
        {
            json.WriteStartArray("contextSourceInfo"u8);
            foreach (var pair in info)
            {
                json.WriteStartObject();
                json.WriteString("key"u8, pair.Key);
                json.WriteString("value"u8, pair.Value);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        if (registration.ScopeSource is { } scope)
        {
            json.WritePropertyName("scope"u8);
            scope.WriteTo(json);
        }
        if (shown || registration.GivenMode is not null)
            json.WriteString("mode"u8, ModeName(registration.Mode));
        if ((shown ? registration.Operations : registration.GivenOperations) is { } operations)
            WriteStrings(json, "operations", operations);
        WriteOptional(json, "refreshRate", registration.RefreshRate);
        if (registration.Management is { } management)
            WriteManagement(json, management);
        foreach (var (name, value) in registration.Properties)
        {
            json.WritePropertyName(compact(name));
            if (value is null)
                json.WriteNullValue();
            else
                value.WriteTo(json);
        }
        if (shown && status.TimesSent > 0)
        {
            json.WriteString("status"u8, status.LastFailure is { } failure && (status.LastSuccess is not { } success || failure > success) ? "failed" : "ok");
            json.WriteNumber("timesSent"u8, status.TimesSent);
            json.WriteNumber("timesFailed"u8, status.TimesFailed);
            if (status.LastSuccess is { } lastSuccess)
                json.WriteString("lastSuccess"u8, Timestamps.Format6(lastSuccess));
            if (status.LastFailure is { } lastFailure)
                json.WriteString("lastFailure"u8, Timestamps.Format6(lastFailure));
        }
        if (sysAttrs)
        {
            json.WriteString("createdAt"u8, Timestamps.Format6(registration.CreatedAt));
            json.WriteString("modifiedAt"u8, Timestamps.Format6(registration.ModifiedAt));
        }
        writeContext?.Invoke(json);
        json.WriteEndObject();
    }

    public static string ModeName(RegistrationMode mode) => mode switch
    {
        RegistrationMode.Exclusive => "exclusive",
        RegistrationMode.Redirect => "redirect",
        RegistrationMode.Auxiliary => "auxiliary",
        _ => "inclusive",
    };

    private static void WriteInformation(Utf8JsonWriter json, IReadOnlyList<RegistrationInfo> information, Func<string, string> compact)
    {
        json.WriteStartArray("information"u8);
        foreach (var info in information)
        {
            json.WriteStartObject();
            if (info.Entities is { } entities)
            {
                json.WriteStartArray("entities"u8);
                foreach (var entity in entities)
                {
                    json.WriteStartObject();
                    if (entity.Id is { } id)
                        json.WriteString("id"u8, id);
                    if (entity.IdPatternText is { } pattern)
                        json.WriteString("idPattern"u8, pattern);
                    if (entity.Types.Count == 1)
                    {
                        json.WriteString("type"u8, compact(entity.Types[0]));
                    }
                    else
                    {
                        json.WriteStartArray("type"u8);
                        foreach (var type in entity.Types)
                            json.WriteStringValue(compact(type));
                        json.WriteEndArray();
                    }
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            if (info.PropertyNames is { } properties)
                WriteStrings(json, "propertyNames", properties.Select(compact));
            if (info.RelationshipNames is { } relationships)
                WriteStrings(json, "relationshipNames", relationships.Select(compact));
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void WriteInterval(Utf8JsonWriter json, string member, TimeInterval? interval)
    {
        if (interval is null)
            return;
        json.WriteStartObject(member);
        json.WriteString("startAt"u8, Timestamps.FormatMinimal(interval.StartAt));
        if (interval.EndAt is { } endAt)
            json.WriteString("endAt"u8, Timestamps.FormatMinimal(endAt));
        json.WriteEndObject();
    }

    private static void WriteGeometry(Utf8JsonWriter json, string member, RegisteredGeometry? geometry)
    {
        if (geometry is null)
            return;
        json.WritePropertyName(member);
        geometry.Source.WriteTo(json);
    }

    private static void WriteManagement(Utf8JsonWriter json, RegistrationManagement management)
    {
        json.WriteStartObject("management"u8);
        if (management.LocalOnly is { } localOnly)
            json.WriteBoolean("localOnly"u8, localOnly);
        WriteOptional(json, "cacheDuration", management.CacheDuration);
        if (management.TimeoutMilliseconds is { } timeout)
            json.WriteNumber("timeout"u8, timeout);
        if (management.CooldownMilliseconds is { } cooldown)
            json.WriteNumber("cooldown"u8, cooldown);
        json.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter json, string member, string? value)
    {
        if (value is not null)
            json.WriteString(member, value);
    }

    private static void WriteStrings(Utf8JsonWriter json, string member, IEnumerable<string> values)
    {
        json.WriteStartArray(member);
        foreach (var value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }
}
