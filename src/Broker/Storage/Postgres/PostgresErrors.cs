using System.Net.Sockets;
using Npgsql;

namespace Broker.Storage.Postgres;

/// <summary>Translation of driver errors at the storage boundary.</summary>
internal static class PostgresErrors
{
    /// <summary>
    /// Whether the error means the database cannot be reached or is shutting down or starting up, so the request may
    /// succeed later: transient Npgsql errors, socket and I/O errors, and the SQLSTATEs of class 08 (connection
    /// exception), 57P01-57P03 (admin/crash shutdown, cannot connect now) and 53300 (too many connections).
    /// </summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException postgres:
                    return postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || postgres.SqlState is "57P01" or "57P02" or "57P03" or "53300";
                case NpgsqlException { IsTransient: true }:
                case SocketException:
                case IOException:
                case TimeoutException:
                    return true;
                case NpgsqlException when e.InnerException is null:
                    return e.Message.Contains("connection", StringComparison.OrdinalIgnoreCase);
            }
        }
        return false;
    }

    /// <summary>
    /// Whether PostgreSQL refused a value it cannot store: a NUL character in text (22021) or in a jsonb string (22P05),
    /// or a number out of range (22003).
    /// </summary>
    public static bool IsUnstorableValue(Exception exception) =>
        exception is PostgresException { SqlState: "22021" or "22P05" or "22003" or "54000" };

    /// <summary>
    /// Whether PostgreSQL rolled the transaction back to resolve a conflict with a concurrent one, so that the same
    /// transaction may succeed when run again: a deadlock (40P01) or a serialization failure (40001). Two batches that
    /// create the same new entities in different orders wait for each other's rows.
    /// </summary>
    public static bool IsRetryableConflict(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException { SqlState: "40P01" or "40001" })
                return true;
        }
        return false;
    }
}
