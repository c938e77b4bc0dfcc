using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace TempBalance.Web.Security;

public static class ForwardedHeadersSetup
{
    /// <summary>
    /// Believes X-Forwarded-For/-Proto/-Host only from the proxies in TempBalance:ForwardedHeaders (none by
    /// default). Believing every sender would let anyone claim to be 127.0.0.1 and reach local-only pages.
    /// </summary>
    public static void UseTempBalanceForwardedHeaders(this WebApplication app)
    {
        var proxies = app.Services.GetRequiredService<IOptions<TempBalanceWebOptions>>().Value.ForwardedHeaders;
        if (proxies.KnownProxies.Count == 0 && proxies.KnownNetworks.Count == 0) return;
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
        };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in proxies.KnownProxies) options.KnownProxies.Add(IPAddress.Parse(proxy));
        foreach (var network in proxies.KnownNetworks) options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        app.UseForwardedHeaders(options);
    }

    /// <summary>
    /// A request from this machine that no proxy forwarded: loopback, and without forwarded headers left over
    /// (a proxy that is not configured as known leaves them, and the real client is then somewhere else).
    /// </summary>
    public static bool IsLocal(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (headers.ContainsKey("X-Forwarded-For") || headers.ContainsKey("Forwarded") || headers.ContainsKey("X-Real-IP")) return false;
        var remote = context.Connection.RemoteIpAddress;
        return remote is null ? context.Connection.LocalIpAddress is null : IPAddress.IsLoopback(remote);
    }
}
