using Microsoft.Data.Sqlite;

namespace TempBalance.Web.Data;

/// <summary>What kind of storage trouble an exception means, so each layer can say it in words and keep the app running.</summary>
public enum StorageFault { None, Full, ReadOnly, Unavailable }

public static class StorageFaults
{
    // errno values that .NET puts into IOException.HResult on Linux.
    const int NoSpace = 28, ReadOnlyFileSystem = 30, QuotaExceeded = 122;

    // SQLite primary result codes.
    const int SqliteReadOnly = 8, SqliteIoError = 10, SqliteFull = 13, SqliteCannotOpen = 14;

    public static StorageFault Classify(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SqliteException { SqliteErrorCode: SqliteFull }:
                    return StorageFault.Full;
                case SqliteException { SqliteErrorCode: SqliteReadOnly }:
                    return StorageFault.ReadOnly;
                case SqliteException { SqliteErrorCode: SqliteCannotOpen or SqliteIoError }:
                    return StorageFault.Unavailable;
                case Npgsql.PostgresException { SqlState: "53100" }: // disk_full
                    return StorageFault.Full;
                case UnauthorizedAccessException:
                    return StorageFault.ReadOnly;
                case IOException io when io.HResult is NoSpace or QuotaExceeded || io.Message.Contains("No space left on device", StringComparison.Ordinal):
                    return StorageFault.Full;
                case IOException io when io.HResult == ReadOnlyFileSystem || io.Message.Contains("Read-only file system", StringComparison.Ordinal):
                    return StorageFault.ReadOnly;
            }
        }
        return StorageFault.None;
    }
}
