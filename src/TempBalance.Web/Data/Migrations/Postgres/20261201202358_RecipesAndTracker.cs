using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TempBalance.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RecipesAndTracker : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "ArchivedAt",
                table: "Runs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "EnvironmentJson",
                table: "Runs",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Name",
                table: "Runs",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Phase",
                table: "Runs",
                type: "character varying(20)",
                maxLength: 20,
                nullable: true);

            migrationBuilder.AlterColumn<double>(
                name: "LearningRate",
                table: "LayerMetrics",
                type: "double precision",
                nullable: true,
                oldClrType: typeof(double),
                oldType: "double precision");

            migrationBuilder.AddColumn<double>(
                name: "J",
                table: "LayerMetrics",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "J0",
                table: "LayerMetrics",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "NextLearningRate",
                table: "LayerMetrics",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AlterColumn<double>(
                name: "LearningRate",
                table: "EpochMetrics",
                type: "double precision",
                nullable: true,
                oldClrType: typeof(double),
                oldType: "double precision");

            migrationBuilder.CreateTable(
                name: "SystemMetrics",
                columns: table => new
                {
                    RunId = table.Column<long>(type: "bigint", nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CpuPercent = table.Column<double>(type: "double precision", nullable: false),
                    MemoryMegabytes = table.Column<double>(type: "double precision", nullable: false),
                    GpuUtilizationPercent = table.Column<double>(type: "double precision", nullable: true),
                    GpuMemoryMegabytes = table.Column<double>(type: "double precision", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SystemMetrics", x => new { x.RunId, x.At });
                    table.ForeignKey(
                        name: "FK_SystemMetrics_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Runs_ArchivedAt",
                table: "Runs",
                column: "ArchivedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "SystemMetrics");

            migrationBuilder.DropIndex(
                name: "IX_Runs_ArchivedAt",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "ArchivedAt",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "EnvironmentJson",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "Name",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "Phase",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "J",
                table: "LayerMetrics");

            migrationBuilder.DropColumn(
                name: "J0",
                table: "LayerMetrics");

            migrationBuilder.DropColumn(
                name: "NextLearningRate",
                table: "LayerMetrics");

            migrationBuilder.AlterColumn<double>(
                name: "LearningRate",
                table: "LayerMetrics",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0,
                oldClrType: typeof(double),
                oldType: "double precision",
                oldNullable: true);

            migrationBuilder.AlterColumn<double>(
                name: "LearningRate",
                table: "EpochMetrics",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0,
                oldClrType: typeof(double),
                oldType: "double precision",
                oldNullable: true);
        }
    }
}
