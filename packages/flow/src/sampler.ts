/**
 * ODE samplers for the flow head (docs/method.md section 8.3): Euler or Heun integration of
 * `dx/dt = v(x, t)` from noise at `t = 0` to data at `t = 1` on an optionally shifted grid, a
 * temperature on the initial noise, and classifier-free guidance on the velocity.
 */
import { Generator, Tensor, concat, fmtShape, getDefaultGenerator, noGrad, randn, tidy } from '@unihetero/tensor';
import type { FlowHead } from './head.js';

/** Integration method: Euler (one velocity per step) or Heun (two, second order). */
export type OdeMethod = 'euler' | 'heun';

/** A velocity field `v(x, t)` for `x [T, C]` and a scalar time; returns a new `[T, C]` tensor. */
export type VelocityFn = (x: Tensor, t: number) => Tensor;

/** Options of the ODE integration. */
export interface OdeOptions {
  /** Number of steps `S` (default 50, docs/method.md 8.3). */
  steps?: number;
  /** 'euler' (default) or 'heun'. */
  method?: OdeMethod;
  /** Time shift `s` of the grid, `t' = t / (s − (s − 1)·t)` (default 1: none; `s > 1` spends more steps near noise). */
  shift?: number;
}

/**
 * The time grid `t'_0..t'_S`: `t_k = k/S`, shifted by `t' = t / (s − (s − 1)·t)` (docs/method.md 8.3).
 * Starts at exactly 0 and ends at exactly 1.
 */
export function timeGrid(steps: number, shift = 1): Float64Array {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`timeGrid: steps must be a positive integer, got ${steps}`);
  if (!(shift > 0) || !Number.isFinite(shift)) throw new Error(`timeGrid: shift must be a finite number > 0, got ${shift}`);
  const g = new Float64Array(steps + 1);
  for (let k = 0; k <= steps; k++) {
    const t = k / steps;
    g[k] = shift === 1 ? t : t / (shift - (shift - 1) * t);
  }
  g[0] = 0;
  g[steps] = 1;
  return g;
}

/**
 * Integrate `dx/dt = velocity(x, t)` from `x0` at `t = 0` to `t = 1` over the grid of
 * `timeGrid(steps, shift)`. Euler: `x ← x + h·v(x, t)`; Heun: `x̃ = x + h·v(x, t)`,
 * `x ← x + h/2·(v(x, t) + v(x̃, t + h))`. Returns a new tensor (`x0` is not disposed); each
 * step's intermediates are freed.
 */
export function integrateFlow(velocity: VelocityFn, x0: Tensor, options: OdeOptions = {}): Tensor {
  const method = options.method ?? 'euler';
  if (method !== 'euler' && method !== 'heun') throw new Error(`integrateFlow: unknown method '${String(method)}' (expected 'euler' or 'heun')`);
  const grid = timeGrid(options.steps ?? 50, options.shift ?? 1);
  let x = x0;
  for (let k = 0; k + 1 < grid.length; k++) {
    const t0 = grid[k]!;
    const t1 = grid[k + 1]!;
    const h = t1 - t0;
    const next = tidy(() => {
      const v0 = checked(velocity(x, t0), x, t0);
      const euler = x.add(v0.mul(h));
      if (method === 'euler') return euler;
      const v1 = checked(velocity(euler, t1), x, t1);
      return x.add(v0.add(v1).mul(h / 2));
    });
    if (x !== x0) x.dispose();
    x = next;
  }
  return x === x0 ? x0.mul(1) : x;
}

function checked(v: Tensor, x: Tensor, t: number): Tensor {
  if (!(v instanceof Tensor) || v.shape.length !== x.shape.length || v.shape.some((s, i) => s !== x.shape[i])) {
    throw new Error(`integrateFlow: the velocity at t=${t} has shape ${v instanceof Tensor ? fmtShape(v.shape) : typeof v}, expected ${fmtShape(x.shape)}`);
  }
  return v;
}

