using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TempBalance.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class HyperparameterColumns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Runs_ArchivedAt",
                table: "Runs");

            migrationBuilder.DropIndex(
                name: "IX_Runs_Status_CreatedAt",
                table: "Runs");

            migrationBuilder.AddColumn<int>(
                name: "BatchSize",
                table: "Runs",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "HyperparametersCopied",
                table: "Runs",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<double>(
                name: "Lr",
                table: "Runs",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "Momentum",
                table: "Runs",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Optimizer",
                table: "Runs",
                type: "TEXT",
                maxLength: 20,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Schedule",
                table: "Runs",
                type: "TEXT",
                maxLength: 20,
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "SnrCoefficient",
                table: "Runs",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Subset",
                table: "Runs",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "TbMaxRatio",
                table: "Runs",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "TbMinRatio",
                table: "Runs",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "WarmupEpochs",
                table: "Runs",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "WeightDecay",
                table: "Runs",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "WidthFactor",
                table: "Runs",
                type: "REAL",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Runs_ArchivedAt",
                table: "Runs",
                column: "ArchivedAt",
                filter: "\"ArchivedAt\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Runs_Status_CreatedAt",
                table: "Runs",
                columns: new[] { "Status", "CreatedAt" },
                filter: "\"ArchivedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Runs_Unarchived_CreatedAt",
                table: "Runs",
                column: "CreatedAt",
                filter: "\"ArchivedAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Runs_ArchivedAt",
                table: "Runs");

            migrationBuilder.DropIndex(
                name: "IX_Runs_Status_CreatedAt",
                table: "Runs");

            migrationBuilder.DropIndex(
                name: "IX_Runs_Unarchived_CreatedAt",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "BatchSize",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "HyperparametersCopied",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "Lr",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "Momentum",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "Optimizer",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "Schedule",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "SnrCoefficient",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "Subset",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "TbMaxRatio",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "TbMinRatio",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "WarmupEpochs",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "WeightDecay",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "WidthFactor",
                table: "Runs");

            migrationBuilder.CreateIndex(
                name: "IX_Runs_ArchivedAt",
                table: "Runs",
                column: "ArchivedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Runs_Status_CreatedAt",
                table: "Runs",
                columns: new[] { "Status", "CreatedAt" });
        }
    }
}
