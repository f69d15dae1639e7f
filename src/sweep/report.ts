/**
 * The sweep's HTML report: one self-contained file (inline SVG, CSS and a few lines of script, no
 * network) with the objective per trial and the best so far, each trial's learning curve from its
 * metric lines (pruned trials marked), a parallel-coordinates view of the parameters against the
 * objective, and the table of trials.
 * @module
 */
import type { SweepParam, SweepSpec } from './schema.js';
import type { ParamValue } from './space.js';
import type { TrialRecord } from './store.js';

const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const fmt = (n: number): string =>
  Math.abs(n) >= 1e4 || (n !== 0 && Math.abs(n) < 1e-3)
    ? n.toExponential(3)
    : String(Number(n.toPrecision(5)));

const fmtValue = (v: ParamValue | undefined): string =>
  typeof v === 'number' ? fmt(v) : String(v ?? '');

/** A 1-D scale from data to pixels, linear or logarithmic. */
function scale(
  lo: number,
  hi: number,
  from: number,
  to: number,
  log: boolean,
): (v: number) => number {
  const f = log ? Math.log : (v: number): number => v;
  const a = f(lo);
  const b = f(hi);
  const span = b - a === 0 ? 1 : b - a;
  return (v) => from + ((f(v) - a) / span) * (to - from);
}

function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e += 1) {
      const v = 10 ** e;
      if (v >= lo && v <= hi) out.push(v);
    }
    return out.length >= 2 ? out : [lo, hi];
  }
  return [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo));
}

/** Blue (best) to orange (worst). */
function colour(rank: number): string {
  const r = Math.round(33 + rank * (230 - 33));
  const g = Math.round(102 + rank * (126 - 102));
  const b = Math.round(172 + rank * (34 - 172));
  return `rgb(${r},${g},${b})`;
}

function objectiveChart(spec: SweepSpec, trials: readonly TrialRecord[]): string {
  const W = 860;
  const H = 320;
  const m = { l: 70, r: 20, t: 20, b: 40 };
  const ok = trials.filter((t) => t.state === 'succeeded' && t.value !== undefined);
  const values = ok.map((t) => t.value as number);
  const n = Math.max(1, ...trials.map((t) => t.index + 1));
  const lo = values.length === 0 ? 0 : Math.min(...values);
  const hi = values.length === 0 ? 1 : Math.max(...values);
  const log = lo > 0 && hi / lo > 100;
  const pad = log ? 0 : (hi - lo) * 0.05 || 1;
  const y = scale(log ? lo / 1.2 : lo - pad, log ? hi * 1.2 : hi + pad, H - m.b, m.t, log);
  const x = scale(-0.5, n - 0.5, m.l, W - m.r, false);
  const parts: string[] = [];
  for (const v of ticks(log ? lo / 1.2 : lo - pad, log ? hi * 1.2 : hi + pad, log)) {
    parts.push(
      `<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`,
    );
    parts.push(
      `<text class="tick" x="${m.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(fmt(v))}</text>`,
    );
  }
  const step = Math.max(1, Math.ceil(n / 10));
  for (let i = 0; i < n; i += step) {
    parts.push(
      `<text class="tick" x="${x(i).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${i}</text>`,
    );
  }
  parts.push(
    `<text class="label" x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle">trial</text>`,
  );
  parts.push(
    `<text class="label" transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.objective)}${log ? ' (log)' : ''}</text>`,
  );
  // The best so far: a step line through every trial in index order.
  let best: number | undefined;
  const path: string[] = [];
  for (const t of [...ok].sort((a, b) => a.index - b.index)) {
    const v = t.value as number;
    const better = best === undefined || (spec.direction === 'minimize' ? v < best : v > best);
    if (!better) continue;
    if (best !== undefined) path.push(`L${x(t.index).toFixed(1)},${y(best).toFixed(1)}`);
    best = v;
    path.push(`${path.length === 0 ? 'M' : 'L'}${x(t.index).toFixed(1)},${y(v).toFixed(1)}`);
  }
  if (best !== undefined) path.push(`L${(W - m.r).toFixed(1)},${y(best).toFixed(1)}`);
  if (path.length > 0) parts.push(`<path class="best-line" d="${path.join('')}"/>`);
  for (const t of ok) {
    parts.push(
      `<circle class="trial-point" data-trial="${t.index}" cx="${x(t.index).toFixed(1)}" cy="${y(t.value as number).toFixed(1)}" r="4"><title>trial ${t.index}: ${esc(fmt(t.value as number))}</title></circle>`,
    );
  }
  for (const t of trials.filter((t) => t.state === 'failed')) {
    const cx = x(t.index);
    const cy = H - m.b - 6;
    parts.push(
      `<path class="failed-mark" data-trial="${t.index}" d="M${(cx - 4).toFixed(1)},${cy - 4}L${(cx + 4).toFixed(1)},${cy + 4}M${(cx - 4).toFixed(1)},${cy + 4}L${(cx + 4).toFixed(1)},${cy - 4}"><title>trial ${t.index} failed: ${esc(t.reason ?? '')}</title></path>`,
    );
  }
  return `<svg id="objective-chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="objective per trial">${parts.join('')}</svg>`;
}

