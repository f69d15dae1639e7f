// The backend conformance suite (the same one the local backend passes) against the real local
// cluster (npm run cluster:up), in a namespace of its own.
import { after, before } from 'node:test';
import { KubernetesBackend } from '../../src/backends/kubernetes/kubernetes-backend.js';
import { defineConformance } from '../conformance/backend-conformance.js';
import {
  type Cluster,
  WORKLOAD_IMAGE,
  connect,
  createNamespace,
  deleteNamespace,
  kubeconfigPath,
} from './cluster.js';

let cluster: Cluster;
let namespace = '';
before(async () => {
  cluster = connect();
  namespace = await createNamespace(cluster, 'konduktor-conformance');
});
after(async () => {
  if (namespace !== '') await deleteNamespace(cluster, namespace);
});

defineConformance('kubernetes', {
  makeBackend: () =>
    KubernetesBackend.connect({ home: '/nonexistent', kubeconfig: kubeconfigPath(), namespace }),
  baseResources: { cpus: 0.1, memory: 0.1, imageId: WORKLOAD_IMAGE },
  // Pod start-up on this 2-core node takes seconds; restarts recreate every pod.
  jobTimeoutMs: 180_000,
});
