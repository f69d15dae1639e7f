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
 *   ttl: 7d                 # finished jobs are deleted this long after they end (default 7d)
 *   storage:                # large workdirs: an S3-compatible bucket (see StorageConfig)
 *     url: s3://my-bucket/konduktor
 * ```
 * @module
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as ConfigFile from './config-file.js';

// The parser, the schema library and the diagnostics are loaded only when a config file exists:
// most commands (status, result) run without one and should not pay for loading them.
const require = createRequire(import.meta.url);

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
        /** How long a finished job's JobSet is kept, as a duration (`7d`, `30s`). @default 7d */
        readonly ttl?: string | undefined;
        readonly storage?: StorageConfig | undefined;
      }
    | undefined;
}

/**
 * `kubernetes.storage`: the S3-compatible bucket large shipped code goes through. Credentials
 * come from the AWS SDK's usual chain (environment, `~/.aws`), or from `profile` of
 * `credentials_file` when given.
 */
export interface StorageConfig {
  /** `s3://BUCKET/PREFIX`: archives go to `PREFIX/code/<sha256>.tar.gz`. */
  readonly url: string;
  /** The endpoint konduktor uploads to (`http://host:port`); default AWS's for the region. */
  readonly endpoint?: string | undefined;
  /** The endpoint as pods reach it, for the URLs they fetch; default `endpoint`. */
  readonly pod_endpoint?: string | undefined;
  /** @default us-east-1 */
  readonly region?: string | undefined;
  readonly profile?: string | undefined;
  /** An AWS shared credentials file (`~` allowed). */
  readonly credentials_file?: string | undefined;
}

const cache = new Map<string, { mtimeMs: number; config: UserConfig }>();

/** The path of the configuration file of a konduktor home. */
export function configPath(home: string): string {
  return join(home, 'config.yaml');
}

/**
 * Reads `config.yaml` of a konduktor home; an absent file is an empty configuration.
 * @throws {ConfigError} naming the file, line, column and field of every problem, with the hints
 *   task files get ("did you mean", quoting).
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
  const { parseUserConfig } = require('./config-file.js') as typeof ConfigFile;
  const config = parseUserConfig(readFileSync(path, 'utf8'), path);
  cache.set(path, { mtimeMs, config });
  return config;
}
