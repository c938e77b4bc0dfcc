using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace TempBalance.Web.Data.Migrations.Postgres
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    FileName = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    FileBytes = table.Column<long>(type: "bigint", nullable: false),
                    OptionsJson = table.Column<string>(type: "text", nullable: false),
                    Status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    FinishedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    ErrorMessage = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    LayersDone = table.Column<int>(type: "integer", nullable: false),
                    LayerTotal = table.Column<int>(type: "integer", nullable: false),
                    Summary = table.Column<string>(type: "text", nullable: true),
                    MeanAlpha = table.Column<double>(type: "double precision", nullable: true),
                    LayerCount = table.Column<int>(type: "integer", nullable: false),
                    Skipped = table.Column<string>(type: "text", nullable: true),
                    SkippedCount = table.Column<int>(type: "integer", nullable: false),
                    InputErrors = table.Column<string>(type: "text", nullable: true),
                    ElapsedSeconds = table.Column<double>(type: "double precision", nullable: true),
                    CreatedByUserId = table.Column<string>(type: "character varying(450)", maxLength: 450, nullable: true),
                    CreatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Diagnoses", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DiagnosisLayers",
                columns: table => new
                {
                    DiagnosisId = table.Column<long>(type: "bigint", nullable: false),
                    LayerIndex = table.Column<int>(type: "integer", nullable: false),
                    Name = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    Kind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Shape = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    DType = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    Part = table.Column<int>(type: "integer", nullable: false),
                    PartCount = table.Column<int>(type: "integer", nullable: false),
                    Rows = table.Column<long>(type: "bigint", nullable: false),
                    Columns = table.Column<long>(type: "bigint", nullable: false),
                    EigsNum = table.Column<int>(type: "integer", nullable: false),
                    Alpha = table.Column<double>(type: "double precision", nullable: true),
                    D = table.Column<double>(type: "double precision", nullable: true),
                    Xmin = table.Column<double>(type: "double precision", nullable: true),
                    TailSize = table.Column<int>(type: "integer", nullable: true),
                    AlphaWeighted = table.Column<double>(type: "double precision", nullable: true),
                    LogSpectralNorm = table.Column<double>(type: "double precision", nullable: true),
                    LogNorm = table.Column<double>(type: "double precision", nullable: true),
                    LogAlphaNorm = table.Column<double>(type: "double precision", nullable: true),
                    StableRank = table.Column<double>(type: "double precision", nullable: true),
                    MatrixEntropy = table.Column<double>(type: "double precision", nullable: true),
                    NumSpikes = table.Column<int>(type: "integer", nullable: true),
                    MpBulkMax = table.Column<double>(type: "double precision", nullable: true),
                    Verdict = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: false),
                    FitError = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    Histogram = table.Column<byte[]>(type: "bytea", nullable: false)
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
