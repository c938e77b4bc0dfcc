namespace TempBalance.Web.Runs;

/// <summary>
/// Who asks for a change to a run. Every state change carries one, so ownership checks and an audit trail have
/// one place to hook into. A person is their account (<see cref="UserId"/> and name), or "local" in auth mode none
/// (<see cref="Auth.RunAccess.ActorOf"/>); the app's own processes (training job, stale-run sweeper, start-up
/// recovery) are system actors.
/// </summary>
public sealed record RunActor(string Name, bool IsSystem = false, string? UserId = null)
{
    public static readonly RunActor Anonymous = new("anonymous");
    public static readonly RunActor TrainingJob = new("training-job", IsSystem: true);
    public static readonly RunActor Sweeper = new("stale-run-sweeper", IsSystem: true);
    public static readonly RunActor Startup = new("start-up", IsSystem: true);

    public override string ToString() => Name;
}