/**
 * Each trial's learning curve (the objective by step, from its metric lines): pruned trials dashed
 * and ended by a ✕ where they were stopped, the best trial drawn thick.
 */
function curvesChart(
  spec: SweepSpec,
  trials: readonly TrialRecord[],
  best: TrialRecord | undefined,
): string {
  const withCurves = trials.filter((t) => t.curve !== undefined && t.curve.length > 0);
  const W = 860;
  const H = 320;
  const m = { l: 70, r: 20, t: 20, b: 40 };
  const points = withCurves.flatMap((t) => t.curve ?? []);
  const steps = points.map(([s]) => s);
  const values = points.map(([, v]) => v);
  const sLo = Math.min(...steps);
  const sHi = Math.max(...steps);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const log = lo > 0 && hi / lo > 100;
  const pad = log ? 0 : (hi - lo) * 0.05 || 1;
  const yLo = log ? lo / 1.2 : lo - pad;
  const yHi = log ? hi * 1.2 : hi + pad;
  const y = scale(yLo, yHi, H - m.b, m.t, log);
  const x = scale(sLo, sHi === sLo ? sLo + 1 : sHi, m.l, W - m.r, false);
  const parts: string[] = [];
  for (const v of ticks(yLo, yHi, log)) {
    parts.push(
      `<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`,
      `<text class="tick" x="${m.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(fmt(v))}</text>`,
    );
  }
  for (const s of ticks(sLo, sHi, false).map(Math.round)) {
    parts.push(
      `<text class="tick" x="${x(s).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${s}</text>`,
    );
  }
  parts.push(
    `<text class="label" x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle">step</text>`,
    `<text class="label" transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.objective)}${log ? ' (log)' : ''}</text>`,
  );
  // The best last, on top.
  const ordered = [...withCurves].sort(
    (a, b) => Number(a.index === best?.index) - Number(b.index === best?.index),
  );
  for (const t of ordered) {
    const curve = t.curve ?? [];
    const d = curve
      .map(([s, v], i) => `${i === 0 ? 'M' : 'L'}${x(s).toFixed(1)},${y(v).toFixed(1)}`)
      .join('');
    const classes = ['curve', t.state, ...(t.index === best?.index ? ['best'] : [])].join(' ');
    const last = curve.at(-1);
    const title =
      t.state === 'pruned'
        ? `trial ${t.index}: pruned at step ${t.prunedStep ?? last?.[0] ?? '?'}`
        : `trial ${t.index}: ${t.state}${last === undefined ? '' : `, ${fmt(last[1])} at step ${last[0]}`}`;
    parts.push(
      `<path class="${classes}" data-trial="${t.index}" d="${d}"><title>${esc(title)}</title></path>`,
    );
    if (t.state === 'pruned' && last !== undefined) {
      const cx = x(last[0]);
      const cy = y(last[1]);
      parts.push(
        `<path class="pruned-mark" data-trial="${t.index}" d="M${(cx - 4).toFixed(1)},${(cy - 4).toFixed(1)}L${(cx + 4).toFixed(1)},${(cy + 4).toFixed(1)}M${(cx - 4).toFixed(1)},${(cy + 4).toFixed(1)}L${(cx + 4).toFixed(1)},${(cy - 4).toFixed(1)}"><title>${esc(title)}</title></path>`,
      );
    }
  }
  return `<svg id="curves-chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="learning curves per trial">${parts.join('')}</svg>`;
}

