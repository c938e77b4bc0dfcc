using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TempBalance.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Diagnoses : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Diagnoses",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    FileName = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    FileBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    OptionsJson = table.Column<string>(type: "TEXT", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    FinishedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ErrorMessage = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    LayersDone = table.Column<int>(type: "INTEGER", nullable: false),
                    LayerTotal = table.Column<int>(type: "INTEGER", nullable: false),
                    Summary = table.Column<string>(type: "TEXT", nullable: true),
                    MeanAlpha = table.Column<double>(type: "REAL", nullable: true),
                    LayerCount = table.Column<int>(type: "INTEGER", nullable: false),
                    Skipped = table.Column<string>(type: "TEXT", nullable: true),
                    SkippedCount = table.Column<int>(type: "INTEGER", nullable: false),
                    InputErrors = table.Column<string>(type: "TEXT", nullable: true),
                    ElapsedSeconds = table.Column<double>(type: "REAL", nullable: true),
                    CreatedByUserId = table.Column<string>(type: "TEXT", maxLength: 450, nullable: true),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Diagnoses", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DiagnosisLayers",
                columns: table => new
                {
                    DiagnosisId = table.Column<long>(type: "INTEGER", nullable: false),
                    LayerIndex = table.Column<int>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    Shape = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    DType = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Part = table.Column<int>(type: "INTEGER", nullable: false),
                    PartCount = table.Column<int>(type: "INTEGER", nullable: false),
                    Rows = table.Column<long>(type: "INTEGER", nullable: false),
                    Columns = table.Column<long>(type: "INTEGER", nullable: false),
                    EigsNum = table.Column<int>(type: "INTEGER", nullable: false),
                    Alpha = table.Column<double>(type: "REAL", nullable: true),
                    D = table.Column<double>(type: "REAL", nullable: true),
                    Xmin = table.Column<double>(type: "REAL", nullable: true),
                    TailSize = table.Column<int>(type: "INTEGER", nullable: true),
                    AlphaWeighted = table.Column<double>(type: "REAL", nullable: true),
                    LogSpectralNorm = table.Column<double>(type: "REAL", nullable: true),
                    LogNorm = table.Column<double>(type: "REAL", nullable: true),
                    LogAlphaNorm = table.Column<double>(type: "REAL", nullable: true),
                    StableRank = table.Column<double>(type: "REAL", nullable: true),
                    MatrixEntropy = table.Column<double>(type: "REAL", nullable: true),
                    NumSpikes = table.Column<int>(type: "INTEGER", nullable: true),
                    MpBulkMax = table.Column<double>(type: "REAL", nullable: true),
                    Verdict = table.Column<string>(type: "TEXT", maxLength: 30, nullable: false),
                    FitError = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    Histogram = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DiagnosisLayers", x => new { x.DiagnosisId, x.LayerIndex });
                    table.ForeignKey(
                        name: "FK_DiagnosisLayers_Diagnoses_DiagnosisId",
                        column: x => x.DiagnosisId,
                        principalTable: "Diagnoses",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Diagnoses_CreatedAt",
                table: "Diagnoses",
                column: "CreatedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DiagnosisLayers");

            migrationBuilder.DropTable(
                name: "Diagnoses");
        }
    }
}
