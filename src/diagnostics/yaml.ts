/**
 * YAML with positions: one parser front end for task files, sweep files and `config.yaml`. It
 * reports every syntax error (one per line, with a hint for values YAML reads as structure), a
 * file that holds no document or several, and turns {@link Diagnostic}s into issues with
 * `file:line:col`.
 *
 * @example
 * ```ts
 * const parsed = parseYamlDocument(text, { file: 'task.yaml', empty: 'the task is empty' });
 * if (!parsed.ok) throw new TaskValidationError(parsed.issues);
 * const problems = validate(parsed.yaml.input); // Diagnostic[]
 * const issues = parsed.yaml.issues(problems); // with file, line and col
 * ```
 * @module
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  LineCounter,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  parseDocument,
  visit,
} from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { TaskIssue } from '../errors.js';
import { formatPath, sortIssues } from './issue.js';
import type { Diagnostic, PathSegment } from './issue.js';

/** A 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly col: number;
}

/** Options of {@link parseYamlDocument}. */
export interface ParseYamlOptions {
  /** The file the text came from; it is named in every issue. */
  readonly file?: string;
  /**
   * What to say when the text holds no document, e.g. "the task is empty; it needs …"; omit it
   * when an empty text is fine (its input is then `null`).
   */
  readonly empty?: string;
  /** What one document holds, for the several-documents message. @default 'document' */
  readonly kind?: string;
}

/** A parsed document, with what is needed to point at its parts. */
export interface ParsedYaml {
  /** The document as plain data. */
  readonly input: unknown;
  /** The parsed document, for readers that need the nodes (e.g. a scalar's source text). */
  readonly document: Document.Parsed;
  /**
   * Problems with the file's structure that do not stop validation (extra documents); report
   * them with the document's own problems.
   */
  readonly structure: readonly TaskIssue[];
  /** Ties each diagnostic to the file, line and column of its key or value; sorted. */
  issues(diagnostics: readonly Diagnostic[]): TaskIssue[];
  /** The position of the key or value at `path`, or of the deepest node on the way. */
  positionOf(path: readonly PathSegment[], at: 'key' | 'value'): Position | undefined;
}

/** The result of {@link parseYamlDocument}: the document, or the problems that stop reading it. */
export type YamlParse =
  | { readonly ok: true; readonly yaml: ParsedYaml }
  | { readonly ok: false; readonly issues: readonly TaskIssue[]; readonly cause?: unknown };

/**
 * Parses text that must hold one YAML document. A byte-order mark is ignored; aliases are
 * expanded (at most 1000, against alias bombs); `<<` merge keys are honoured.
 */
export function parseYamlDocument(text: string, options: ParseYamlOptions): YamlParse {
  const { file } = options;
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
      const line = source.split('\n')[pos.line - 1] ?? '';
      syntax.push(issue('', syntaxMessage(error.code, error.message, line, pos.col), pos));
    }
  }
  // The content after a syntax error is guesswork, so schema problems would mostly be noise.
  if (syntax.length > 0) return { ok: false, issues: sortIssues(syntax) };

  const nonEmpty = docs.filter((doc) => !isEmptyDocument(doc));
  const doc =
    nonEmpty[0] ?? (options.empty === undefined ? (docs[0] ?? parseDocument('')) : undefined);
  if (doc === undefined) return { ok: false, issues: [issue('', options.empty ?? '', undefined)] };
  const structure: TaskIssue[] = [];
  const extra = nonEmpty[1];
  if (extra !== undefined) {
    const kind = options.kind ?? 'document';
    structure.push(
      issue(
        '',
        `the file holds ${nonEmpty.length} YAML documents; it must hold exactly one ${kind} ` +
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
    return {
      ok: false,
      issues: [issue('', message, at === undefined ? undefined : lineCounter.linePos(at))],
      cause: err,
    };
  }
  const positionOf = (path: readonly PathSegment[], at: 'key' | 'value'): Position | undefined => {
    const node = nodeFor(doc, path, at);
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset);
  };
  return {
    ok: true,
    yaml: {
      input,
      document: doc,
      structure,
      positionOf,
      issues: (diagnostics) =>
        sortIssues([
          ...structure,
          ...diagnostics.map((d) => {
            const pos = positionOf(d.path, d.at);
            const hint = d.at === 'value' ? commentHint(doc, d.path, source, pos) : undefined;
            return issue(
              formatPath(d.path),
              hint === undefined ? d.message : `${d.message}; ${hint}`,
              pos,
            );
          }),
        ]),
    },
  };
}

/** The result of {@link readDocumentFile}: the text, or the problem, said for people. */
export type FileRead =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly issue: TaskIssue; readonly cause: unknown };

/**
 * Reads a YAML file as text, wording a missing file, a directory or an unreadable file for people
 * (`what` names the kind: "task", "sweep").
 */
