using System.Collections.Frozen;

namespace Broker.Federation;

/// <summary>
/// The operation names a registration's operations member may hold and the named groups of them (clause 4.20, "limited
/// subsets of operations"). A group stands for its members; a registration without operations supports federationOps.
/// </summary>
public static class RegistrationOperations
{
    public const string FederationOps = "federationOps";
    public const string UpdateOps = "updateOps";
    public const string RetrieveOps = "retrieveOps";
    public const string RedirectionOps = "redirectionOps";

    public const string CreateEntity = "createEntity";
    public const string UpdateEntity = "updateEntity";
    public const string AppendAttrs = "appendAttrs";
    public const string UpdateAttrs = "updateAttrs";
    public const string DeleteAttrs = "deleteAttrs";
    public const string DeleteEntity = "deleteEntity";
    public const string MergeEntity = "mergeEntity";
    public const string ReplaceEntity = "replaceEntity";
    public const string ReplaceAttrs = "replaceAttrs";
    public const string CreateBatch = "createBatch";
    public const string UpsertBatch = "upsertBatch";
    public const string UpdateBatch = "updateBatch";
    public const string DeleteBatch = "deleteBatch";
    public const string MergeBatch = "mergeBatch";
    public const string UpsertTemporal = "upsertTemporal";
    public const string AppendAttrsTemporal = "appendAttrsTemporal";
    public const string DeleteAttrsTemporal = "deleteAttrsTemporal";
    public const string UpdateAttrsTemporal = "updateAttrsTemporal";
    public const string DeleteAttrInstanceTemporal = "deleteAttrInstanceTemporal";
    public const string DeleteTemporal = "deleteTemporal";
    public const string RetrieveEntity = "retrieveEntity";
    public const string QueryEntity = "queryEntity";
    public const string QueryBatch = "queryBatch";
    public const string RetrieveTemporal = "retrieveTemporal";
    public const string QueryTemporal = "queryTemporal";
    public const string RetrieveEntityTypes = "retrieveEntityTypes";
    public const string RetrieveEntityTypeDetails = "retrieveEntityTypeDetails";
    public const string RetrieveEntityTypeInfo = "retrieveEntityTypeInfo";
    public const string RetrieveAttrTypes = "retrieveAttrTypes";
    public const string RetrieveAttrTypeDetails = "retrieveAttrTypeDetails";
    public const string RetrieveAttrTypeInfo = "retrieveAttrTypeInfo";
    public const string CreateSubscription = "createSubscription";
    public const string UpdateSubscription = "updateSubscription";
    public const string RetrieveSubscription = "retrieveSubscription";
    public const string QuerySubscription = "querySubscription";
    public const string DeleteSubscription = "deleteSubscription";

    /// <summary>The groups and their members.</summary>
    public static readonly FrozenDictionary<string, string[]> Groups = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [FederationOps] =
        [
            RetrieveEntity, QueryEntity, QueryBatch, RetrieveEntityTypes, RetrieveEntityTypeDetails, RetrieveEntityTypeInfo,
            RetrieveAttrTypes, RetrieveAttrTypeDetails, RetrieveAttrTypeInfo,
            CreateSubscription, UpdateSubscription, RetrieveSubscription, QuerySubscription, DeleteSubscription,
        ],
        [UpdateOps] = [UpdateEntity, UpdateAttrs, ReplaceEntity, ReplaceAttrs],
        [RetrieveOps] = [RetrieveEntity, QueryEntity],
        [RedirectionOps] =
        [
            CreateEntity, UpdateEntity, AppendAttrs, UpdateAttrs, DeleteAttrs, DeleteEntity, CreateBatch, UpsertBatch, UpdateBatch,
            DeleteBatch, UpsertTemporal, AppendAttrsTemporal, DeleteAttrsTemporal, UpdateAttrsTemporal, DeleteAttrInstanceTemporal,
            DeleteTemporal, MergeEntity, ReplaceEntity, ReplaceAttrs, MergeBatch, RetrieveEntity, QueryEntity, RetrieveTemporal,
            QueryTemporal, RetrieveEntityTypes, RetrieveEntityTypeDetails, RetrieveEntityTypeInfo, RetrieveAttrTypes,
            RetrieveAttrTypeDetails, RetrieveAttrTypeInfo,
        ],
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Every single operation name.</summary>
    public static readonly FrozenSet<string> Names = Groups.Values.SelectMany(members => members).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="name"/> is an operation or a group of them.</summary>
    public static bool IsKnown(string name) => Names.Contains(name) || Groups.ContainsKey(name);

    /// <summary>The single operations that names and groups stand for.</summary>
    public static IReadOnlySet<string> Expand(IEnumerable<string> namesAndGroups)
    {
        var operations = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in namesAndGroups)
        {
            if (Groups.TryGetValue(name, out var members))
                operations.UnionWith(members);
            else
                operations.Add(name);
        }
        return operations;
    }
}