/** Options of `sampleFlow`. */
export interface FlowSampleOptions extends OdeOptions {
  /** Scales the initial noise: `x_0 ~ N(0, τ²I)` (default 1, docs/method.md 8.3). */
  temperature?: number;
  /** Guidance scale `g`: `ṽ = v_u + g·(v_c − v_u)` (default 1: no guidance, one forward per velocity). */
  cfgScale?: number;
  /**
   * The unconditional condition for guidance (the LLM state of the empty prompt, docs/method.md 10.4):
   * `[d]`, `[1, d]` or the condition's shape. Required when `cfgScale !== 1`.
   */
  nullCondition?: Tensor;
  /** Stream of the initial noise (default: the global generator); draws `T·C` normals, row-major. */
  generator?: Generator;
  /** Use this initial noise `[..., C]` instead of drawing it (temperature still applies). */
  noise?: Tensor;
}

/**
 * Sample latents `[..., C]` from the head for conditions `condition [..., d]` by integrating the
 * probability-flow ODE (docs/method.md 8.3), without gradients. The condition (and null condition)
 * projections are computed once; with guidance the conditional and unconditional velocities
 * come from one batched forward of `2T` tokens.
 */
export function sampleFlow(head: FlowHead, condition: Tensor, options: FlowSampleOptions = {}): Tensor {
  const op = 'sampleFlow';
  const cfg = head.config;
  if (cfg.outDim !== cfg.tokenDim) throw new Error(`${op}: the head predicts ${cfg.outDim} channels but sampling needs a velocity of config.tokenDim ${cfg.tokenDim}`);
  const d = condition.shape[condition.rank - 1];
  if (condition.rank < 1 || d !== cfg.conditionDim) throw new Error(`${op}: condition width ${d ?? 'none'} (shape ${fmtShape(condition.shape)}) does not match config.conditionDim ${cfg.conditionDim}`);
  const lead = condition.shape.slice(0, -1);
  const n = lead.reduce((a, b) => a * b, 1);
  const C = cfg.tokenDim;
  const tau = options.temperature ?? 1;
  if (!(tau >= 0) || !Number.isFinite(tau)) throw new Error(`${op}: temperature must be a finite number >= 0, got ${tau}`);
  const g = options.cfgScale ?? 1;
  if (!Number.isFinite(g)) throw new Error(`${op}: cfgScale must be finite, got ${g}`);
  const guided = g !== 1;
  const nullC = options.nullCondition;
  if (guided && !nullC) throw new Error(`${op}: cfgScale ${g} needs options.nullCondition (the unconditional condition)`);
  if (nullC) {
    const okShape = nullC.shape[nullC.rank - 1] === cfg.conditionDim && (nullC.size === cfg.conditionDim || nullC.size === n * cfg.conditionDim);
    if (!okShape) throw new Error(`${op}: nullCondition ${fmtShape(nullC.shape)} must be [${cfg.conditionDim}], [1, ${cfg.conditionDim}] or the condition's shape ${fmtShape(condition.shape)}`);
  }
  if (options.noise && (options.noise.shape.length !== lead.length + 1 || options.noise.shape.some((s, i) => s !== (i < lead.length ? lead[i] : C)))) {
    throw new Error(`${op}: noise ${fmtShape(options.noise.shape)} must be ${fmtShape([...lead, C])}`);
  }
  return noGrad(() =>
    tidy(() => {
      const b = condition.backend;
      const dt = condition.dtype === 'int32' ? 'float32' : condition.dtype;
      const raw = options.noise ? options.noise.reshape(n, C) : randn([n, C], { generator: options.generator ?? getDefaultGenerator(), backend: b, dtype: dt });
      const x0 = tau === 1 ? raw : raw.mul(tau);
      let cEmb = head.embedCondition(condition.reshape(n, cfg.conditionDim));
      if (guided) {
        const nc = nullC!.size === cfg.conditionDim ? head.embedCondition(nullC!.reshape(1, cfg.conditionDim)).expand(n, cfg.width) : head.embedCondition(nullC!.reshape(n, cfg.conditionDim));
        cEmb = concat([cEmb, nc], 0); // [2T, w]: conditional rows first
      }
      const like = x0;
      const velocity: VelocityFn = (x, t) =>
        tidy(() => {
          const tEmb = head.embedTime(t, like);
          if (!guided) return head.velocityFromEmbeddings(x, tEmb, cEmb);
          const out = head.velocityFromEmbeddings(concat([x, x], 0), tEmb, cEmb);
          const [vc, vu] = out.split(n, 0);
          return vu!.add(vc!.sub(vu!).mul(g));
        });
      const x1 = integrateFlow(velocity, x0, options);
      return x1.reshape(...lead, C);
    }),
  );
}
