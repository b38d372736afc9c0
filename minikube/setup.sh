#!/usr/bin/env bash
# Deploys the whole system to minikube: builds the three container images into minikube's
# Docker, applies the dev overlay (PostgreSQL and Kafka in the cluster) and the observability
# stack, then waits for the api. Needs minikube, kubectl and the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")/.."

# Calico: a CNI that enforces the NetworkPolicies (the default one ignores them).
minikube status >/dev/null 2>&1 || minikube start --cpus=4 --memory=8g --cni=calico
# Build straight into minikube's container runtime.
eval "$(minikube docker-env)"
for project in Images.Api Images.Worker Images.MigrationService; do
    dotnet publish "$project" -c Release --os linux --arch x64 -t:PublishContainer -p:ContainerRegistry=
done

# Every build is tagged latest, so the migrations Job (migrations-latest) would be unchanged and
# would not run again: delete the finished one first (the api and worker wait for the schema).
kubectl -n images delete job -l app.kubernetes.io/name=migrations --ignore-not-found
kubectl apply -k manifests/overlays/dev
kubectl apply -k manifests/observability
kubectl -n images wait --for=condition=complete job -l app.kubernetes.io/name=migrations --timeout=600s
kubectl -n images rollout status deployment/api --timeout=600s
kubectl -n images rollout status deployment/worker --timeout=600s
echo "api: $(minikube service api --namespace images --url)"
echo "grafana: $(minikube service grafana --namespace observability --url)"
