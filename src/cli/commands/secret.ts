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
import type { OptionsOf } from '../options.js';
import { resolveTarget, type TargetFlags } from '../target.js';

async function withStore(
  flags: TargetFlags,
  act: (store: SecretStore) => Promise<ExitCode>,
): Promise<ExitCode> {
  // Where secrets go is resolved as every command's backend is (and refused alike).
  const target = await resolveTarget(flags);
  const store = await openSecretStore({
    backend: target.kind,
    home: target.home,
    context: target.context,
    namespace: target.namespace,
  });
  try {
    return await act(store);
  } finally {
    await store.close();
  }
}

/** Runs `secret create NAME --kind env --inline KEY=VALUE…`. */
export async function runSecretCreate(
  name: string,
  options: OptionsOf<'secret create'>,
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
export async function runSecretList(options: OptionsOf<'secret list'>): Promise<ExitCode> {
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
export async function runSecretDelete(
  name: string,
  options: OptionsOf<'secret delete'>,
): Promise<ExitCode> {
  return withStore(options, async (store) => {
    await store.delete(name);
    info(`secret ${name} deleted from ${store.description}`);
    return ExitCodes.SUCCESS;
  });
}
