using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace TempBalance.Web.Data;

/// <summary>Lets one process at a time migrate a SQLite file, and clears the migration lock row a dead one left (see <see cref="DatabaseSettings.MigrateAsync"/>).</summary>
static class SqliteMigrationGuard
{
    static readonly TimeSpan WaitForOtherStart = TimeSpan.FromMinutes(2);

    /// <summary>An exclusive lock on "{database}.migrating"; null for an in-memory database, which no other process can open.</summary>
    public static async Task<IDisposable?> AcquireAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.Mode == SqliteOpenMode.Memory || builder.DataSource is "" or ":memory:") return null;
        var lockPath = Path.GetFullPath(builder.DataSource) + ".migrating";
        var deadline = DateTime.UtcNow + WaitForOtherStart;
        while (true)
        {
            try
            {
                // FileShare.None takes an advisory lock (flock) on Unix, released by the kernel when the process ends.
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (StorageFaults.Classify(e) == StorageFault.None && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
            catch (IOException e) when (StorageFaults.Classify(e) == StorageFault.None)
            {
                throw new StartupException($"another process has been migrating the database {builder.DataSource} for {WaitForOtherStart.TotalMinutes:0} minutes (it holds {lockPath}); stop it or wait for it.", e);
            }
        }
    }

    /// <summary>Removes EF Core's lock row; only call while holding <see cref="AcquireAsync"/>. Returns the rows removed.</summary>
    public static async Task<int> ReleaseStaleLockAsync(DbContext context, CancellationToken cancellationToken)
    {
        var connection = context.Database.GetDbConnection();
        bool opened = connection.State != System.Data.ConnectionState.Open;
        if (opened) await connection.OpenAsync(cancellationToken);
        try
        {
            await using var exists = connection.CreateCommand();
            exists.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '__EFMigrationsLock'";
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0) return 0;
            await using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM \"__EFMigrationsLock\"";
            return await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            if (opened) await connection.CloseAsync();
        }
    }
}
