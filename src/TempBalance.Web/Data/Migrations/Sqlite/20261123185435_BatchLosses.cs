using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TempBalance.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class BatchLosses : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "BatchLosses",
                table: "EpochMetrics",
                type: "BLOB",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "BatchLosses",
                table: "EpochMetrics");
        }
    }
}
