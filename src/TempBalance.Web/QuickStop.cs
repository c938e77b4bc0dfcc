using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace TempBalance.Web;

/// <summary>
/// Keeps open browser tabs from holding up a stop. When the app stops, SignalR closes every Blazor connection,
/// and each tab's Blazor script at once reconnects; the server used to accept that new connection and then wait
/// for it to close, which it never did by itself (30 s and more per stop, measured with one idle tab). Two
/// rules: requests that arrive after the stop began are refused (503), and connections get
/// <see cref="TempBalanceWebOptions.ConnectionDrainTimeout"/> to finish before the server drops them. Neither
/// touches the training queue, which still gives a running job <see cref="TempBalanceWebOptions.ShutdownTimeout"/>
/// to reach a batch boundary.
/// </summary>
public static class QuickStop
{
    public static void AddQuickStop(this IServiceCollection services)
    {
        // Decorate whichever server the host uses (Kestrel, or the test server), as registered last.
        var server = services.LastOrDefault(d => d.ServiceType == typeof(IServer))
            ?? throw new InvalidOperationException("No IServer is registered; call AddQuickStop after the web host is configured.");
        services.Add(ServiceDescriptor.Singleton<IServer>(sp => new DrainBoundedServer(
            (IServer)CreateInner(sp, server),
            sp.GetRequiredService<IOptions<TempBalanceWebOptions>>().Value.ConnectionDrainTimeout)));
    }

    static object CreateInner(IServiceProvider services, ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance
        ?? descriptor.ImplementationFactory?.Invoke(services)
        ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!);

    /// <summary>Refuses requests once the app has begun to stop: a reconnecting browser tries again after the restart.</summary>
    public static IApplicationBuilder UseRefusalWhileStopping(this IApplicationBuilder app)
    {
        var stopping = app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        return app.Use(async (context, next) =>
        {
            if (!stopping.IsCancellationRequested)
            {
                await next(context);
                return;
            }
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "5";
            context.Response.Headers.Connection = "close";
            await context.Response.WriteAsync("The app is stopping.");
        });
    }

    /// <summary>The server's stop, cut short after the drain timeout (or sooner, when the host's own timeout fires).</summary>
    sealed class DrainBoundedServer(IServer inner, TimeSpan drain) : IServer
    {
        public IFeatureCollection Features => inner.Features;

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull =>
            inner.StartAsync(application, cancellationToken);

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(drain);
            await inner.StopAsync(bounded.Token);
        }

        public void Dispose() => inner.Dispose();
    }
}