export function readDocumentFile(path: string, what: string): FileRead {
  try {
    return { ok: true, text: readFileSync(path, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const absolute = resolve(path);
    const message =
      code === 'ENOENT'
        ? `${what} file not found: ${absolute}`
        : code === 'EISDIR'
          ? `${absolute} is a directory; give the path of a ${what} YAML file`
          : `cannot read the ${what} file ${absolute}: ${err instanceof Error ? err.message : String(err)}`;
    return { ok: false, issue: { path: '', message, file: path }, cause: err };
  }
}

// Characters that make YAML read a plain value as something other than text when they start it.
const INDICATORS: Readonly<Record<string, string>> = {
  '{': "starts with '{', which begins a YAML mapping",
  '[': "starts with '[', which begins a YAML list",
  '@': "starts with '@', which YAML reserves",
  '`': "starts with '`', which YAML reserves",
  '%': "starts with '%', which YAML reserves for directives",
  '*': "starts with '*', which YAML reads as an alias",
  '&': "starts with '&', which YAML reads as an anchor",
  '!': "starts with '!', which YAML reads as a tag",
  '-': "starts with '- ', which begins a YAML list item",
  '?': "starts with '?', which begins a YAML complex key",
  ',': "starts with ',', which YAML reserves",
};

/**
 * Why YAML read the value written after `key:` on this line as structure rather than text, when
 * that is the likely cause of a syntax error: a plain value containing `: ` or ` #`, starting
 * with an indicator, or a quoted value followed by more text.
 */
function plainValueProblem(value: string): string | undefined {
  if (/^[|>][-+0-9]*\s*(?:#.*)?$/.test(value)) return undefined; // a block scalar header
  const first = value[0] ?? '';
  if (first === '"' || first === "'") {
    const close = first === "'" ? /^'(?:[^']|'')*'/ : /^"(?:[^"\\]|\\.)*"/;
    const quoted = close.exec(value)?.[0];
    if (quoted === undefined || value.slice(quoted.length).trim().startsWith('#')) return undefined;
    if (value.slice(quoted.length).trim() === '') return undefined;
    return `starts with a quote, so the value ends at the closing ${first} and the rest is not part of it`;
  }
  if (first === '-' && value[1] !== ' ') return undefined;
  const indicator = INDICATORS[first];
  if (indicator !== undefined) return indicator;
  if (/:\s/.test(value)) return "contains ': ', which YAML reads as the start of a nested mapping";
  if (/\s#/.test(value)) return "contains ' #', which YAML reads as the start of a comment";
  return undefined;
}

/** The key and value written on a `key: value` line (also as a list item). */
function keyAndValue(line: string): { key: string; value: string; valueCol: number } | undefined {
  const match =
    /^(\s*(?:-\s+)?)("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#][^:#]*?)\s*:[ \t]+(\S.*?)\s*$/.exec(
      line,
    );
  if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined)
    return undefined;
  const key = match[2].replace(/^["']|["']$/g, '');
  return {
    key,
    value: match[3],
    valueCol: line.indexOf(match[3], match[1].length + match[2].length) + 1,
  };
}

function syntaxMessage(code: string, message: string, line: string, col: number): string {
  if (code === 'DUPLICATE_KEY') {
    const key = (/^[^:\n]*/.exec(line.slice(col - 1))?.[0] ?? '')
      .trim()
      .replace(/^["']|["']$/g, '');
    return `duplicate key '${key}': each field may appear only once`;
  }
  const text = `YAML syntax error: ${message.split('\n')[0] ?? message}`;
  const written = keyAndValue(line);
  if (written === undefined || col < written.valueCol) return text;
  const problem = plainValueProblem(written.value);
  if (problem === undefined) return text;
  const { key } = written;
  return (
    `${text}. The value of '${key}' ${problem}: to give it as text, write it as a block ` +
    `("${key}: |" and the value on the next line, indented) or quote the whole value`
  );
}

/**
 * A hint for a value that came out empty because a `#` after the key started a comment, as in
 * `run: #!/bin/bash` or `name: #1`.
 */
function commentHint(
  doc: Document.Parsed,
  path: readonly PathSegment[],
  source: string,
  pos: Position | undefined,
): string | undefined {
  const node = findNodes(doc, path).value;
  if (pos === undefined || node === undefined || !isEmptyValue(node)) return undefined;
  const line = source.split('\n')[pos.line - 1] ?? '';
  const comment = /^\s*(?:-\s+)?[^#]*?:[ \t]+#/.exec(line);
  if (comment === null) return undefined;
  return (
    `on line ${pos.line} everything from '#' on is a YAML comment, so the value is empty: ` +
    'quote it or write it as a block ("|" and the value on the next line, indented)'
  );
}

function isEmptyDocument(doc: Document.Parsed): boolean {
  const contents = doc.contents;
  if (contents === null) return doc.errors.length === 0;
  return isScalar(contents) && contents.value === null && doc.errors.length === 0;
}

function firstBadAlias(doc: Document.Parsed): number | undefined {
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

interface Located {
  key?: YamlNode;
  value?: YamlNode;
  nearest?: YamlNode;
}

/** Finds the key and value nodes at `path`, or the deepest existing node on the way. */
function findNodes(doc: Document.Parsed, path: readonly PathSegment[]): Located {
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

/** The node an issue points at: the key for key problems and empty values, else the value. */
function nodeFor(
  doc: Document.Parsed,
  path: readonly PathSegment[],
  at: 'key' | 'value',
): YamlNode | undefined {
  const { key, value, nearest } = findNodes(doc, path);
  if (at === 'key') return key ?? value ?? nearest;
  return value !== undefined && !isEmptyValue(value) ? value : (key ?? value ?? nearest);
}
