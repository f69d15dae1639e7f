/**
 * A sweep's charts with Apache ECharts (only the parts used, bundled with the page): the objective
 * per trial with the best so far, each trial's learning curve (pruned ones dashed, a triangle where
 * they stopped), and parallel coordinates of the parameters and the objective. Each chart's
 * container says how many trials it draws (`data-points`, `data-curves`, `data-pruned`), for tests
 * and scripts.
 * @module
 */
import { LineChart, ParallelChart, ScatterChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  ParallelComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import type { SweepDetail } from '../../src/dashboard/types.js';

echarts.use([
  LineChart,
  ParallelChart,
  ScatterChart,
  GridComponent,
  LegendComponent,
  ParallelComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

/** Drawn charts: redraw with a newer sweep, or dispose. */
export interface SweepCharts {
  update(sweep: SweepDetail): void;
  dispose(): void;
}

const succeeded = (sweep: SweepDetail): SweepDetail['trials'] =>
  sweep.trials.filter((t) => t.state === 'succeeded' && t.value !== undefined);

function objectiveOption(sweep: SweepDetail): echarts.EChartsCoreOption {
  const ok = succeeded(sweep);
  const failed = sweep.trials.filter((t) => t.state === 'failed');
  const values = ok.map((t) => t.value as number);
  const log =
    values.length > 1 && Math.min(...values) > 0 && Math.max(...values) / Math.min(...values) > 100;
  return {
    animation: false,
    tooltip: { trigger: 'item' },
    legend: { data: ['trial', 'best so far', 'failed'] },
    grid: { left: 70, right: 20, top: 40, bottom: 40 },
    xAxis: {
      type: 'value',
      name: 'trial',
      min: -0.5,
      max: Math.max(sweep.planned, sweep.trials.length) - 0.5,
      minInterval: 1,
    },
    yAxis: { type: log ? 'log' : 'value', name: sweep.objective, scale: true },
    series: [
      { name: 'trial', type: 'scatter', symbolSize: 8, data: ok.map((t) => [t.index, t.value]) },
      {
        name: 'best so far',
        type: 'line',
        step: 'end',
        showSymbol: false,
        data: sweep.bestSoFar.flatMap((v, i) => (v === null ? [] : [[i, v]])),
      },
      {
        name: 'failed',
        type: 'scatter',
        symbol: 'triangle',
        symbolSize: 9,
        itemStyle: { color: '#d73027' },
        // Failed trials have no objective: drawn on the lowest value shown.
        data: failed.map((t) => [t.index, values.length === 0 ? 0 : Math.min(...values)]),
      },
    ],
  };
}

const withCurves = (sweep: SweepDetail): SweepDetail['trials'] =>
  sweep.trials.filter((t) => t.curve !== undefined && t.curve.length > 0);

function curvesOption(sweep: SweepDetail): echarts.EChartsCoreOption {
  const trials = withCurves(sweep);
  const values = trials.flatMap((t) => (t.curve ?? []).map(([, v]) => v));
  const log =
    values.length > 1 && Math.min(...values) > 0 && Math.max(...values) / Math.min(...values) > 100;
  const best = sweep.best?.index;
  const pruned = trials.filter((t) => t.state === 'pruned');
  return {
    animation: false,
    tooltip: { trigger: 'item' },
    grid: { left: 70, right: 20, top: 40, bottom: 40 },
    xAxis: { type: 'value', name: 'step', minInterval: 1 },
    yAxis: { type: log ? 'log' : 'value', name: sweep.objective, scale: true },
    series: [
      ...trials.map((t) => ({
        name: `trial ${t.index}${t.state === 'pruned' ? ` (pruned at step ${t.prunedStep ?? '?'})` : ''}`,
        type: 'line',
        showSymbol: false,
        z: t.index === best ? 3 : 2,
        lineStyle: {
          width: t.index === best ? 3 : 1.3,
          type: t.state === 'pruned' ? 'dashed' : 'solid',
          color: t.index === best ? '#1b9e77' : t.state === 'pruned' ? '#e08214' : '#2166ac',
          opacity: t.index === best ? 1 : 0.6,
        },
        data: (t.curve ?? []).map(([s, v]) => [s, v]),
      })),
      {
        name: 'pruned',
        type: 'scatter',
        symbol: 'triangle',
        symbolSize: 9,
        itemStyle: { color: '#e08214' },
        data: pruned.flatMap((t) => {
          const last = t.curve?.at(-1);
          return last === undefined ? [] : [[last[0], last[1]]];
        }),
      },
    ],
  };
}

function parallelOption(sweep: SweepDetail): echarts.EChartsCoreOption {
  const ok = succeeded(sweep);
  const names = Object.keys(sweep.parameters);
  const axes = names.map((name, dim) => {
    const param = sweep.parameters[name];
    if (param?.values !== undefined) {
      return { dim, name, type: 'category', data: param.values.map(String) };
    }
    const log = param?.type === 'loguniform' || param?.log === true;
    return { dim, name, type: log ? 'log' : 'value', min: param?.low, max: param?.high };
  });
  axes.push({
    dim: names.length,
    name: sweep.objective,
    type: 'value',
    min: undefined,
    max: undefined,
  });
  const values = ok.map((t) => t.value as number);
  const lo = values.length === 0 ? 0 : Math.min(...values);
  const hi = values.length === 0 ? 1 : Math.max(...values);
  return {
    animation: false,
    tooltip: { trigger: 'item' },
    parallel: { left: 60, right: 130, top: 40, bottom: 30 },
    parallelAxis: axes,
    visualMap: {
      show: true,
      dimension: names.length,
      min: lo,
      max: hi === lo ? lo + 1 : hi,
      // The best end is blue.
      inRange: {
        color:
          sweep.direction === 'minimize'
            ? ['#2166ac', '#f4a582', '#d6604d']
            : ['#d6604d', '#f4a582', '#2166ac'],
      },
      right: 0,
      top: 'center',
      calculable: true,
    },
    series: [
      {
        type: 'parallel',
        lineStyle: { width: 1.5, opacity: 0.7 },
        data: ok.map((t) => [
          ...names.map((n) => {
            const v = t.params[n];
            return typeof v === 'number' ? v : String(v);
          }),
          t.value,
        ]),
      },
    ],
  };
}

/** Draws a sweep's three charts into the given containers. */
export function sweepCharts(
  objective: HTMLElement,
  params: HTMLElement,
  curves: HTMLElement,
): SweepCharts {
  const first = echarts.init(objective);
  const second = echarts.init(params);
  const third = echarts.init(curves);
  const resize = (): void => {
    first.resize();
    second.resize();
    third.resize();
  };
  window.addEventListener('resize', resize);
  return {
    update(sweep) {
      first.setOption(objectiveOption(sweep), { notMerge: true });
      second.setOption(parallelOption(sweep), { notMerge: true });
      third.setOption(curvesOption(sweep), { notMerge: true });
      const drawnCurves = withCurves(sweep);
      curves.dataset['curves'] = String(drawnCurves.length);
      curves.dataset['pruned'] = String(drawnCurves.filter((t) => t.state === 'pruned').length);
      const points = String(succeeded(sweep).length);
      objective.dataset['points'] = points;
      params.dataset['points'] = points;
      objective.dataset['failed'] = String(sweep.trials.filter((t) => t.state === 'failed').length);
    },
    dispose() {
      window.removeEventListener('resize', resize);
      first.dispose();
      second.dispose();
      third.dispose();
    },
  };
}
