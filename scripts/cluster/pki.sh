#!/usr/bin/env bash
# Test-cluster PKI: a CA, component certificates and kubeconfigs (adapted from
# shared/docs/local-kubernetes-files/pki.sh). Throwaway: made fresh by every `up`.
# usage: pki.sh   (reads lib.sh; writes $P and $KUBECONFIG_OUT)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
mkdir -p "$P"; cd "$P"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 365 -subj "/CN=konduktor-k8s-ca" 2>/dev/null
cert() {  # cert NAME SUBJECT [SANS]
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"; [ -z "${3:-}" ] || echo "subjectAltName=$3"; } > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 \
    -out "$1.crt" -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
cert apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:$NODE_IP,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert admin "/O=system:masters/CN=kubernetes-admin"   # also the apiserver's kubelet-client cert
cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" "IP:$NODE_IP,DNS:$NODE_NAME"
cert kcm "/CN=system:kube-controller-manager"
cert sched "/CN=system:kube-scheduler"
cert webhook "/CN=konduktor-webhooks" "IP:127.0.0.1,DNS:localhost"
for d in jobset kueue; do mkdir -p "$d"; cp webhook.crt "$d/tls.crt"; cp webhook.key "$d/tls.key"; done
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
kubeconfig() {  # kubeconfig FILE USER SERVER   (certs embedded, so the file stands alone)
  cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: konduktor-local
  cluster:
    server: "$3"
    certificate-authority-data: $(base64 -w0 < "$P/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 < "$P/$2.crt")
    client-key-data: $(base64 -w0 < "$P/$2.key")
contexts:
- name: konduktor-local
  context: {cluster: konduktor-local, user: $2}
current-context: konduktor-local
KC
  chmod 600 "$1"
}
IN=https://$NODE_IP:$API_PORT   # inside the netns
for u in admin kcm sched kubelet; do kubeconfig "$P/$u.kubeconfig" $u "$IN"; done
mkdir -p "$(dirname "$KUBECONFIG_OUT")"
kubeconfig "$KUBECONFIG_OUT" admin "https://$HOST_API_ADDR:$HOST_API_PORT"   # root netns, via apiforward.py
