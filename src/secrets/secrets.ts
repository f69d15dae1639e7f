/**
 * Secrets as the original has them: named sets of `KEY=VALUE` pairs kept by the backend (a 0600
 * file on the local backend, a Kubernetes Secret on a cluster) and handed to every job's
 * processes as environment variables. Values are never part of a manifest, a plan, a status or a
 * log line: only names and keys are ever shown.
 * @module
 */
import { UsageError } from '../errors.js';
import { RESERVED_ENV_NAMES } from '../task/types.js';

/** The kinds of secret konduktor knows. `env`: every key becomes an environment variable. */
export const SECRET_KINDS = ['env'] as const;

/** One of {@link SECRET_KINDS}. */
export type SecretKind = (typeof SECRET_KINDS)[number];

/** What `secret list` shows of a secret: never its values. */
export interface SecretInfo {
  /** The name the user gave (`konduktor secret create … NAME`). */
  readonly name: string;
  readonly kind: SecretKind;
  /** The variable names it sets, sorted. */
  readonly keys: readonly string[];
  /** When it was created, when the store knows. */
  readonly createdAt?: Date;
}

/** Where a backend keeps the user's secrets. */
export interface SecretStore {
  /** Where the secrets are kept, for messages (`the kubernetes backend (… namespace ns)`). */
  readonly description: string;
  /**
   * Creates a secret.
   * @throws {StateConflictError} when one of that name exists (delete it first).
   * @throws {BackendError} when the store cannot be written.
   */
  create(name: string, kind: SecretKind, data: Readonly<Record<string, string>>): Promise<void>;
  /** The user's secrets, sorted by name. @throws {BackendError} */
  list(): Promise<SecretInfo[]>;
  /**
   * Deletes a secret.
   * @throws {UsageError} when there is none of that name.
   * @throws {BackendError} when the store cannot be written.
   */
  delete(name: string): Promise<void>;
  /** Releases what the store holds (API clients). */
  close(): Promise<void>;
}

/** DNS-1123 label, as the original requires: it becomes part of a Kubernetes object name. */
const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Room left in a 63-character label for the `-<user hash>` suffix on Kubernetes. */
export const SECRET_NAME_MAX = 54;
const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks a secret name.
 * @throws {UsageError} naming the rule broken.
 */
export function checkSecretName(name: string): void {
  if (!NAME_PATTERN.test(name) || name.length > SECRET_NAME_MAX) {
    throw new UsageError(
      `secret name ${JSON.stringify(name)} is not valid: use lower-case letters, digits and '-', ` +
        `starting and ending with a letter or digit, at most ${SECRET_NAME_MAX} characters`,
    );
  }
}

/**
 * Checks a secret kind given on the command line.
 * @throws {UsageError} when it is not one of {@link SECRET_KINDS}.
 */
export function checkSecretKind(kind: string): SecretKind {
  const found = SECRET_KINDS.find((k) => k === kind);
  if (found === undefined) {
    throw new UsageError(
      `secret kind ${JSON.stringify(kind)} is not supported: use ${SECRET_KINDS.join(', ')}`,
    );
  }
  return found;
}

/**
 * Parses `--inline KEY=VALUE` pairs (the value may hold `=`; it may be empty). The message of a
 * bad pair names the key only: the value is a secret.
 * @throws {UsageError} on no pair, a pair without `=`, a key that is not a variable name, a
 *   reserved variable, a key given twice, or a value holding a NUL byte.
 */
export function parseInlinePairs(pairs: readonly string[]): Record<string, string> {
  if (pairs.length === 0) {
    throw new UsageError('give at least one --inline KEY=VALUE');
  }
  const data: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 0) {
      throw new UsageError(
        `--inline needs KEY=VALUE; the argument given has no '=' (write KEY= for an empty value)`,
      );
    }
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (!KEY_PATTERN.test(key)) {
      throw new UsageError(
        `--inline key ${JSON.stringify(key)} is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)`,
      );
    }
    if ((RESERVED_ENV_NAMES as readonly string[]).includes(key)) {
      throw new UsageError(
        `--inline key ${key} is set by konduktor on every node and cannot come from a secret`,
      );
    }
    if (key in data) throw new UsageError(`--inline key ${key} is given twice`);
    if (value.includes('\0')) {
      throw new UsageError(`--inline value of ${key} holds a NUL byte, which no variable can`);
    }
    data[key] = value;
  }
  return data;
}
