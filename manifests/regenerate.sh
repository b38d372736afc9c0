#!/usr/bin/env bash
# Regenerates the per-resource kustomize folders from the Aspire manifest with aspirate, where
# aspirate is installed (dotnet tool install -g aspirate; it is not available on the machines
# this repository is developed on). The committed base/ is what aspirate produces for the
# migrations, api and worker projects, reshaped by hand: non-root, read-only root filesystem,
# probes, resources, HPA, init-container ordering; the overlays and config/ are ours.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
dotnet run --project Images.AppHost -- --publisher manifest --output-path "$out/aspire-manifest.json"
if ! command -v aspirate >/dev/null 2>&1; then
    echo "aspirate is not installed; the Aspire manifest is at $out/aspire-manifest.json" >&2
    exit 1
fi
aspirate generate --project-path Images.AppHost --aspire-manifest "$out/aspire-manifest.json" \
    --output-path "$out/aspirate" --skip-build --non-interactive --disable-secrets --include-dashboard false
echo "aspirate output in $out/aspirate; compare with manifests/base and carry changes over by hand."
