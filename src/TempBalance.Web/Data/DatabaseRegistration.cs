using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace TempBalance.Web.Data;

/// <summary>Which database the app talks to, read once from configuration.</summary>
public sealed record DatabaseSettings(bool UsePostgres, string ConnectionString)
{
    public static DatabaseSettings FromConfiguration(IConfiguration configuration, TempBalanceWebOptions options)
    {
        var connectionString = configuration.GetConnectionString("TempBalance");
        if (options.UsesPostgres)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
                throw new StartupException(
                    "TempBalance:Database is 'postgres' but ConnectionStrings:TempBalance is empty; set it to an Npgsql connection string such as 'Host=db;Database=tempbalance;Username=tb;Password=...'.");
            return new DatabaseSettings(true, connectionString);
        }
        if (!options.UsesSqlite)
            throw new StartupException($"TempBalance:Database is '{options.Database}'; use 'sqlite' or 'postgres'.");
        if (!string.IsNullOrWhiteSpace(connectionString)) return new DatabaseSettings(false, connectionString);
        Directory.CreateDirectory(options.DataDirectoryPath);
        return new DatabaseSettings(false, $"Data Source={Path.Combine(options.DataDirectoryPath, "tempbalance.db")}");
    }

    public void Configure(DbContextOptionsBuilder builder)
    {
        if (UsePostgres) builder.UseNpgsql(ConnectionString);
        else builder.UseSqlite(ConnectionString);
    }

    /// <summary>Migrations of this version that the database has not had yet (a worker waits until there are none).</summary>
    public async Task<IReadOnlyList<string>> PendingMigrationsAsync(CancellationToken cancellationToken = default)
    {
        await using var context = CreateMigrationsContext();
        return (await context.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
    }

    TempBalanceDbContext CreateMigrationsContext() => UsePostgres
        ? new PostgresMigrationsContext(new DbContextOptionsBuilder<PostgresMigrationsContext>().UseNpgsql(ConnectionString).Options)
        : new SqliteMigrationsContext(new DbContextOptionsBuilder<SqliteMigrationsContext>().UseSqlite(ConnectionString).Options);

    /// <summary>
    /// Applies the provider's migration set; on SQLite also switches to WAL so pages can read while a job writes.
    /// EF Core guards a migration with a lock: on PostgreSQL an advisory lock that ends with the session, on
    /// SQLite a row in __EFMigrationsLock that a process dying mid-migration leaves behind, and every later
    /// start then waits for it forever. So on SQLite this process first takes a file lock next to the database
    /// (the operating system releases it when a process dies); holding it, no other start of this app is
    /// migrating, and a lock row is stale and removed.
    /// </summary>
    public async Task MigrateAsync(ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        await using var context = CreateMigrationsContext();
        if (UsePostgres)
        {
            await context.Database.MigrateAsync(cancellationToken);
            return;
        }
        using (await SqliteMigrationGuard.AcquireAsync(ConnectionString, cancellationToken))
        {
            if (await SqliteMigrationGuard.ReleaseStaleLockAsync(context, cancellationToken) > 0)
                logger?.LogWarning("An earlier start stopped while migrating the database and left EF Core's migration lock (__EFMigrationsLock) behind; it was released.");
            await context.Database.MigrateAsync(cancellationToken);
        }
        await context.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }
}

public static class DatabaseRegistration
{
    /// <summary>Registers the DbContext factory and its health check. Settings are read when first needed, after test hosts have applied their configuration.</summary>
    public static void AddTempBalanceDatabase(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp => DatabaseSettings.FromConfiguration(
            sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IOptions<TempBalanceWebOptions>>().Value));
        builder.Services.AddDbContextFactory<TempBalanceDbContext>((sp, db) => sp.GetRequiredService<DatabaseSettings>().Configure(db));
        builder.Services.AddHealthChecks().AddDbContextCheck<TempBalanceDbContext>("database", tags: [Health.HealthEndpoints.ReadyTag]);
    }
}
