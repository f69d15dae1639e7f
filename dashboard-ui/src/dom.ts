/**
 * Building the page with DOM calls only: text is always set as text (never parsed as HTML), so a
 * job name, a log line or a result cannot inject markup.
 * @module
 */

type Child = Node | string | number | null | undefined | false;

/** Attributes and event handlers of {@link h}. */
export type Attrs = Readonly<
  Record<string, string | number | boolean | undefined | ((event: Event) => void)>
>;

/** Creates an element with attributes (`on*` are listeners) and children (strings become text). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: readonly Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'className') {
      element.className = String(value);
    } else {
      element.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(element, ...children);
  return element;
}

/** Appends children (strings as text; empty values skipped). */
export function append(parent: Node, ...children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: readonly Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** A time as `YYYY-MM-DD HH:MM:SS` in the browser's zone, or `-`. */
export function formatTime(iso: string | undefined): string {
  if (iso === undefined) return '-';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A duration between two times (`1h 02m`, `3m 05s`, `4.2s`), or `-`. */
export function formatDuration(from: string | undefined, to: string | undefined): string {
  if (from === undefined) return '-';
  const ms = (to === undefined ? Date.now() : Date.parse(to)) - Date.parse(from);
  if (ms < 0) return '-';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`;
}

/** A number for people: 4 significant digits, exponent for very large or small. */
export function formatNumber(n: number): string {
  return Math.abs(n) >= 1e5 || (n !== 0 && Math.abs(n) < 1e-3)
    ? n.toExponential(3)
    : String(Number(n.toPrecision(5)));
}

/** A status badge. */
export function badge(status: string): HTMLElement {
  return h('span', { className: `badge s-${status.toLowerCase()}` }, status);
}
