using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TempBalance.Web.Auth;
using TempBalance.Web.Data;
using TempBalance.Web.Diagnoses;
using TempBalance.Web.Jobs;
using TempBalance.Web.Runs;

namespace TempBalance.Web;

/// <summary>The checks and start-up work before a node serves, by role. Every fault is a <see cref="StartupException"/> or one <see cref="StartupChecks.Describe"/> explains.</summary>
public static class NodeStartup
{
    /// <summary>How long a worker waits for the web node to bring the database up to date before it gives up.</summary>
    internal static TimeSpan SchemaWait { get; set; } = TimeSpan.FromMinutes(5);

    public static async Task PrepareAsync(this WebApplication app, NodeRole role)
    {
        var services = app.Services;
        services.GetRequiredService<IStartupValidator>().Validate();
        // Mode none is refused beyond loopback because of what the pages and API let anyone do; a worker serves only /health.
        if (role.ServesPages() && ListenAddressGuard.Check(services.GetRequiredService<IOptions<AuthSettings>>().Value.Mode, app.Configuration) is { } openWithoutAccounts)
            throw new StartupException(openWithoutAccounts);
        StartupChecks.EnsureDataFolderWritable(services.GetRequiredService<IOptions<TempBalanceWebOptions>>().Value.DataDirectoryPath);
        var database = services.GetRequiredService<DatabaseSettings>();

        if (role == NodeRole.Worker)
        {
            // One node migrates (the web node, or a one-shot `--TempBalance:Role=web` run before an upgrade);
            // workers wait for it, so an old worker never trains against a schema it does not know or the reverse.
            await WaitForSchemaAsync(database, app.Logger);
            return;
        }
        await database.MigrateAsync(app.Logger);
        var dbFactory = services.GetRequiredService<IDbContextFactory<TempBalanceDbContext>>();
        await HyperparameterBackfill.RunAsync(dbFactory);
        await services.GetRequiredService<FirstAdmin>().EnsureAsync();
        // Alone, this process trained every run the database shows Running, so they are all its own to queue
        // again. With workers they may be training right now: a dead worker's jobs come back from the
        // PostgreSQL queue by themselves, and queued runs were never lost from it.
        if (role == NodeRole.All)
        {
            await services.GetRequiredService<RunLifecycle>().RecoverAsync();
            await services.GetRequiredService<DiagnosisService>().RecoverAsync();
        }
        // The first runs-list query pays for EF's query compilation (~0.5 s); pay it here, not on the first page view.
        await services.GetRequiredService<RunService>().ListAsync(new RunQuery());
    }

    static async Task WaitForSchemaAsync(DatabaseSettings database, ILogger logger)
    {
        var deadline = DateTime.UtcNow + SchemaWait;
        bool told = false;
        while (true)
        {
            var pending = await database.PendingMigrationsAsync();
            if (pending.Count == 0) return;
            if (DateTime.UtcNow > deadline)
                throw new StartupException($"The database still lacks migrations {string.Join(", ", pending)} after {SchemaWait}; start the web node (TempBalance:Role=web), which applies them, then this worker.");
            if (!told)
            {
                logger.LogInformation("Waiting for the web node to apply migrations {Migrations}", pending);
                told = true;
            }
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }
}
