/**
 * `konduktor secret create|list|delete`: the user's secrets on a backend. Values are taken from
 * the command line and never printed; `list` shows names, kinds and keys.
 * @module
 */
import { openSecretStore } from '../../secrets/open.js';
import { checkSecretKind, parseInlinePairs, type SecretStore } from '../../secrets/secrets.js';
import { type ExitCode, ExitCodes } from '../exit-codes.js';
import { info, out } from '../output.js';
import { renderTable } from '../table.js';
import type { BackendFlags } from './common.js';

/** The options of `secret create`. */
export interface SecretCreateOptions extends BackendFlags {
  readonly kind: string;
  readonly inline: string[];
}

async function withStore(
  flags: BackendFlags,
  act: (store: SecretStore) => Promise<ExitCode>,
): Promise<ExitCode> {
  const store = await openSecretStore(flags);
  try {
    return await act(store);
  } finally {
    await store.close();
  }
}

/** Runs `secret create NAME --kind env --inline KEY=VALUE…`. */
export async function runSecretCreate(
  name: string,
  options: SecretCreateOptions,
): Promise<ExitCode> {
  // Every check before any backend: a bad command creates nothing.
  const kind = checkSecretKind(options.kind);
  const data = parseInlinePairs(options.inline);
  return withStore(options, async (store) => {
    await store.create(name, kind, data);
    const keys = Object.keys(data).sort().join(', ');
    info(`secret ${name} (${kind}: ${keys}) created on ${store.description}`);
    return ExitCodes.SUCCESS;
  });
}

/** Runs `secret list [--json]`. */
export async function runSecretList(
  options: BackendFlags & { readonly json?: true },
): Promise<ExitCode> {
  return withStore(options, async (store) => {
    const secrets = await store.list();
    if (options.json === true) {
      out(
        JSON.stringify(
          secrets.map((s) => ({
            name: s.name,
            kind: s.kind,
            keys: s.keys,
            ...(s.createdAt === undefined ? {} : { createdAt: s.createdAt.toISOString() }),
          })),
        ),
      );
    } else if (secrets.length === 0) {
      info(`no secrets on ${store.description}`);
    } else {
      out(
        renderTable(
          ['NAME', 'KIND', 'KEYS'],
          secrets.map((s) => [s.name, s.kind, s.keys.join(',')]),
        ),
      );
    }
    return ExitCodes.SUCCESS;
  });
}

/** Runs `secret delete NAME`. */
export async function runSecretDelete(name: string, options: BackendFlags): Promise<ExitCode> {
  return withStore(options, async (store) => {
    await store.delete(name);
    info(`secret ${name} deleted from ${store.description}`);
    return ExitCodes.SUCCESS;
  });
}
