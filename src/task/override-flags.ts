/**
 * The command-line form of each task override (`konduktor launch --cpus 8`): its flag, what it
 * says in `--help`, and the task field it sets. Data only, so the CLI's option table
 * (src/cli/options.ts) builds `launch`'s override options from it without loading the task
 * parser, and `applyOverrides` names issues by the same flags.
 * @module
 */
import type { TaskOverrides } from './overrides.js';

/** One override's flag: commander's flags syntax, its help text, the YAML field it sets. */
export interface OverrideFlag {
  /** `kind: 'list'` for a repeatable flag, `'value'` for one that takes a value. */
  readonly kind: 'value' | 'list';
  readonly flags: string;
  readonly description: string;
  /** The task file's field (dotted), for messages. */
  readonly field: string;
}

/**
 * The overrides' flags, keyed by `TaskOverrides` key: an override without a flag, or a flag
 * without an override, fails to compile.
 */
export const OVERRIDE_FLAGS = {
  name: {
    kind: 'value',
    flags: '-n, --name <name>',
    description: 'override the task name',
    field: 'name',
  },
  env: {
    kind: 'list',
    flags: '--env <KEY[=VALUE]>',
    description: 'set an environment variable (repeatable; KEY alone copies it)',
    field: 'envs',
  },
  envFile: {
    kind: 'value',
    flags: '--env-file <path>',
    description: 'read environment variables from a dotenv file',
    field: 'envs',
  },
  numNodes: {
    kind: 'value',
    flags: '--num-nodes <n>',
    description: 'override num_nodes',
    field: 'num_nodes',
  },
  cpus: {
    kind: 'value',
    flags: '--cpus <n>',
    description: 'override resources.cpus',
    field: 'resources.cpus',
  },
  memory: {
    kind: 'value',
    flags: '--memory <gib>',
    description: 'override resources.memory (GiB)',
    field: 'resources.memory',
  },
  gpus: {
    kind: 'value',
    flags: '--gpus <NAME[:COUNT]>',
    description: 'override resources.accelerators (none removes them)',
    field: 'resources.accelerators',
  },
  imageId: {
    kind: 'value',
    flags: '--image-id <image>',
    description: 'override resources.image_id',
    field: 'resources.image_id',
  },
  maxRestarts: {
    kind: 'value',
    flags: '--max-restarts <n>',
    description: 'override resources.job_config.max_restarts',
    field: 'resources.job_config.max_restarts',
  },
} as const satisfies { readonly [K in keyof TaskOverrides]-?: OverrideFlag };

/** The long flag of an override (`--env-file`), as messages name it. */
export function longFlag(flag: OverrideFlag): string {
  return /--[a-z-]+/.exec(flag.flags)?.[0] ?? flag.flags;
}