function parallelChart(spec: SweepSpec, trials: readonly TrialRecord[]): string {
  const ok = trials.filter((t) => t.state === 'succeeded' && t.value !== undefined);
  const names = Object.keys(spec.parameters);
  const W = 860;
  const H = 340;
  const m = { l: 60, r: 60, t: 30, b: 30 };
  const axes = [...names, spec.objective];
  const ax = (i: number): number =>
    m.l + (axes.length === 1 ? 0 : (i * (W - m.l - m.r)) / (axes.length - 1));
  const values = ok.map((t) => t.value as number);
  const objLo = Math.min(...values);
  const objHi = Math.max(...values);
  const objLog = objLo > 0 && objHi / objLo > 100;
  const axisScale = (
    name: string,
    i: number,
  ): { y: (v: ParamValue | undefined) => number; labels: [number, string][] } => {
    const param: SweepParam | undefined = i < names.length ? spec.parameters[name] : undefined;
    if (param !== undefined && (param.type === 'choice' || param.type === 'grid')) {
      const list = param.values;
      const at = (v: ParamValue | undefined): number => {
        const k = list.indexOf(v as ParamValue);
        return m.t + ((k + 0.5) / list.length) * (H - m.t - m.b);
      };
      return { y: at, labels: list.map((v) => [at(v), fmtValue(v)]) };
    }
    const lo = param === undefined ? objLo : param.low;
    const hi = param === undefined ? objHi : param.high;
    const log =
      param === undefined
        ? objLog
        : param.type === 'loguniform' || (param.type === 'int' && param.log === true);
    const s = scale(lo, hi, H - m.b, m.t, log);
    return {
      y: (v) => s(typeof v === 'number' ? v : lo),
      labels: ticks(lo, hi, log).map((v) => [s(v), fmt(v)]),
    };
  };
  const scales = axes.map((name, i) => axisScale(name, i));
  const parts: string[] = [];
  axes.forEach((name, i) => {
    parts.push(
      `<line class="axis" x1="${ax(i).toFixed(1)}" x2="${ax(i).toFixed(1)}" y1="${m.t}" y2="${H - m.b}"/>`,
    );
    parts.push(
      `<text class="label" x="${ax(i).toFixed(1)}" y="${m.t - 10}" text-anchor="middle">${esc(name)}</text>`,
    );
    for (const [py, text] of scales[i]?.labels ?? []) {
      parts.push(
        `<text class="tick" x="${(ax(i) - 5).toFixed(1)}" y="${(py + 4).toFixed(1)}" text-anchor="end">${esc(text)}</text>`,
      );
    }
  });
  const ranked = [...ok].sort(
    (a, b) =>
      ((a.value as number) - (b.value as number)) * (spec.direction === 'minimize' ? -1 : 1),
  );
  // Worst first, so the best lines are drawn on top.
  ranked.forEach((t, k) => {
    const points = axes.map((name, i) => {
      const v = i < names.length ? t.params[name] : t.value;
      return `${ax(i).toFixed(1)},${(scales[i]?.y(v) ?? 0).toFixed(1)}`;
    });
    const rank = ranked.length <= 1 ? 0 : 1 - k / (ranked.length - 1);
    const best = k === ranked.length - 1;
    parts.push(
      `<path class="trial-line${best ? ' best' : ''}" data-trial="${t.index}" d="M${points.join('L')}" stroke="${colour(rank)}"><title>trial ${t.index}: ${esc(fmt(t.value as number))}</title></path>`,
    );
  });
  return `<svg id="parallel-chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="parameters against the objective">${parts.join('')}</svg>`;
}

