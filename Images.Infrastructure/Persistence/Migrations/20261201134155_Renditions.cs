using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Images.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Renditions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "renditions",
                table: "images",
                type: "jsonb",
                nullable: false,
                defaultValueSql: "'[]'::jsonb");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "renditions",
                table: "images");
        }
    }
}
