using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace TempBalance.Web.Api;

/// <summary>
/// TempBalance:Limits:RunCreationsPerMinute requests to create runs per client and minute. A client is its
/// address until the app has accounts. A refused request gets 429 problem+json with Retry-After.
/// </summary>
public static class RunCreationRateLimit
{
    public const string Policy = "run-creation";

    public static void AddRunCreationRateLimit(this IServiceCollection services) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(Policy, context =>
            {
                var perMinute = context.RequestServices.GetRequiredService<IOptions<TempBalanceWebOptions>>().Value.Limits.RunCreationsPerMinute;
                return RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
            });
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = $"Runs can be created at most {context.RequestServices.GetRequiredService<IOptions<TempBalanceWebOptions>>().Value.Limits.RunCreationsPerMinute} times a minute (TempBalance:Limits:RunCreationsPerMinute); try again in {Math.Ceiling(retryAfter.TotalSeconds):0} s.",
                    },
                });
            };
        });
}
