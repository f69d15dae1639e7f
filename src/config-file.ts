/**
 * Reading the text of `config.yaml`: its schema and its diagnostics, in the words of task files
 * (every problem at once, `file:line:col`, "did you mean"). Loaded only when a config file
 * exists, by {@link readUserConfig}.
 * @module
 */
import { z } from 'zod';
import { describeValue } from './diagnostics/issue.js';
import { parseYamlDocument } from './diagnostics/yaml.js';
import { fieldGuide, fromZodIssues, readableError } from './diagnostics/zod.js';
import { ConfigError, formatTaskIssue, type TaskIssue } from './errors.js';
import type { UserConfig } from './config.js';
import { quantity, wholeNumber } from './task/quantity.js';

const nonEmpty = (what: string) =>
  z
    .string({ error: (iss) => `must be ${what}, got ${describeValue(iss.input)}` })
    .min(1, `must not be empty; give ${what} or remove the field`);

const httpUrl = (what: string) =>
  nonEmpty(what).regex(/^https?:\/\/[^/\s]+\/?$/, `must be ${what}, such as http://host:port`);

const ConfigSchema = z.strictObject({
  backend: z
    .enum(['local', 'kubernetes'], {
      error: (iss) => `must be local or kubernetes, got ${describeValue(iss.input)}`,
    })
    .optional(),
  local: z
    .strictObject({
      capacity: z
        .strictObject({
          cpus: quantity('cpus').optional(),
          memory: quantity('memory').optional(),
          gpus: z
            .union([wholeNumber(0), z.array(wholeNumber(0))], {
              error: (iss) =>
                `must be a number of GPUs such as 2, or a list of GPU indices such as [0, 1], ` +
                `got ${describeValue(iss.input)}`,
            })
            .optional(),
        })
        .optional(),
    })
    .optional(),
  kubernetes: z
    .strictObject({
      context: nonEmpty('a kubeconfig context name').optional(),
      namespace: nonEmpty('a namespace').optional(),
      kubeconfig: nonEmpty('the path of a kubeconfig file').optional(),
      ttl: z
        .string({
          error: (iss) => `must be a duration such as 7d or 30s, got ${describeValue(iss.input)}`,
        })
        .regex(
          /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/,
          'must be a duration such as 7d, 12h or 30s (how long finished jobs are kept)',
        )
        .optional(),
      storage: z
        .strictObject({
          url: z
            .string({ error: (iss) => `must be an s3:// URL, got ${describeValue(iss.input)}` })
            .regex(
              /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/,
              'must be s3://BUCKET or s3://BUCKET/PREFIX (a valid bucket name)',
            ),
          endpoint: httpUrl('the S3 endpoint konduktor uploads to').optional(),
          pod_endpoint: httpUrl('the S3 endpoint as the pods reach it').optional(),
          region: nonEmpty('an AWS region such as us-east-1').optional(),
          profile: nonEmpty('a profile of the AWS shared credentials file').optional(),
          credentials_file: nonEmpty('the path of an AWS shared credentials file').optional(),
        })
        .optional(),
    })
    .optional(),
});

const CONFIG_GUIDE = fieldGuide(ConfigSchema, {
  aliases: {
    'local.capacity': { gpu: 'gpus', cpu: 'cpus', mem: 'memory', accelerators: 'gpus' },
  },
});

function invalidConfig(issues: readonly TaskIssue[], cause?: unknown): ConfigError {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const lines = issues.map((issue) => `  ${formatTaskIssue(issue)}`);
  return new ConfigError(
    `invalid konduktor configuration (${count}):\n${lines.join('\n')}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Parses and validates the text of a config file; an empty file is an empty configuration.
 * @throws {ConfigError} naming the file, line, column and field of every problem.
 */
export function parseUserConfig(text: string, file: string): UserConfig {
  const parsed = parseYamlDocument(text, { file, kind: 'configuration' });
  if (!parsed.ok) throw invalidConfig(parsed.issues, parsed.cause);
  const { yaml } = parsed;
  const result = ConfigSchema.safeParse(yaml.input ?? {}, { error: readableError });
  if (result.success && yaml.structure.length === 0) return result.data;
  throw invalidConfig(
    yaml.issues(result.success ? [] : fromZodIssues(result.error.issues, yaml.input, CONFIG_GUIDE)),
  );
}
