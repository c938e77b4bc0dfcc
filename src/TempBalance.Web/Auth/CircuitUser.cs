using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using TempBalance.Web.Runs;

namespace TempBalance.Web.Auth;

/// <summary>The signed-in person of a page's circuit, and what <see cref="RunAccess"/> lets them do.</summary>
public sealed class CircuitUser(AuthenticationStateProvider authentication, RunAccess access)
{
    public async Task<ClaimsPrincipal> PrincipalAsync() => (await authentication.GetAuthenticationStateAsync()).User;

    public async Task<RunActor> ActorAsync() => access.ActorOf(await PrincipalAsync());

    public async Task<bool> CanCreateAsync() => access.CanCreate(await PrincipalAsync());

    public async Task<bool> CanChangeAsync(long runId) => await access.CheckChangeAsync(await PrincipalAsync(), runId) == RunChangeCheck.Allowed;
}
