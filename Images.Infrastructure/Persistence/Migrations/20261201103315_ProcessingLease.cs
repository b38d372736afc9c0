using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Images.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ProcessingLease : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // xmin was the concurrency token until now: a system column, nothing to drop. The
            // explicit version replaces it because lease renewals must not look like conflicts.
            migrationBuilder.AddColumn<int>(
                name: "version",
                table: "images",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "lapsed_attempts",
                table: "images",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "lease_expires_at",
                table: "images",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "lease_holder",
                table: "images",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "lapsed_attempts",
                table: "images");

            migrationBuilder.DropColumn(
                name: "lease_expires_at",
                table: "images");

            migrationBuilder.DropColumn(
                name: "lease_holder",
                table: "images");

            migrationBuilder.DropColumn(
                name: "version",
                table: "images");
        }
    }
}
