/**
 * The local backend's secrets: one 0600 JSON file per secret in `$KONDUKTOR_HOME/secrets/`
 * (0700). The launcher reads them when a job starts ({@link localEnvSecrets}) and passes the
 * variables to the job's processes through the job's 0600 launch record; nothing else reads them.
 * @module
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { BackendError, StateConflictError, UsageError } from '../errors.js';
import {
  checkSecretName,
  type SecretInfo,
  type SecretKind,
  type SecretStore,
  SECRET_KINDS,
} from './secrets.js';

/** What one secret file holds. */
interface SecretFile {
  readonly kind: SecretKind;
  readonly data: Record<string, string>;
  readonly createdAt: string;
}

/** The directory of a home's secrets. */
export function secretsDir(home: string): string {
  return join(home, 'secrets');
}

function readSecretFile(path: string): SecretFile | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<SecretFile>;
    const kind = SECRET_KINDS.find((k) => k === parsed.kind);
    const given: unknown = parsed.data;
    if (kind === undefined || typeof given !== 'object' || given === null) return undefined;
    const data: Record<string, string> = {};
    for (const [key, value] of Object.entries(given)) {
      if (typeof value === 'string') data[key] = value;
    }
    return { kind, data, createdAt: String(parsed.createdAt) };
  } catch {
    // A file another process is writing, or one a person broke: not a secret konduktor can use.
    return undefined;
  }
}

function secretFiles(home: string): { name: string; file: SecretFile }[] {
  let names: string[];
  try {
    names = readdirSync(secretsDir(home));
  } catch {
    return [];
  }
  return names
    .filter((entry) => entry.endsWith('.json'))
    .map((entry) => entry.slice(0, -'.json'.length))
    .sort()
    .flatMap((name) => {
      const file = readSecretFile(join(secretsDir(home), `${name}.json`));
      return file === undefined ? [] : [{ name, file }];
    });
}

/**
 * The variables of every env secret of a home, secrets taken in name order (a later name wins a
 * key both set). Empty when there are none.
 */
export function localEnvSecrets(home: string): Record<string, string> {
  const env: Record<string, string> = {};
  // Every kind konduktor has is `env` today; a later kind is filtered here.
  for (const { file } of secretFiles(home)) Object.assign(env, file.data);
  return env;
}

/** The local backend's {@link SecretStore}. */
export class LocalSecretStore implements SecretStore {
  readonly description: string;
  readonly #home: string;

  constructor(home: string) {
    this.#home = home;
    this.description = `the local backend (${secretsDir(home)})`;
  }

  create(name: string, kind: SecretKind, data: Readonly<Record<string, string>>): Promise<void> {
    checkSecretName(name);
    const dir = secretsDir(this.#home);
    const target = join(dir, `${name}.json`);
    const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // A directory made earlier with a looser mode is tightened: it holds credentials.
      if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
      const file: SecretFile = { kind, data: { ...data }, createdAt: new Date().toISOString() };
      writeFileSync(temp, JSON.stringify(file), { mode: 0o600, flag: 'wx' });
      // link(2) fails when the name exists: two concurrent creates cannot both win.
      linkSync(temp, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        return Promise.reject(
          new StateConflictError(
            `secret ${name} exists on ${this.description}: delete it first (konduktor secret delete ${name})`,
          ),
        );
      }
      return Promise.reject(
        new BackendError(`could not write secret ${name} in ${dir}: ${String(err)}`, {
          cause: err,
        }),
      );
    } finally {
      rmSync(temp, { force: true });
    }
    return Promise.resolve();
  }

  list(): Promise<SecretInfo[]> {
    return Promise.resolve(
      secretFiles(this.#home).map(({ name, file }) => {
        const createdAt = new Date(file.createdAt);
        return {
          name,
          kind: file.kind,
          keys: Object.keys(file.data).sort(),
          ...(Number.isNaN(createdAt.getTime()) ? {} : { createdAt }),
        };
      }),
    );
  }

  delete(name: string): Promise<void> {
    checkSecretName(name);
    try {
      unlinkSync(join(secretsDir(this.#home), `${name}.json`));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return Promise.reject(
          new UsageError(
            `no secret ${name} on ${this.description}; konduktor secret list shows the secrets there`,
          ),
        );
      }
      return Promise.reject(
        new BackendError(`could not delete secret ${name}: ${String(err)}`, { cause: err }),
      );
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
