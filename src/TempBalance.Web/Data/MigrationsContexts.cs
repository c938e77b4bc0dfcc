using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace TempBalance.Web.Data;

// SQLite and PostgreSQL need different column types, so each provider keeps its own migration set
// (Data/Migrations/Sqlite, Data/Migrations/Postgres), owned by these two types with the same model:
//   dotnet ef migrations add <Name> --project src/TempBalance.Web --context SqliteMigrationsContext --output-dir Data/Migrations/Sqlite
//   dotnet ef migrations add <Name> --project src/TempBalance.Web --context PostgresMigrationsContext --output-dir Data/Migrations/Postgres

public sealed class SqliteMigrationsContext(DbContextOptions<SqliteMigrationsContext> options) : TempBalanceDbContext(options);

public sealed class PostgresMigrationsContext(DbContextOptions<PostgresMigrationsContext> options) : TempBalanceDbContext(options);

public sealed class SqliteMigrationsContextFactory : IDesignTimeDbContextFactory<SqliteMigrationsContext>
{
    public SqliteMigrationsContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteMigrationsContext>().UseSqlite("Data Source=design-time.db").Options);
}

public sealed class PostgresMigrationsContextFactory : IDesignTimeDbContextFactory<PostgresMigrationsContext>
{
    public PostgresMigrationsContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresMigrationsContext>().UseNpgsql("Host=localhost;Database=tempbalance").Options);
}
