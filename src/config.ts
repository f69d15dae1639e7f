/**
 * The user's configuration, `$KONDUKTOR_HOME/config.yaml` (default `~/.konduktor/config.yaml`):
 *
 * ```yaml
 * backend: local            # the default backend: local | kubernetes
 * local:
 *   capacity: { cpus: 8, memory: 64, gpus: 2 }
 * kubernetes:
 *   context: my-cluster     # default: the kubeconfig's current context
 *   namespace: research     # default: the context's namespace
 * ```
 * @module
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Yaml from 'yaml';
import type * as Zod from 'zod';
import { UsageError } from './errors.js';

// The parser and the schema library are loaded only when a config file exists: most commands
// (status, result) run without one and should not pay for loading them.
const require = createRequire(import.meta.url);
let schema: ReturnType<typeof makeSchema> | undefined;

function makeSchema(z: typeof Zod.z) {
  const positive = z.number().positive();
  return z.strictObject({
    backend: z.enum(['local', 'kubernetes']).optional(),
    local: z
      .strictObject({
        capacity: z
          .strictObject({
            cpus: positive.optional(),
            memory: positive.optional(),
            gpus: z.union([z.int().nonnegative(), z.array(z.int().nonnegative())]).optional(),
          })
          .optional(),
      })
      .optional(),
    kubernetes: z
      .strictObject({
        context: z.string().min(1).optional(),
        namespace: z.string().min(1).optional(),
        kubeconfig: z.string().min(1).optional(),
      })
      .optional(),
  });
}

/** The parsed configuration. */
export interface UserConfig {
  readonly backend?: 'local' | 'kubernetes' | undefined;
  readonly local?:
    | {
        readonly capacity?:
          | {
              readonly cpus?: number | undefined;
              readonly memory?: number | undefined;
              readonly gpus?: number | readonly number[] | undefined;
            }
          | undefined;
      }
    | undefined;
  readonly kubernetes?:
    | {
        readonly context?: string | undefined;
        readonly namespace?: string | undefined;
        readonly kubeconfig?: string | undefined;
      }
    | undefined;
}

const cache = new Map<string, { mtimeMs: number; config: UserConfig }>();

/** The path of the configuration file of a konduktor home. */
export function configPath(home: string): string {
  return join(home, 'config.yaml');
}

/**
 * Reads `config.yaml` of a konduktor home; an absent file is an empty configuration.
 * @throws {UsageError} naming the file, line and field of every problem.
 */
export function readUserConfig(home: string): UserConfig {
  const path = configPath(home);
  let mtimeMs: number;
  try {
    mtimeMs = statSync(path).mtimeMs;
  } catch {
    return {};
  }
  const cached = cache.get(path);
  if (cached?.mtimeMs === mtimeMs) return cached.config;
  const { LineCounter, parseDocument } = require('yaml') as typeof Yaml;
  schema ??= makeSchema((require('zod') as typeof Zod).z);
  const lineCounter = new LineCounter();
  const document = parseDocument(readFileSync(path, 'utf8'), { lineCounter });
  if (document.errors.length > 0) {
    const error = document.errors[0];
    const where = error?.linePos?.[0];
    throw new UsageError(
      `${path}${where === undefined ? '' : `:${where.line}:${where.col}`}: invalid YAML: ${error?.message.split('\n')[0] ?? ''}`,
    );
  }
  const parsed = schema.safeParse(document.toJS() ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const node = document.getIn(issue.path as (string | number)[], true) as
        { range?: [number, number, number] } | undefined;
      const pos = node?.range === undefined ? undefined : lineCounter.linePos(node.range[0]);
      const where = pos === undefined ? path : `${path}:${pos.line}:${pos.col}`;
      return `  ${where}: ${issue.path.join('.') || '(document)'}: ${issue.message}`;
    });
    throw new UsageError(`invalid konduktor configuration:\n${problems.join('\n')}`);
  }
  cache.set(path, { mtimeMs, config: parsed.data });
  return parsed.data;
}
