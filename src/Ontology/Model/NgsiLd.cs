namespace Ontology.Model;

/// <summary>IRIs of the NGSI-LD core vocabulary that the broker needs by name.</summary>
public static class NgsiLd
{
    public const string Namespace = "https://uri.etsi.org/ngsi-ld/";
    public const string DefaultContextVocab = "https://uri.etsi.org/ngsi-ld/default-context/";
    public const string Location = Namespace + "location";
    public const string ObservationSpace = Namespace + "observationSpace";
    public const string OperationSpace = Namespace + "operationSpace";
    public const string ObservedAt = Namespace + "observedAt";
    public const string CreatedAt = Namespace + "createdAt";
    public const string ModifiedAt = Namespace + "modifiedAt";
    public const string DeletedAt = Namespace + "deletedAt";
    public const string UnitCode = Namespace + "unitCode";
    public const string DatasetId = Namespace + "datasetId";
    public const string Scope = Namespace + "scope";
}
