using Microsoft.EntityFrameworkCore;
using TempBalance.Web.Data;

namespace TempBalance.Web.Tests.Data;

/// <summary>A changed entity without its migration would only fail on a user's database, at start-up.</summary>
public class MigrationsTests
{
    [Fact]
    public void The_sqlite_migrations_match_the_model()
    {
        using var db = new SqliteMigrationsContextFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "run: dotnet ef migrations add <Name> --context SqliteMigrationsContext (see MigrationsContexts.cs)");
    }

    [Fact]
    public void The_postgres_migrations_match_the_model()
    {
        using var db = new PostgresMigrationsContextFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "run: dotnet ef migrations add <Name> --context PostgresMigrationsContext (see MigrationsContexts.cs)");
    }
}
