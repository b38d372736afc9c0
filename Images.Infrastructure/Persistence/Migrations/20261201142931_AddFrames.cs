using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Images.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AddFrames : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "frames",
                table: "images",
                type: "integer",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "frames",
                table: "images");
        }
    }
}
