/**
 * A trial's learning curve: the objective's value at each step of its metric lines, kept with the
 * trial so the report and the dashboard can plot it after the job and its logs are gone.
 * @module
 */

/** `[step, value]` pairs in the order the steps were reported. */
export type TrialCurve = readonly (readonly [number, number])[];

/**
 * The most points kept per trial: a longer curve is thinned evenly (its first and last points
 * always kept), which a chart of a few hundred pixels cannot tell apart.
 */
export const CURVE_MAX_POINTS = 200;

/** Collects one trial's curve as its metric points arrive. */
export class CurveBuilder {
  readonly #points: [number, number][] = [];

  /** Adds the objective's value at a step. */
  add(step: number, value: number): void {
    this.#points.push([step, value]);
  }

  /** The curve, thinned to at most {@link CURVE_MAX_POINTS}; undefined when it has no point. */
  curve(): TrialCurve | undefined {
    const points = this.#points;
    if (points.length === 0) return undefined;
    if (points.length <= CURVE_MAX_POINTS) return [...points];
    const kept: [number, number][] = [];
    const stride = (points.length - 1) / (CURVE_MAX_POINTS - 1);
    for (let i = 0; i < CURVE_MAX_POINTS; i += 1) {
      const point = points[Math.round(i * stride)];
      if (point !== undefined) kept.push(point);
    }
    return kept;
  }
}

/** A stored curve read back; an unreadable one is no curve. */
export function parseCurve(text: string): TrialCurve | undefined {
  try {
    const data = JSON.parse(text) as unknown;
    if (!Array.isArray(data)) return undefined;
    const points = data.filter(
      (p): p is [number, number] =>
        Array.isArray(p) && p.length === 2 && p.every((n) => typeof n === 'number'),
    );
    return points.length === 0 ? undefined : points;
  } catch {
    return undefined;
  }
}
