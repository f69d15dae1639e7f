/**
 * Reading task YAML: one document, every problem reported at once with `file:line:col`.
 *
 * @example
 * ```ts
 * import { loadTaskFile } from './load.js';
 *
 * try {
 *   const spec = loadTaskFile('train.yaml');
 * } catch (err) {
 *   if (err instanceof TaskValidationError) for (const i of err.issues) console.error(formatTaskIssue(i));
 * }
 * ```
 * @module
 */
import { dirname, resolve } from 'node:path';
import { isMap, isScalar } from 'yaml';
import type { Document } from 'yaml';
import { parseYamlDocument, readDocumentFile } from '../diagnostics/yaml.js';
import { TaskValidationError } from '../errors.js';
import type { TaskSpec } from './types.js';
import { validateTask } from './validate.js';

/** Options of {@link parseTaskYaml}. */
export interface ParseTaskOptions {
  /** The file the text came from; it is named in every issue. */
  readonly file?: string;
  /**
   * The directory that relative `workdir` and `file_mounts` paths are resolved against: the task
   * file's directory.
   * @default process.cwd()
   */
  readonly baseDir?: string;
}

/**
 * Parses and validates task YAML. The text must hold exactly one YAML document.
 *
 * @param text - the YAML text.
 * @param options - where the text came from, for messages and relative paths.
 * @returns the validated task, with absolute paths.
 * @throws {@link TaskValidationError} listing every problem, each with its field path and, where
 *   it has one, the 1-based line and column of the offending node.
 *
 * @example
 * ```ts
 * const spec = parseTaskYaml('name: hello\nrun: echo hi\nresources: {cpus: 2}\n');
 * spec.resources.cpus; // 2
 * ```
 */
export function parseTaskYaml(text: string, options: ParseTaskOptions = {}): TaskSpec {
  const parsed = parseYamlDocument(text, {
    ...(options.file === undefined ? {} : { file: options.file }),
    empty: "the task is empty; it needs at least 'name' and 'run'",
    kind: 'task',
  });
  if (!parsed.ok) {
    throw new TaskValidationError(
      parsed.issues,
      parsed.cause === undefined ? undefined : { cause: parsed.cause },
    );
  }
  const { yaml } = parsed;
  keepEnvValuesAsWritten(yaml.document, yaml.input);
  const result = validateTask(yaml.input, options.baseDir ?? process.cwd());
  if (result.ok && yaml.structure.length === 0) return result.spec;
  throw new TaskValidationError(yaml.issues(result.ok ? [] : result.issues));
}

/**
 * Reads a task file and parses it with {@link parseTaskYaml}; relative paths in it are resolved
 * against the file's directory.
 *
 * @throws {@link TaskValidationError} when the file is missing, unreadable or invalid.
 *
 * @example
 * ```ts
 * const spec = loadTaskFile('examples/hello.yaml');
 * ```
 */
export function loadTaskFile(path: string): TaskSpec {
  const read = readDocumentFile(path, 'task');
  if (!read.ok) throw new TaskValidationError([read.issue], { cause: read.cause });
  return parseTaskYaml(read.text, { file: path, baseDir: dirname(resolve(path)) });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Replaces number and boolean env values by their text, so `VERSION: 1.10` stays "1.10" and
 * `DEBUG: True` stays "True" instead of becoming "1.1" and "true".
 */
function keepEnvValuesAsWritten(doc: Document.Parsed, input: unknown): void {
  if (!isRecord(input) || !isRecord(input.envs)) return;
  const envs = doc.get('envs', true);
  if (!isMap(envs)) return;
  for (const pair of envs.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    const value = pair.value;
    if (typeof key !== 'string' || !isScalar(value) || typeof value.source !== 'string') continue;
    if (typeof value.value === 'number' || typeof value.value === 'boolean') {
      input.envs[key] = value.source;
    }
  }
}
