using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Dashboard;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.Extensions.Options;
using TempBalance.Core;
using TempBalance.Web.Data;

namespace TempBalance.Web.Jobs;

/// <summary>Hangfire wiring: storage, the training queue's server, start-up recovery, the stale-run sweeper and the dashboard.</summary>
public static class TrainingQueue
{
    /// <summary>
    /// Storage and the client that queues runs, in every role; the server that trains them only where the role
    /// trains (all, worker). The stale-run sweeper runs in every role: each sweep is a compare-and-set on the
    /// run's heartbeat, so several nodes sweeping at once mark a run once and never a run whose job is alive.
    /// </summary>
    public static void AddTrainingQueue(this IHostApplicationBuilder builder, NodeRole role)
    {
        // Storage and activator are registered per host: UseInMemoryStorage() and Hangfire's defaults set
        // process-wide globals, which would make two hosts in one process (tests) share one queue.
        builder.Services.AddSingleton<JobStorage>(sp => sp.GetRequiredService<DatabaseSettings>() is { UsePostgres: true } database
            ? PostgresStorage(database.ConnectionString, sp.GetRequiredService<IOptions<TempBalanceWebOptions>>().Value.Queue)
            : new InMemoryStorage());
        builder.Services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        builder.Services.AddHangfire(config => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings());
        if (role.Trains())
        {
            builder.Services.AddHangfireServer((sp, server) =>
            {
                server.Queues = [TrainingJob.Queue];
                var options = sp.GetRequiredService<IOptions<TempBalanceWebOptions>>().Value;
                server.WorkerCount = options.WorkerCount;
                server.ShutdownTimeout = options.ShutdownTimeout;
                server.ServerName = $"{role.Name()}:{Environment.MachineName}:{Environment.ProcessId}";
            });
        }
        // A job stops at its next batch, but an epoch's evaluation and spectral analysis can take a while.
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<TempBalanceWebOptions>>((host, options) =>
            host.ShutdownTimeout = options.Value.ShutdownTimeout + TimeSpan.FromSeconds(5));

        builder.Services.AddTransient<TrainingJob>();
        builder.Services.AddSingleton<TrainingServers>();
        builder.Services.AddSingleton<SharedDatasets>();
        builder.Services.AddSingleton<ITrainerFactory, TorchTrainerFactory>();
        builder.Services.AddHostedService<StaleRunSweeper>();
    }

    static PostgreSqlStorage PostgresStorage(string connectionString, QueueOptions queue)
    {
        var storageOptions = new PostgreSqlStorageOptions
        {
            // A live worker keeps renewing its job, so long trainings are never delivered again while they run
            // (with the default fixed 30-minute timeout they were); a killed worker's job goes to another worker
            // once it has not been renewed for InvisibilityTimeout.
            UseSlidingInvisibilityTimeout = true,
            InvisibilityTimeout = queue.InvisibilityTimeout,
            QueuePollInterval = queue.PollInterval,
            PrepareSchemaIfNecessary = true,
        };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, storageOptions), storageOptions);
    }

    public static void MapTrainingQueueDashboard(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<TempBalanceWebOptions>>().Value;
        // The dashboard's live graph posts a form to /hangfire/stats; anything else made Hangfire read a form
        // that is not there and answer 500.
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/hangfire/stats") && !context.Request.HasFormContentType,
            stats => stats.Run(context =>
            {
                context.Response.StatusCode = HttpMethods.IsPost(context.Request.Method) ? StatusCodes.Status415UnsupportedMediaType : StatusCodes.Status405MethodNotAllowed;
                context.Response.Headers.Allow = "POST";
                return Task.CompletedTask;
            }));
        // With accounts, the dashboard is the admins' (endpoint authorization: sign in, else 403), wherever they are;
        // without, it is for this machine unless AllowRemote says otherwise.
        bool accounts = app.Services.GetRequiredService<IOptions<Auth.AuthSettings>>().Value.Enabled;
        var dashboard = app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = accounts || options.Hangfire.AllowRemote ? [new AllowAllDashboardRequests()] : [new LocalDashboardRequests()],
            DashboardTitle = "TempBalance jobs",
        });
        if (accounts) dashboard.RequireAuthorization(Auth.Roles.CanAdminister);
    }

    sealed class AllowAllDashboardRequests : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => true;
    }

    /// <summary>Requests from this machine only; one a reverse proxy forwarded is not local, even though it arrives on loopback.</summary>
    sealed class LocalDashboardRequests : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => Security.ForwardedHeadersSetup.IsLocal(context.GetHttpContext());
    }
}
