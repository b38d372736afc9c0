#!/usr/bin/env bash
# Exercises every endpoint of the deployed api with curl and prints the answers.
# Usage: minikube/demo.sh [api-url] (default: minikube service api --url, the dev overlay's NodePort)
set -euo pipefail
api=${1:-$(minikube service api --namespace images --url)}
key=${IMG_API_KEY:-dev-api-key}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

show() { printf '\n== %s\n' "$1"; }
call() { curl --silent --show-error -H "X-API-Key: ${key}" "$@"; echo; }

# A small PNG made on the spot (a 2x2 image), so the demo needs no sample files.
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00\xfd\xd4\x9as\x00\x00\x00\x16IDATx\x9cc\xf8\xcf\xc0\xc0\xf0\x9f\x81\x81\xe1?\x03\x03\x00\x1e\xf5\x04\xfc\x8b\xb0\x9a\xac\x00\x00\x00\x00IEND\xaeB`\x82' > "$work/demo.png"

show "GET /health"
curl --silent --show-error "$api/health"; echo
show "POST /api/v1/images/ (upload, tags, ttl_hours)"
upload=$(call -F "file=@$work/demo.png;type=image/png" -F tags=demo,minikube -F ttl_hours=1 "$api/api/v1/images/")
echo "$upload"
id=$(printf '%s' "$upload" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
show "POST /api/v1/images/$id/process"
call -X POST "$api/api/v1/images/$id/process"
show "GET /api/v1/images/$id"
call "$api/api/v1/images/$id"
show "GET /api/v1/images/?limit=5&status=completed"
call "$api/api/v1/images/?limit=5&status=completed"
show "GET /api/v1/images/$id/download (original, bytes)"
curl --silent --show-error -H "X-API-Key: ${key}" -o "$work/original" "$api/api/v1/images/$id/download"; wc -c < "$work/original"
show "GET /api/v1/images/$id/download?thumbnail=true (thumbnail, bytes)"
curl --silent --show-error -H "X-API-Key: ${key}" -o "$work/thumb.jpg" "$api/api/v1/images/$id/download?thumbnail=true"; wc -c < "$work/thumb.jpg"
show "POST /api/v1/images/batch/process"
call -X POST -H 'Content-Type: application/json' -d "{\"image_ids\": [\"$id\", \"00000000-0000-0000-0000-000000000000\"], \"concurrency\": 2}" "$api/api/v1/images/batch/process"
show "POST /api/v1/retention/sweep"
call -X POST "$api/api/v1/retention/sweep"
show "GET /api/v1/images/ without the API key (401)"
curl --silent --show-error -o /dev/null -w '%{http_code}\n' "$api/api/v1/images/"
