using Npgsql;

namespace Broker.Storage.Postgres;

/// <summary>
/// The result row of one change's statement: rows written (0 or 1), whether the entity existed before the statement,
/// and the <c>xmin</c> of the row it wrote, when the statement returns one (see PostgresEntityStore.WriteStatement).
/// </summary>
internal readonly record struct WriteResult(int Written, bool Exists, uint? RowVersion)
{
    public static WriteResult Read(NpgsqlDataReader reader) =>
        new(reader.GetInt32(0), !reader.IsDBNull(1), reader.FieldCount > 2 && !reader.IsDBNull(2) ? reader.GetFieldValue<uint>(2) : null);
}