function table(spec: SweepSpec, trials: readonly TrialRecord[]): string {
  const names = Object.keys(spec.parameters);
  const sign = spec.direction === 'minimize' ? 1 : -1;
  const sorted = [...trials].sort((a, b) => {
    if (a.value !== undefined && b.value !== undefined) return sign * (a.value - b.value);
    return (a.value === undefined ? 1 : 0) - (b.value === undefined ? 1 : 0) || a.index - b.index;
  });
  const head = ['trial', 'state', spec.objective, ...names, 'job', 'reason']
    .map((h) => `<th>${esc(h)}</th>`)
    .join('');
  const rows = sorted.map((t) => {
    const cells = [
      String(t.index),
      t.state,
      t.value === undefined ? '' : fmt(t.value),
      ...names.map((n) => fmtValue(t.params[n])),
      t.job ?? '',
      t.reason ?? '',
    ];
    return `<tr data-trial="${t.index}" class="${esc(t.state)}">${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  });
  return `<table id="trials"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.summary{color:#555}.best-box{background:#eef5fb;border-left:4px solid #2166ac;padding:8px 12px;margin:12px 0}
svg{max-width:100%;height:auto;background:#fcfcfc;border:1px solid #e4e4e4}
.grid{stroke:#e6e6e6}.axis{stroke:#888}.tick{font-size:11px;fill:#666}.label{font-size:12px;fill:#333}
.trial-point{fill:#2166ac;fill-opacity:.75}.best-line{fill:none;stroke:#1b9e77;stroke-width:2}
.failed-mark{stroke:#d73027;stroke-width:2}
.curve{fill:none;stroke:#2166ac;stroke-width:1.3;stroke-opacity:.6}.curve.pruned{stroke:#e08214;stroke-dasharray:4 3}
.curve.best{stroke:#1b9e77;stroke-width:3;stroke-opacity:1}.pruned-mark{stroke:#e08214;stroke-width:2}
.trial-line{fill:none;stroke-width:1.3;stroke-opacity:.55}.trial-line.best{stroke-width:3;stroke-opacity:1}
path.hl{stroke:#000!important;stroke-opacity:1!important;stroke-width:3!important}circle.hl{fill:#000;r:6px}
table{border-collapse:collapse;margin-top:8px;font-size:13px}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
tr.failed td{color:#b2182b}tr.pruned td{color:#b35806}tr.cancelled td,tr.running td,tr.launching td{color:#888}tbody tr:hover{background:#f3f3f3}`;

// Hovering a table row highlights that trial in both charts.
const SCRIPT = `
(function(){
  var rows=document.querySelectorAll('#trials tbody tr');
  function mark(id,on){var els=document.querySelectorAll('svg [data-trial="'+id+'"]');for(var i=0;i<els.length;i++){els[i].classList.toggle('hl',on);}}
  for(var i=0;i<rows.length;i++){(function(r){var id=r.getAttribute('data-trial');
    r.addEventListener('mouseenter',function(){mark(id,true);});r.addEventListener('mouseleave',function(){mark(id,false);});})(rows[i]);}
  document.body.setAttribute('data-ready','1');
})();`;

/** Renders the report as one HTML document. */
export function renderReport(
  spec: SweepSpec,
  trials: readonly TrialRecord[],
  best: TrialRecord | undefined,
): string {
  const ok = trials.filter((t) => t.state === 'succeeded').length;
  const failed = trials.filter((t) => t.state === 'failed').length;
  const pruned = trials.filter((t) => t.state === 'pruned').length;
  const curves = trials.some((t) => t.curve !== undefined && t.curve.length > 0);
  const bestText =
    best === undefined
      ? 'no trial succeeded yet'
      : `best: trial ${best.index}, ${esc(spec.objective)} = ${esc(fmt(best.value as number))} with ${Object.entries(
          best.params,
        )
          .map(([k, v]) => `${esc(k)}=${esc(fmtValue(v))}`)
          .join(', ')}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>sweep ${esc(spec.name)}</title><style>${STYLE}</style></head>
<body>
<h1>sweep ${esc(spec.name)}</h1>
<div class="summary">${esc(spec.direction)} ${esc(spec.objective)} · sampler ${esc(spec.sampler.type)} · seed ${spec.seed} · ${ok} succeeded, ${failed} failed, ${pruned} pruned, ${trials.length} of ${spec.trials} trials</div>
<div class="best-box" id="best">${bestText}</div>
<h2>Objective per trial (line: best so far${failed > 0 ? '; ✕: failed trials' : ''})</h2>
${objectiveChart(spec, trials)}
<h2>Learning curves (${esc(spec.objective)} by step from the metric lines; dashed, ✕: pruned trials)</h2>
${curves ? curvesChart(spec, trials, best) : '<p>no trial reported metric lines with the objective</p>'}
<h2>Parameters against the objective</h2>
${ok > 0 ? parallelChart(spec, trials) : '<p>no trial succeeded yet</p>'}
<h2>Trials</h2>
${table(spec, trials)}
<script>${SCRIPT}</script>
</body></html>
`;
}
