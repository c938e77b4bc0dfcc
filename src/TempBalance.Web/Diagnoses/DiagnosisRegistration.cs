using Hangfire;

namespace TempBalance.Web.Diagnoses;

public static class DiagnosisRegistration
{
    /// <summary>
    /// The diagnosis services and a Hangfire server of their own for the <see cref="DiagnosisJob.Queue"/> queue: one
    /// worker, so diagnoses neither wait behind hours of training nor take more than one more core from it.
    /// </summary>
    public static void AddDiagnoses(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DiagnosisUploads>();
        builder.Services.AddSingleton<DiagnosisService>();
        builder.Services.AddTransient<DiagnosisJob>();
        builder.Services.AddHangfireServer(server =>
        {
            server.Queues = [DiagnosisJob.Queue];
            server.WorkerCount = 1;
        });
    }
}
