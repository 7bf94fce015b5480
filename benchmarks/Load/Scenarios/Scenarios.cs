namespace Benchmarks.Load.Scenarios;

/// <summary>Every scenario the tool knows, in run order: the ceilings first, so that the broker's rows can be compared with them.</summary>
public static class Scenarios
{
    public static IReadOnlyList<IScenario> All(Options options) =>
    [
        new HttpCeiling(),
        new PostgresInsertCeiling(),
        new PostgresCopyCeiling(),
        new SqliteBatchCeiling(),
        new SingleCreate(),
        new BatchUpsert(),
        new GetById(),
        new QueryByType(),
        new QueryGeo(options.GeoEntities),
        new AttributePatch(),
        new NotifiedPatch(options.Subscriptions, options.MatchingPercent),
        new TemporalRange(),
        new TemporalTypeAggregation(),
        new AttributePatch(history: false),
        new FederatedQuery(options.BrokerPath, options.FederatedEntities, options.FederatedLimit, federated: true),
        new FederatedQuery(options.BrokerPath, options.FederatedEntities, options.FederatedLimit, federated: false),
        new GetById(CredentialKind.Jwt),
        new GetById(CredentialKind.ApiKey),
        new CitizenAppUpdate(options.CitizenAppPath),
    ];
}
