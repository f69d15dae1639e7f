/**
 * Reading sweeps: a YAML file (every problem reported at once with `file:line:col`, like task
 * files) or an object built in code, both turned into a validated {@link SweepSpec}.
 *
 * @example
 * ```ts
 * const spec = loadSweepFile('examples/sweep-branin.yaml');
 * const same = resolveSweep({
 *   name: 'branin',
 *   task: 'branin-task.yaml',
 *   parameters: { x1: { type: 'uniform', low: -5, high: 10 }, x2: { type: 'uniform', low: 0, high: 15 } },
 *   objective: 'value',
 *   trials: 30,
 * }, { baseDir: 'examples' });
 * ```
 * @module
 */
import { basename, dirname, extname, resolve } from 'node:path';
import { parseYamlDocument, readDocumentFile } from '../diagnostics/yaml.js';
import { build, invalidSweep } from './build.js';
import type { SweepSpec } from './schema.js';

export type { PrunerDefinition, SamplerDefinition, SweepDefinition } from './definition.js';
export { resolveSweep } from './definition.js';

/** Options of {@link parseSweepYaml}. */
export interface ParseSweepOptions {
  /** The file the text came from, named in every issue and the default sweep name. */
  readonly file?: string;
  /** What relative paths are resolved against. @default process.cwd() */
  readonly baseDir?: string;
}

function nameFromFile(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const stem = basename(file, extname(file))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  return stem === '' ? undefined : stem;
}

/**
 * Parses and validates sweep YAML.
 * @throws {TaskValidationError} listing every problem with `file:line:col` (problems in a task
 *   file the sweep points at carry that file's positions).
 */
export function parseSweepYaml(text: string, options: ParseSweepOptions = {}): SweepSpec {
  const file = options.file;
  const parsed = parseYamlDocument(text, {
    ...(file === undefined ? {} : { file }),
    empty: "the sweep is empty; it needs at least 'task', 'parameters' and 'objective'",
    kind: 'sweep',
  });
  if (!parsed.ok) throw invalidSweep(parsed.issues, parsed.cause);
  const { yaml } = parsed;
  const input = yaml.input;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidSweep(
      yaml.issues([
        {
          path: [],
          at: 'value',
          message: 'a sweep is a mapping with task, parameters and objective',
        },
      ]),
    );
  }
  const result = build(input, options.baseDir ?? process.cwd(), nameFromFile(file));
  if (result.ok && yaml.structure.length === 0) return result.spec;
  throw invalidSweep([
    ...yaml.issues(result.ok ? [] : result.issues),
    ...(result.ok ? [] : result.external),
  ]);
}

/**
 * Reads a sweep file; relative paths in it (the task file, `workdir`, `output_dir`) are resolved
 * against the file's directory.
 * @throws {TaskValidationError} when the file is missing or invalid.
 */
export function loadSweepFile(path: string): SweepSpec {
  const read = readDocumentFile(path, 'sweep');
  if (!read.ok) throw invalidSweep([read.issue], read.cause);
  return parseSweepYaml(read.text, { file: path, baseDir: dirname(resolve(path)) });
}
