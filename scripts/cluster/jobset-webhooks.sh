#!/usr/bin/env bash
# url-based webhook configurations for the JobSet manager running outside the cluster
# (names, paths and rules follow sigs.k8s.io/jobset v0.11.0 config/components/webhook/
# manifests.yaml + patches/; v0.11.0 serves only v1alpha2, so there is no conversion webhook).
# usage: P=<pki dir> URL=https://127.0.0.1:9443 jobset-webhooks.sh > webhooks.yaml
set -euo pipefail
P=${P:?}; URL=${URL:-https://127.0.0.1:9443}
CA=$(base64 -w0 < "$P/ca.crt")
hook() {  # hook NAME PATH GROUP VERSION RESOURCE OPERATIONS(json list) POD-SELECTOR(yes|no)
  cat <<H
- name: $1
  admissionReviewVersions: [v1]
  sideEffects: None
  failurePolicy: Fail
  timeoutSeconds: 10
  clientConfig: {url: "$URL$2", caBundle: "$CA"}
  rules: [{apiGroups: ["$3"], apiVersions: [$4], operations: $6, resources: [$5]}]
H
  [ "$7" = no ] || echo "  objectSelector: {matchExpressions: [{key: jobset.sigs.k8s.io/jobset-name, operator: Exists}]}"
}
echo "apiVersion: admissionregistration.k8s.io/v1"
echo "kind: MutatingWebhookConfiguration"
echo "metadata: {name: jobset-mutating-webhook-configuration}"
echo "webhooks:"
hook mjobset.kb.io /mutate-jobset-x-k8s-io-v1alpha2-jobset jobset.x-k8s.io v1alpha2 jobsets '[CREATE]' no
hook mpod.kb.io /mutate--v1-pod "" v1 pods '[CREATE]' yes
echo "---"
echo "apiVersion: admissionregistration.k8s.io/v1"
echo "kind: ValidatingWebhookConfiguration"
echo "metadata: {name: jobset-validating-webhook-configuration}"
echo "webhooks:"
hook vjobset.kb.io /validate-jobset-x-k8s-io-v1alpha2-jobset jobset.x-k8s.io v1alpha2 jobsets '[CREATE, UPDATE]' no
hook vpod.kb.io /validate--v1-pod "" v1 pods '[CREATE]' yes
