/**
 * Secrets on a cluster: one Kubernetes Secret per konduktor secret, named `<NAME>-<user hash>`
 * (several users share a namespace, as in the original) and labelled with its name, kind and
 * owner. Jobs take every env secret of their user through `envFrom.secretRef`
 * ({@link envSecretRefs}), so values never appear in a JobSet, Job or Pod object.
 * @module
 */
import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { BackendError, StateConflictError, UsageError } from '../errors.js';
import { apiMessage, statusOf } from '../backends/kubernetes/client.js';
import type { SecretInfo, SecretKind, SecretStore } from './secrets.js';
import { checkSecretName, SECRET_KINDS } from './secrets.js';

/** Labels on every Secret `konduktor secret create` makes. */
export const SECRET_LABELS = {
  /** The name the user gave. */
  name: 'konduktor.dev/secret-name',
  /** The kind (`env`). */
  kind: 'konduktor.dev/secret-kind',
  /** The owner, as {@link userLabel} writes it. */
  user: 'konduktor.dev/secret-owner',
} as const;

/** The owner label value of a user: 16 hex characters of SHA-256 (a name may not be a label). */
export function userLabel(user: string): string {
  return createHash('sha256').update(user).digest('hex').slice(0, 16);
}

/** The Secret object's name for a secret of a user. */
export function secretObjectName(name: string, user: string): string {
  return `${name}-${userLabel(user).slice(0, 8)}`;
}

function selector(user: string, kind?: SecretKind): string {
  const parts = [`${SECRET_LABELS.user}=${userLabel(user)}`, SECRET_LABELS.name];
  if (kind !== undefined) parts.push(`${SECRET_LABELS.kind}=${kind}`);
  return parts.join(',');
}

/**
 * The Secret names of every env secret of a user in a namespace, sorted by secret name (the
 * order `envFrom` takes them in: a later one wins a key both set).
 * @throws {BackendError} when the Secrets cannot be listed.
 */
export async function envSecretRefs(
  core: k8s.CoreV1Api,
  namespace: string,
  user: string,
): Promise<string[]> {
  try {
    const list = await core.listNamespacedSecret({
      namespace,
      labelSelector: selector(user, 'env'),
    });
    return list.items
      .map((s) => ({
        name: s.metadata?.labels?.[SECRET_LABELS.name] ?? '',
        object: s.metadata?.name ?? '',
      }))
      .filter((s) => s.object !== '')
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((s) => s.object);
  } catch (err) {
    throw new BackendError(
      `could not list your secrets in namespace ${namespace} (jobs take them as environment variables): ${apiMessage(err)}`,
      { cause: err },
    );
  }
}

/** Bumped by every secret this process creates or deletes (see {@link secretsChangedHere}). */
let secretChanges = 0;

/**
 * How many times this process created or deleted a secret so far: a launch that keeps the list
 * of env secrets for a while lists again when this moved.
 */
export function secretsChangedHere(): number {
  return secretChanges;
}

/** The {@link SecretStore} of a namespace, for one user. */
export class KubernetesSecretStore implements SecretStore {
  readonly description: string;
  readonly #core: k8s.CoreV1Api;
  readonly #namespace: string;
  readonly #user: string;

  constructor(kc: k8s.KubeConfig, namespace: string, user: string) {
    this.#core = kc.makeApiClient(k8s.CoreV1Api);
    this.#namespace = namespace;
    this.#user = user;
    this.description = `the kubernetes backend (context ${kc.getCurrentContext()}, namespace ${namespace})`;
  }

  async create(
    name: string,
    kind: SecretKind,
    data: Readonly<Record<string, string>>,
  ): Promise<void> {
    checkSecretName(name);
    try {
      // client-node's models are classes; the API takes their plain-data shape.
      const body = Object.assign(new k8s.V1Secret(), {
        metadata: Object.assign(new k8s.V1ObjectMeta(), {
          name: secretObjectName(name, this.#user),
          labels: {
            [SECRET_LABELS.name]: name,
            [SECRET_LABELS.kind]: kind,
            [SECRET_LABELS.user]: userLabel(this.#user),
          },
        }),
        type: 'Opaque',
        stringData: { ...data },
      });
      await this.#core.createNamespacedSecret({ namespace: this.#namespace, body });
      secretChanges += 1;
    } catch (err) {
      if (statusOf(err) === 409) {
        throw new StateConflictError(
          `secret ${name} exists on ${this.description}: delete it first (konduktor secret delete ${name})`,
        );
      }
      throw this.#error(err, `create secret ${name}`);
    }
  }

  async list(): Promise<SecretInfo[]> {
    try {
      const list = await this.#core.listNamespacedSecret({
        namespace: this.#namespace,
        labelSelector: selector(this.#user),
      });
      return list.items
        .flatMap((s): SecretInfo[] => {
          const kind = SECRET_KINDS.find((k) => k === s.metadata?.labels?.[SECRET_LABELS.kind]);
          const name = s.metadata?.labels?.[SECRET_LABELS.name];
          if (kind === undefined || name === undefined) return [];
          const created = s.metadata?.creationTimestamp;
          return [
            {
              name,
              kind,
              keys: Object.keys(s.data ?? {}).sort(),
              ...(created === undefined ? {} : { createdAt: new Date(created) }),
            },
          ];
        })
        .sort((a, b) => a.name.localeCompare(b.name));
    } catch (err) {
      throw this.#error(err, 'list secrets');
    }
  }

  async delete(name: string): Promise<void> {
    checkSecretName(name);
    try {
      await this.#core.deleteNamespacedSecret({
        namespace: this.#namespace,
        name: secretObjectName(name, this.#user),
      });
      secretChanges += 1;
    } catch (err) {
      if (statusOf(err) === 404) {
        throw new UsageError(
          `no secret ${name} of yours on ${this.description}; konduktor secret list shows them`,
        );
      }
      throw this.#error(err, `delete secret ${name}`);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #error(err: unknown, what: string): BackendError {
    return new BackendError(`could not ${what} on ${this.description}: ${apiMessage(err)}`, {
      cause: err,
    });
  }
}
