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
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  LineCounter,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  visit,
} from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { TaskValidationError } from '../errors.js';
import type { TaskIssue } from '../errors.js';
import type { TaskSpec } from './types.js';
import { formatPath, validateTask } from './validate.js';
import type { PathSegment, RawTaskIssue } from './validate.js';

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

interface Position {
  readonly line: number;
  readonly col: number;
}

type ParsedDocument = Document.Parsed;

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
  const file = options.file;
  const baseDir = options.baseDir ?? process.cwd();
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  // One LineCounter per parse: sharing one across texts makes line numbers cumulative.
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(source, { lineCounter, merge: true, prettyErrors: false });
  const issue = (path: string, message: string, pos: Position | undefined): TaskIssue => ({
    path,
    message,
    ...(file === undefined ? {} : { file }),
    ...(pos === undefined ? {} : { line: pos.line, col: pos.col }),
  });

  const syntax: TaskIssue[] = [];
  const seenLines = new Set<number>();
  for (const doc of docs) {
    for (const error of doc.errors) {
      const pos = lineCounter.linePos(error.pos[0]);
      // One mistake often yields several errors on the same line; the first says the most.
      if (seenLines.has(pos.line)) continue;
      seenLines.add(pos.line);
      syntax.push(issue('', syntaxMessage(error.code, error.message, source, error.pos[0]), pos));
    }
  }
  // The content after a syntax error is guesswork, so schema problems would mostly be noise.
  if (syntax.length > 0) throw new TaskValidationError(sortIssues(syntax));

  const nonEmpty = docs.filter((doc) => !isEmptyDocument(doc));
  const doc = nonEmpty[0];
  if (doc === undefined) {
    throw new TaskValidationError([
      issue('', "the task is empty; it needs at least 'name' and 'run'", undefined),
    ]);
  }
  // Extra documents are reported along with the first document's own problems.
  const structure: TaskIssue[] = [];
  const extra = nonEmpty[1];
  if (extra !== undefined) {
    structure.push(
      issue(
        '',
        `the file holds ${nonEmpty.length} YAML documents; a task file holds exactly one task ` +
          "(remove the '---' separators and the other documents)",
        lineCounter.linePos(extra.range[0]),
      ),
    );
  }
  let input: unknown;
  try {
    input = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = firstBadAlias(doc);
    throw new TaskValidationError(
      [issue('', message, at === undefined ? undefined : lineCounter.linePos(at))],
      { cause: err },
    );
  }
  keepEnvValuesAsWritten(doc, input);

  const result = validateTask(input, baseDir);
  if (result.ok && structure.length === 0) return result.spec;
  const issues = result.ok
    ? []
    : result.issues.map((raw) =>
        issue(formatPath(raw.path), raw.message, locate(doc, lineCounter, raw)),
      );
  throw new TaskValidationError(sortIssues([...structure, ...issues]));
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
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const absolute = resolve(path);
    const message =
      code === 'ENOENT'
        ? `task file not found: ${absolute}`
        : code === 'EISDIR'
          ? `${absolute} is a directory; give the path of a task YAML file`
          : `cannot read the task file ${absolute}: ${err instanceof Error ? err.message : String(err)}`;
    throw new TaskValidationError([{ path: '', message, file: path }], { cause: err });
  }
  return parseTaskYaml(text, { file: path, baseDir: dirname(resolve(path)) });
}

function syntaxMessage(code: string, message: string, source: string, offset: number): string {
  if (code === 'DUPLICATE_KEY') {
    const key = (/^[^:\n]*/.exec(source.slice(offset))?.[0] ?? '')
      .trim()
      .replace(/^["']|["']$/g, '');
    return `duplicate key '${key}': each field may appear only once`;
  }
  return `YAML syntax error: ${message}`;
}

function isEmptyDocument(doc: ParsedDocument): boolean {
  const contents = doc.contents;
  if (contents === null) return doc.errors.length === 0;
  return isScalar(contents) && contents.value === null && doc.errors.length === 0;
}

function firstBadAlias(doc: ParsedDocument): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (node.resolve(doc) === undefined) {
        offset = node.range?.[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return offset;
}

function keyText(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  const value = key.value;
  if (value === null) return '';
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Replaces number and boolean env values by their text, so `VERSION: 1.10` stays "1.10" and
 * `DEBUG: True` stays "True" instead of becoming "1.1" and "true".
 */
function keepEnvValuesAsWritten(doc: ParsedDocument, input: unknown): void {
  if (!isRecord(input) || !isRecord(input.envs)) return;
  const envs = doc.get('envs', true);
  if (!isMap(envs)) return;
  for (const pair of envs.items) {
    const key = keyText(pair.key);
    const value = pair.value;
    if (key === undefined || !isScalar(value) || typeof value.source !== 'string') continue;
    if (typeof value.value === 'number' || typeof value.value === 'boolean') {
      input.envs[key] = value.source;
    }
  }
}

interface Located {
  key?: YamlNode;
  value?: YamlNode;
  nearest?: YamlNode;
}

/** Finds the key and value nodes at `path`, or the deepest existing node on the way. */
function findNodes(doc: ParsedDocument, path: readonly PathSegment[]): Located {
  let node: unknown = doc.contents;
  const found: Located = {};
  if (isNode(node)) found.nearest = node;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(segment));
      if (pair === undefined) return { ...(found.nearest ? { nearest: found.nearest } : {}) };
      delete found.key;
      delete found.value;
      if (isNode(pair.key)) found.key = pair.key;
      if (isNode(pair.value)) found.value = pair.value;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      delete found.key;
      delete found.value;
      if (isNode(item)) found.value = item;
      node = item;
    } else {
      return { ...(found.nearest ? { nearest: found.nearest } : {}) };
    }
    const nearest = found.value ?? found.key;
    if (nearest !== undefined) found.nearest = nearest;
  }
  return found;
}

function isNode(value: unknown): value is YamlNode {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value);
}

function isEmptyValue(node: YamlNode): boolean {
  return isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1];
}

/** The position an issue points at: the key for key problems and empty values, else the value. */
function locate(
  doc: ParsedDocument,
  lineCounter: LineCounter,
  raw: RawTaskIssue,
): Position | undefined {
  const { key, value, nearest } = findNodes(doc, raw.path);
  const node =
    raw.at === 'key'
      ? (key ?? value ?? nearest)
      : value !== undefined && !isEmptyValue(value)
        ? value
        : (key ?? value ?? nearest);
  const offset = node?.range?.[0];
  return offset === undefined ? undefined : lineCounter.linePos(offset);
}

function sortIssues(issues: readonly TaskIssue[]): TaskIssue[] {
  return [...issues].sort(
    (a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.col ?? 0) - (b.col ?? 0),
  );
}
