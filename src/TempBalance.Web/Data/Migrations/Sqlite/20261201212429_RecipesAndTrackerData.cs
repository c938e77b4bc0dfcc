using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TempBalance.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RecipesAndTrackerData : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Data, after the schema change (SQLite rebuilds altered tables at the end of a migration): the canonical
            // preset name, a default run name, and the learning rates with one meaning (the rate used DURING the
            // row's epoch; the one assigned after it moves to NextLearningRate).
            migrationBuilder.Sql("""UPDATE "Runs" SET "Method" = 'tb' WHERE "Method" = 'tempbalance';""");
            migrationBuilder.Sql("""UPDATE "Runs" SET "Name" = "Method" || ' · ' || "Model" || ' · ' || "Dataset" || ' · seed ' || CAST("Seed" AS TEXT) WHERE "Name" IS NULL;""");
            migrationBuilder.Sql("""UPDATE "LayerMetrics" SET "NextLearningRate" = "LearningRate";""");
            migrationBuilder.Sql("""
                UPDATE "LayerMetrics" SET "LearningRate" = (
                    SELECT p."NextLearningRate" FROM "LayerMetrics" AS p
                    WHERE p."RunId" = "LayerMetrics"."RunId" AND p."LayerIndex" = "LayerMetrics"."LayerIndex" AND p."Epoch" = "LayerMetrics"."Epoch" - 1);
                """);
            migrationBuilder.Sql("""UPDATE "EpochMetrics" SET "LearningRate" = NULL WHERE "Epoch" = 0;""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""UPDATE "LayerMetrics" SET "LearningRate" = "NextLearningRate";""");
            migrationBuilder.Sql("""UPDATE "EpochMetrics" SET "LearningRate" = 0 WHERE "LearningRate" IS NULL;""");
            migrationBuilder.Sql("""UPDATE "Runs" SET "Method" = 'tempbalance' WHERE "Method" = 'tb';""");
        }
    }
}
