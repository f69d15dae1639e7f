/**
 * A small seeded pseudo-random generator for the samplers: xoshiro128** seeded through splitmix32.
 * Reproducible across platforms and Node versions (32-bit integer arithmetic only), and cheap to
 * create, so every trial gets its own stream derived from `(seed, trial index)`.
 *
 * @example
 * ```ts
 * const rng = Rng.forTrial(42, 7);
 * rng.float(); // the same number on every run
 * rng.int(1, 6); // a die
 * ```
 * @module
 */

function splitmix32(state: number): () => number {
  let a = state | 0;
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** A seeded xoshiro128** generator. */
export class Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /**
   * @param seed - any finite number; its integer part (up to 2^53) is used.
   * @param stream - an independent stream per value (a trial index).
   */
  constructor(seed: number, stream = 0) {
    const whole = Math.trunc(Math.abs(seed));
    const low = whole % 0x1_0000_0000;
    const high = Math.floor(whole / 0x1_0000_0000) ^ (seed < 0 ? 0x8000_0000 : 0);
    const mix = splitmix32(low ^ Math.imul(high, 0x85ebca6b));
    const streamed = splitmix32(mix() ^ Math.imul(stream + 1, 0xc2b2ae35));
    this.#s0 = streamed();
    this.#s1 = streamed();
    this.#s2 = streamed();
    this.#s3 = streamed();
    // The all-zero state is the one xoshiro cannot leave.
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** The generator for trial `index` of a sweep seeded with `seed`. */
  static forTrial(seed: number, index: number): Rng {
    return new Rng(seed, index);
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** A float in [0, 1) with 53 random bits. */
  float(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** A float in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.float();
  }

  /** An integer in [low, high], both included. */
  int(low: number, high: number): number {
    return low + Math.floor(this.float() * (high - low + 1));
  }

  /** A standard normal deviate (Box–Muller). */
  normal(): number {
    // 1 - float() is in (0, 1], so the logarithm is finite.
    const u = 1 - this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** An index drawn with probability proportional to `weights` (non-negative, not all zero). */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.float() * total;
    for (let i = 0; i < weights.length; i += 1) {
      x -= weights[i] ?? 0;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }
}
