/**
 * Inference reveal schedules: MAR's iterative unmasking loop (docs/method.md section 10.1).
 *
 * With `n` tokens masked at the start and `K` steps, after step `k` (0-based) the number still
 * masked is `nNext = floor(n * schedule.masked(k, K))`, clamped so that at least one token
 * stays masked and at least one is revealed per step; the last step reveals everything. The
 * positions revealed at step `k` are `order[nNext .. maskedNow-1]` (MAR's `mask XOR mask_next`).
 */
import { checkOrder } from './orders';

/**
 * A reveal schedule: the fraction of tokens still masked after step `k` (0-based) of `steps`.
 * It is given the integers (not `t = (k+1)/steps`) so that implementations can evaluate the
 * formula in the same floating-point order as the reference (MAR's
 * `cos(math.pi / 2. * (step + 1) / num_iter)`), which matters where `n * r` is an integer.
 */
export interface MaskSchedule {
  /** Schedule name (`cosine`, `linear`, ...). */
  readonly name: string;
  /** Fraction still masked after step `k` of `steps`; non-increasing in `k`, in [0, 1]. */
  masked(k: number, steps: number): number;
}

/** MAR's cosine schedule: `cos(pi/2 * (k+1)/K)` of the tokens are still masked after step `k` of `K`. */
export const cosineSchedule: MaskSchedule = {
  name: 'cosine',
  masked: (k, steps) => Math.cos(((Math.PI / 2) * (k + 1)) / steps),
};

/** Linear schedule: `1 - (k+1)/K` of the tokens are still masked after step `k` of `K`. */
export const linearSchedule: MaskSchedule = {
  name: 'linear',
  masked: (k, steps) => 1 - (k + 1) / steps,
};

const schedules = new Map<string, MaskSchedule>([
  ['cosine', cosineSchedule],
  ['linear', linearSchedule],
]);

/** Resolve a schedule by name (`cosine`, `linear`) or pass one through. */
export function getMaskSchedule(spec: string | MaskSchedule = 'cosine'): MaskSchedule {
  if (typeof spec === 'object' && spec !== null && typeof spec.masked === 'function') return spec;
  const s = typeof spec === 'string' ? schedules.get(spec) : undefined;
  if (!s) throw new Error(`getMaskSchedule: unknown schedule '${String(spec)}'; known: ${[...schedules.keys()].join(', ')}`);
  return s;
}

/**
 * Tokens still masked after each step: `masked[k]` for k = 0..K-1 (the last is 0).
 * MAR's rule is `max(1, min(maskedNow - 1, floor(n * r)))`; the lower bound used here is
 * `K - 1 - k` (the steps still to come) instead of 1. For `cosine` and `linear` with K <= n the
 * two agree: with x = (K-1-k)/K, n cos(pi/2 (k+1)/K) = n sin(pi/2 x) >= n x >= K-1-k
 * (Jordan's inequality), so the bound never binds; for a custom schedule it guarantees that
 * every step reveals at least one token.
 */
export function maskedAfterSteps(n: number, steps: number, schedule: string | MaskSchedule = cosineSchedule): number[] {
  return maskedAfter('maskedAfterSteps', n, steps, schedule);
}

