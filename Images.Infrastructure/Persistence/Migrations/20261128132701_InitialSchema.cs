using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Images.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class InitialSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "blob_collection_queue",
                columns: table => new
                {
                    content_hash = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: false),
                    enqueued_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_blob_collection_queue", x => x.content_hash);
                });

            migrationBuilder.CreateTable(
                name: "image_count_deltas",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    delta = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_image_count_deltas", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "images",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    filename = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    content_type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    size_bytes = table.Column<long>(type: "bigint", nullable: false),
                    content_hash = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: false),
                    format = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    width = table.Column<int>(type: "integer", nullable: true),
                    height = table.Column<int>(type: "integer", nullable: true),
                    channels = table.Column<int>(type: "integer", nullable: true),
                    has_alpha = table.Column<bool>(type: "boolean", nullable: true),
                    thumbnail_available = table.Column<bool>(type: "boolean", nullable: false),
                    error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    processing_started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    xmin = table.Column<uint>(type: "xid", rowVersion: true, nullable: false),
                    tags = table.Column<List<string>>(type: "text[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_images", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_image_count_deltas_status",
                table: "image_count_deltas",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "ix_images_content_hash",
                table: "images",
                column: "content_hash");

            migrationBuilder.CreateIndex(
                name: "ix_images_created_at",
                table: "images",
                columns: new[] { "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_images_expires_at",
                table: "images",
                column: "expires_at",
                filter: "expires_at IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_images_status_created_at",
                table: "images",
                columns: new[] { "status", "created_at" });

            // NFR-3: the list's total comes from per-status deltas kept by these triggers, never
            // from counting the images table. Appends only, so concurrent writers never block.
            migrationBuilder.Sql(@"
CREATE FUNCTION images_count_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO image_count_deltas (status, delta) VALUES (OLD.status, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO image_count_deltas (status, delta) VALUES (NEW.status, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER images_count_insert_delete AFTER INSERT OR DELETE ON images
    FOR EACH ROW EXECUTE FUNCTION images_count_delta();

CREATE TRIGGER images_count_status_update AFTER UPDATE OF status ON images
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION images_count_delta();

CREATE FUNCTION compact_image_count_deltas() RETURNS void LANGUAGE sql AS $$
    WITH gone AS (DELETE FROM image_count_deltas RETURNING status, delta)
    INSERT INTO image_count_deltas (status, delta)
    SELECT status, sum(delta) FROM gone GROUP BY status;
$$;
");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(@"
DROP TRIGGER IF EXISTS images_count_status_update ON images;
DROP TRIGGER IF EXISTS images_count_insert_delete ON images;
DROP FUNCTION IF EXISTS compact_image_count_deltas();
DROP FUNCTION IF EXISTS images_count_delta();
");

            migrationBuilder.DropTable(
                name: "blob_collection_queue");

            migrationBuilder.DropTable(
                name: "image_count_deltas");

            migrationBuilder.DropTable(
                name: "images");
        }
    }
}
