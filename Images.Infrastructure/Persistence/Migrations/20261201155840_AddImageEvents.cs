using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Images.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AddImageEvents : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "image_event_horizon",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false),
                    purged_through = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_image_event_horizon", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "image_events",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    event_id = table.Column<Guid>(type: "uuid", nullable: false),
                    event_type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    image_id = table.Column<Guid>(type: "uuid", nullable: false),
                    payload = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_image_events", x => x.id);
                });

            migrationBuilder.InsertData(
                table: "image_event_horizon",
                columns: new[] { "id", "purged_through" },
                values: new object[] { 1, 0L });

            migrationBuilder.CreateIndex(
                name: "ix_image_events_created_at",
                table: "image_events",
                column: "created_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "image_event_horizon");

            migrationBuilder.DropTable(
                name: "image_events");
        }
    }
}