function maskedAfter(op: string, n: number, steps: number, schedule: string | MaskSchedule): number[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${op}: n must be an integer >= 1, got ${n}`);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`${op}: steps must be an integer >= 1, got ${steps}`);
  if (steps > n) throw new Error(`${op}: steps must be <= n (each step reveals at least one token), got steps=${steps} n=${n}`);
  const s = getMaskSchedule(schedule);
  const out: number[] = [];
  let maskedNow = n;
  for (let k = 0; k < steps; k++) {
    let next: number;
    if (k === steps - 1) next = 0;
    else {
      const r = s.masked(k, steps);
      if (typeof r !== 'number' || !(r >= 0 && r <= 1)) {
        throw new Error(`${op}: schedule '${s.name}' returned ${r} at step ${k} of ${steps}; expected a fraction in [0, 1]`);
      }
      next = Math.floor(n * r);
      next = Math.max(steps - 1 - k, Math.min(maskedNow - 1, next));
    }
    out.push(next);
    maskedNow = next;
  }
  return out;
}

/** Tokens revealed at each of the `steps` steps (sums to `n`, every entry >= 1). */
export function revealPlan(n: number, steps: number, schedule: string | MaskSchedule = cosineSchedule): number[] {
  const masked = maskedAfter('revealPlan', n, steps, schedule);
  let now = n;
  return masked.map((m) => {
    const r = now - m;
    now = m;
    return r;
  });
}

/**
 * Positions revealed at each step when generating in `order` (MAR's masked-prefix order; may
 * also be a subset of positions, e.g. a regeneration round): step `k` reveals
 * `order[masked[k] .. masked[k-1] - 1]`, returned sorted ascending (position order).
 */
export function revealSteps(order: ArrayLike<number>, steps: number, schedule: string | MaskSchedule = cosineSchedule): Int32Array[] {
  checkPositions('revealSteps', order);
  const masked = maskedAfter('revealSteps', order.length, steps, schedule);
  const out: Int32Array[] = [];
  let now = order.length;
  for (const m of masked) {
    const step = Int32Array.from({ length: now - m }, (_, i) => order[m + i]!);
    step.sort();
    out.push(step);
    now = m;
  }
  return out;
}

/**
 * Batched `revealSteps` for row-major orders `[batch * n]` (each row `n` distinct positions):
 * entry `k` is `[batch * count_k]`
 * (all samples reveal the same number of tokens per step), each row sorted ascending.
 */
export function revealStepsBatch(orders: Int32Array, batch: number, steps: number, schedule: string | MaskSchedule = cosineSchedule): Int32Array[] {
  if (!Number.isInteger(batch) || batch < 1 || orders.length % batch !== 0) {
    throw new Error(`revealStepsBatch: orders of length ${orders.length} do not split into batch=${batch} rows`);
  }
  const n = orders.length / batch;
  const plan = revealPlan(n, steps, schedule);
  const out = plan.map((c) => new Int32Array(batch * c));
  for (let b = 0; b < batch; b++) {
    const rows = revealSteps(orders.subarray(b * n, (b + 1) * n), steps, schedule);
    rows.forEach((row, k) => out[k]!.set(row, b * plan[k]!));
  }
  return out;
}

/** The mask (1 = still masked) after each step, `[n]` per step, for `order` over positions 0..n-1. */
export function maskAfterEachStep(order: ArrayLike<number>, steps: number, schedule: string | MaskSchedule = cosineSchedule): Uint8Array[] {
  checkOrder('maskAfterEachStep', order);
  return maskedAfter('maskAfterEachStep', order.length, steps, schedule).map((m) => {
    const mask = new Uint8Array(order.length);
    for (let i = 0; i < m; i++) mask[order[i]!] = 1;
    return mask;
  });
}

/** Classifier-free-guidance schedule kinds (MAR / Muse). */
export type CfgScheduleKind = 'linear' | 'constant';

/**
 * Guidance scale for a step that leaves `nNext` of `n` tokens masked: `linear` ramps
 * `1 + (g - 1) * (n - nNext) / n` (MAR's default), `constant` returns `g`.
 */
export function cfgScale(kind: CfgScheduleKind, g: number, n: number, nNext: number): number {
  if (!Number.isFinite(g)) throw new Error(`cfgScale: g must be finite, got ${g}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`cfgScale: n must be an integer >= 1, got ${n}`);
  if (!Number.isInteger(nNext) || nNext < 0 || nNext > n) throw new Error(`cfgScale: nNext must be an integer in [0, ${n}], got ${nNext}`);
  if (kind === 'linear') return 1 + ((g - 1) * (n - nNext)) / n;
  if (kind === 'constant') return g;
  throw new Error(`cfgScale: unknown schedule '${String(kind)}'; known: linear, constant`);
}

/** Throw unless `positions` are distinct non-negative integers. */
function checkPositions(op: string, positions: ArrayLike<number>): void {
  const seen = new Set<number>();
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!;
    if (!Number.isInteger(p) || p < 0) throw new Error(`${op}: order[${i}]=${p} is not a non-negative integer position`);
    if (seen.has(p)) throw new Error(`${op}: order repeats position ${p} (at index ${i})`);
    seen.add(p);
  }
}
