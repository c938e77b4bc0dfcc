using Hangfire;

namespace TempBalance.Web.Diagnoses;

public static class DiagnosisRegistration
{
    /// <summary>
    /// The diagnosis services and, on a node that trains (<see cref="NodeRoles.Trains"/>), a Hangfire server of their
    /// own for the <see cref="DiagnosisJob.Queue"/> queue: one worker, so diagnoses neither wait behind hours of
    /// training nor take more than one more core from it. Uploads land in the data folder every node shares.
    /// </summary>
    public static void AddDiagnoses(this IHostApplicationBuilder builder, NodeRole role)
    {
        builder.Services.AddSingleton<DiagnosisUploads>();
        builder.Services.AddSingleton<DiagnosisService>();
        builder.Services.AddTransient<DiagnosisJob>();
        if (!role.Trains()) return;
        builder.Services.AddHangfireServer(server =>
        {
            server.Queues = [DiagnosisJob.Queue];
            server.WorkerCount = 1;
        });
    }
}
