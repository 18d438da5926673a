#!/usr/bin/env bash
# Creates the Secrets of the local overlay with random credentials (nothing is written to disk or to git).
# Run once before `kubectl apply -k deploy/k8s/overlays/local`; running it again keeps existing Secrets.
set -euo pipefail
namespace="${NAMESPACE:-text-to-image}"
random() { head -c 18 /dev/urandom | base64 | tr -d '/+=' ; }

kubectl get namespace "$namespace" >/dev/null 2>&1 || kubectl create namespace "$namespace"
exists() { kubectl -n "$namespace" get secret "$1" >/dev/null 2>&1; }

exists t2i-postgresql || kubectl -n "$namespace" create secret generic t2i-postgresql \
  --from-literal=username=texttoimage --from-literal=password="$(random)"

if ! exists t2i-rabbitmq; then
  rabbit_password="$(random)"
  kubectl -n "$namespace" create secret generic t2i-rabbitmq \
    --from-literal=username=texttoimage --from-literal=password="$rabbit_password" \
    --from-literal=management-uri="http://texttoimage:${rabbit_password}@rabbitmq.${namespace}.svc:15672/"
fi

if ! exists t2i-s3; then
  access_key="$(random)"
  kubectl -n "$namespace" create secret generic t2i-s3 \
    --from-literal=access-key="t2i-${access_key:0:8}" --from-literal=secret-key="$(random)"
fi

if ! exists t2i-service-token; then
  service_token="$(random)$(random)"
  kubectl -n "$namespace" create secret generic t2i-service-token \
    --from-literal=token="$service_token" --from-literal=accepted="$service_token"
fi

if ! exists t2i-gateway-auth; then
  kubectl -n "$namespace" create secret generic t2i-gateway-auth \
    --from-literal=secret="$(random)$(random)$(random)" --from-literal=bootstrap-admin-key="$(random)$(random)$(random)"
fi

echo "Secrets t2i-postgresql, t2i-rabbitmq, t2i-s3, t2i-service-token and t2i-gateway-auth are in namespace $namespace."
echo "The bootstrap admin key: kubectl -n $namespace get secret t2i-gateway-auth -o jsonpath='{.data.bootstrap-admin-key}' | base64 -d"
