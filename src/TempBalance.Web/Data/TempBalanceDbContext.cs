using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace TempBalance.Web.Data;

/// <summary>
/// The app's tables. The app uses this type; <see cref="SqliteMigrationsContext"/> and
/// <see cref="PostgresMigrationsContext"/> exist only to own one migration set per provider. Accounts (ASP.NET
/// Core Identity's users and roles) live in the same database.
/// </summary>
public class TempBalanceDbContext(DbContextOptions options) : IdentityDbContext<IdentityUser>(options)
{
    public DbSet<Run> Runs => Set<Run>();
    public DbSet<EpochMetric> EpochMetrics => Set<EpochMetric>();
    public DbSet<LayerMetric> LayerMetrics => Set<LayerMetric>();
    public DbSet<LayerSpectrum> LayerSpectra => Set<LayerSpectrum>();
    public DbSet<SystemMetric> SystemMetrics => Set<SystemMetric>();
    public DbSet<Sweep> Sweeps => Set<Sweep>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<Diagnosis> Diagnoses => Set<Diagnosis>();
    public DbSet<DiagnosisLayer> DiagnosisLayers => Set<DiagnosisLayer>();

    // SQLite hands DateTimes back without a kind; every stored time is UTC, so say so (JSON then ends in "Z").
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        value => value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc),
        value => DateTime.SpecifyKind(value, DateTimeKind.Utc));

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<Run>(run =>
        {
            run.Property(r => r.Status).HasConversion<string>().HasMaxLength(20);
            run.Property(r => r.Method).HasMaxLength(40);
            run.Property(r => r.Model).HasMaxLength(80);
            run.Property(r => r.Dataset).HasMaxLength(80);
            run.Property(r => r.GroupName).HasMaxLength(200);
            run.Property(r => r.ErrorMessage).HasMaxLength(4000);
            run.Property(r => r.Name).HasMaxLength(Run.MaxNameLength);
            run.Property(r => r.Phase).HasConversion<string>().HasMaxLength(20);
            run.Property(r => r.CreatedByUserId).HasMaxLength(450);
            run.Property(r => r.CreatedBy).HasMaxLength(256);
            run.Property(r => r.Optimizer).HasMaxLength(20);
            run.Property(r => r.Schedule).HasMaxLength(20);
            run.Ignore(r => r.Config);
            // The runs list filters by status and sorts by creation time or accuracy (docs/benchmarks.md).
            run.HasIndex(r => new { r.Status, r.CreatedAt }).HasFilter("\"ArchivedAt\" IS NULL");
            run.HasIndex(r => r.CreatedAt);
            run.HasIndex(r => r.BestTestAccuracy);
            run.HasIndex(r => r.Method);
            run.HasIndex(r => r.Model);
            run.HasIndex(r => r.Dataset);
            run.HasIndex(r => r.GroupId);
            // The table's default view (not archived, newest first) and its counts, by status too, from partial
            // indexes; a plain index on ArchivedAt made SQLite read and sort every unarchived run for it instead,
            // and a count had to read each run's row to check it (docs/benchmarks.md).
            run.HasIndex(r => r.CreatedAt, "IX_Runs_Unarchived_CreatedAt").HasFilter("\"ArchivedAt\" IS NULL");
            run.HasIndex(r => r.ArchivedAt).HasFilter("\"ArchivedAt\" IS NOT NULL");
            run.HasIndex(r => r.SweepId);
            // Deleting a sweep's row would leave its runs as plain runs (the app itself never deletes sweeps).
            run.HasOne<Sweep>().WithMany().HasForeignKey(r => r.SweepId).OnDelete(DeleteBehavior.SetNull);
            run.HasMany(r => r.EpochMetrics).WithOne().HasForeignKey(e => e.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        // Composite keys (run, epoch[, layer]) are also the indexes every per-run query uses.
        modelBuilder.Entity<EpochMetric>().HasKey(e => new { e.RunId, e.Epoch });

        modelBuilder.Entity<LayerMetric>(layer =>
        {
            layer.HasKey(l => new { l.RunId, l.Epoch, l.LayerIndex });
            layer.Property(l => l.Name).HasMaxLength(200);
            layer.Property(l => l.Kind).HasMaxLength(40);
            layer.Property(l => l.FitError).HasMaxLength(1000);
            layer.HasOne<Run>().WithMany().HasForeignKey(l => l.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Sweep>(sweep =>
        {
            sweep.Property(s => s.Name).HasMaxLength(Sweep.MaxNameLength);
            sweep.HasIndex(s => s.CreatedAt);
        });

        modelBuilder.Entity<SystemMetric>(metric =>
        {
            metric.HasKey(m => new { m.RunId, m.At });
            metric.HasOne<Run>().WithMany().HasForeignKey(m => m.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<LayerSpectrum>(spectrum =>
        {
            spectrum.HasKey(s => new { s.RunId, s.Epoch, s.LayerIndex });
            spectrum.HasOne<Run>().WithMany().HasForeignKey(s => s.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AuditEntry>(entry =>
        {
            entry.Property(a => a.Actor).HasMaxLength(256);
            entry.Property(a => a.ActorUserId).HasMaxLength(450);
            entry.Property(a => a.Action).HasMaxLength(40);
            entry.Property(a => a.Details).HasMaxLength(AuditEntry.MaxDetailsLength);
            entry.HasIndex(a => new { a.RunId, a.At });
            entry.HasOne<Run>().WithMany().HasForeignKey(a => a.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Diagnosis>(diagnosis =>
        {
            diagnosis.Property(d => d.FileName).HasMaxLength(Diagnosis.MaxFileNameLength);
            diagnosis.Property(d => d.Status).HasConversion<string>().HasMaxLength(20);
            diagnosis.Property(d => d.ErrorMessage).HasMaxLength(TempBalance.Web.Runs.UserMessages.MaxLength);
            diagnosis.Property(d => d.CreatedByUserId).HasMaxLength(450);
            diagnosis.Property(d => d.CreatedBy).HasMaxLength(256);
            diagnosis.HasIndex(d => d.CreatedAt);
            diagnosis.HasMany(d => d.Layers).WithOne().HasForeignKey(l => l.DiagnosisId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<DiagnosisLayer>(layer =>
        {
            layer.HasKey(l => new { l.DiagnosisId, l.LayerIndex });
            layer.Property(l => l.Name).HasMaxLength(500);
            layer.Property(l => l.Kind).HasMaxLength(40);
            layer.Property(l => l.Shape).HasMaxLength(100);
            layer.Property(l => l.DType).HasMaxLength(20);
            layer.Property(l => l.Verdict).HasConversion<string>().HasMaxLength(30);
            layer.Property(l => l.FitError).HasMaxLength(1000);
        });

        modelBuilder.Entity<ApiToken>(token =>
        {
            token.Property(t => t.Name).HasMaxLength(Auth.PersonalTokens.MaxNameLength);
            token.Property(t => t.TokenHash).HasMaxLength(64);
            token.Property(t => t.DisplayPrefix).HasMaxLength(20);
            token.HasIndex(t => t.TokenHash).IsUnique();
            token.HasOne<IdentityUser>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
