#!/usr/bin/env bash
# Removes what setup.sh deployed (the minikube cluster itself is left running).
set -euo pipefail
cd "$(dirname "$0")/.."
kubectl delete -k manifests/observability --ignore-not-found
kubectl delete -k manifests/overlays/dev --ignore-not-found
