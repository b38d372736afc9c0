using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Images.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AddInsight : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "dominant_color",
                table: "images",
                type: "character varying(7)",
                maxLength: 7,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "exif",
                table: "images",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "phash",
                table: "images",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "placeholder",
                table: "images",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "phash_b0",
                table: "images",
                type: "integer",
                nullable: true,
                computedColumnSql: "((phash >> 0) & 65535)::integer",
                stored: true);

            migrationBuilder.AddColumn<int>(
                name: "phash_b1",
                table: "images",
                type: "integer",
                nullable: true,
                computedColumnSql: "((phash >> 16) & 65535)::integer",
                stored: true);

            migrationBuilder.AddColumn<int>(
                name: "phash_b2",
                table: "images",
                type: "integer",
                nullable: true,
                computedColumnSql: "((phash >> 32) & 65535)::integer",
                stored: true);

            migrationBuilder.AddColumn<int>(
                name: "phash_b3",
                table: "images",
                type: "integer",
                nullable: true,
                computedColumnSql: "((phash >> 48) & 65535)::integer",
                stored: true);

            migrationBuilder.CreateIndex(
                name: "ix_images_phash_b0",
                table: "images",
                column: "phash_b0");

            migrationBuilder.CreateIndex(
                name: "ix_images_phash_b1",
                table: "images",
                column: "phash_b1");

            migrationBuilder.CreateIndex(
                name: "ix_images_phash_b2",
                table: "images",
                column: "phash_b2");

            migrationBuilder.CreateIndex(
                name: "ix_images_phash_b3",
                table: "images",
                column: "phash_b3");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_images_phash_b0",
                table: "images");

            migrationBuilder.DropIndex(
                name: "ix_images_phash_b1",
                table: "images");

            migrationBuilder.DropIndex(
                name: "ix_images_phash_b2",
                table: "images");

            migrationBuilder.DropIndex(
                name: "ix_images_phash_b3",
                table: "images");

            migrationBuilder.DropColumn(
                name: "phash_b0",
                table: "images");

            migrationBuilder.DropColumn(
                name: "phash_b1",
                table: "images");

            migrationBuilder.DropColumn(
                name: "phash_b2",
                table: "images");

            migrationBuilder.DropColumn(
                name: "phash_b3",
                table: "images");

            migrationBuilder.DropColumn(
                name: "dominant_color",
                table: "images");

            migrationBuilder.DropColumn(
                name: "exif",
                table: "images");

            migrationBuilder.DropColumn(
                name: "phash",
                table: "images");

            migrationBuilder.DropColumn(
                name: "placeholder",
                table: "images");
        }
    }
}
