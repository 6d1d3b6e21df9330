/**
 * Regeneration (inference-time scaling, docs/method.md section 10.3): after an image is generated,
 * re-mask a fraction `rho` of its tokens and regenerate them with the rest as context, for
 * `R` rounds. A policy chooses which positions; `regenerationPlan` adds the per-round step
 * count `K_r = max(1, round(K * rho))`, a fresh random order over the chosen positions and the
 * positions revealed at each of the round's steps.
 *
 * Orders follow MAR's masked-prefix convention (see `orders.ts`): `order[0]` is revealed last.
 */
import type { Generator } from '@unihetero/tensor';
import { checkOrder } from './orders';
import { cosineSchedule, revealSteps, type MaskSchedule } from './schedules';

/** What a policy sees when choosing positions to re-mask. */
export interface RegenerationContext {
  /** Tokens in the image. */
  n: number;
  /** The generation order of the current image (masked-prefix convention: `order[0]` was revealed last). */
  order?: ArrayLike<number>;
  /** 1-based round index. */
  round: number;
  /** Seeded random stream. */
  gen: Generator;
  /** Optional per-position scores `[n]` (lower = worse, e.g. agreement `cos(e_i, G(z_i))`). */
  scores?: ArrayLike<number>;
}

/** Chooses the positions to re-mask in one regeneration round. */
export interface RegenerationPolicy {
  /** Policy kind (`random`, `original-order`, `lowest-score`, `score-based`). */
  readonly name: string;
  /** Fraction of tokens re-masked per round. */
  readonly rho: number;
  /** Distinct positions to re-mask, sorted ascending; `regenerationCount(n, rho)` of them. */
  select(ctx: RegenerationContext): Int32Array;
}

/** Positions re-masked per round: `clamp(round(rho * n), 1, n)`. */
export function regenerationCount(n: number, rho: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`regenerationCount: n must be an integer >= 1, got ${n}`);
  checkRho('regenerationCount', rho);
  return Math.min(n, Math.max(1, Math.round(rho * n)));
}

function checkRho(op: string, rho: number): void {
  if (typeof rho !== 'number' || !(rho > 0 && rho <= 1)) throw new Error(`${op}: rho must be in (0, 1], got ${rho}`);
}

function checkCtx(op: string, ctx: RegenerationContext): void {
  if (!Number.isInteger(ctx.n) || ctx.n < 1) throw new Error(`${op}: ctx.n must be an integer >= 1, got ${ctx.n}`);
}

function sortedCopy(a: ArrayLike<number>): Int32Array {
  const out = Int32Array.from(a);
  out.sort();
  return out;
}

/** Re-mask `round(rho * n)` positions (at least 1) chosen uniformly at random without replacement (the default of docs/method.md 10.3). */
export function randomRemask(rho = 0.25): RegenerationPolicy {
  checkRho('random', rho);
  return {
    name: 'random',
    rho,
    select(ctx) {
      checkCtx('random', ctx);
      const { n, gen } = ctx;
      const c = regenerationCount(n, rho);
      // Partial Fisher-Yates from the front: c draws of gen.int.
      const idx = new Int32Array(n);
      for (let i = 0; i < n; i++) idx[i] = i;
      for (let i = 0; i < c; i++) {
        const j = i + gen.int(n - i);
        const t = idx[i]!;
        idx[i] = idx[j]!;
        idx[j] = t;
      }
      return sortedCopy(idx.subarray(0, c));
    },
  };
}

/** Which end of the original generation `originalOrderRemask` re-masks. */
export type OriginalOrderEnd = 'last-revealed' | 'first-revealed';

/**
 * Re-mask by the original generation order (deterministic, no randomness):
 * `last-revealed` (default) re-masks the `round(rho * n)` positions revealed LAST, i.e. the
 * prefix `order[0 .. c-1]`, which rewinds the final steps of the original run; `first-revealed`
 * re-masks the positions revealed FIRST (`order[n-c .. n-1]`), the ones generated with the
 * least context. Needs `ctx.order`.
 */
export function originalOrderRemask(rho = 0.25, options: { which?: OriginalOrderEnd } = {}): RegenerationPolicy & { readonly which: OriginalOrderEnd } {
  checkRho('originalOrder', rho);
  const { which = 'last-revealed' } = options;
  if (which !== 'last-revealed' && which !== 'first-revealed') {
    throw new Error(`originalOrder: which must be 'last-revealed' or 'first-revealed', got '${String(which)}'`);
  }
  return {
    name: 'original-order',
    rho,
    which,
    select(ctx) {
      checkCtx('originalOrder', ctx);
      const { n, order } = ctx;
      if (!order) throw new Error(`originalOrder: ctx.order (the generation order, length n=${n}) is required`);
      if (order.length !== n) throw new Error(`originalOrder: ctx.order has ${order.length} entries, expected n=${n}`);
      checkOrder('originalOrder', order, n);
      const c = regenerationCount(n, rho);
      const picked = which === 'last-revealed' ? Array.prototype.slice.call(order, 0, c) : Array.prototype.slice.call(order, n - c, n);
      return sortedCopy(picked as number[]);
    },
  };
}

/** Per-position scores for `scoreBasedRemask` (lower = more in need of regeneration). */
export type ScoreFn = (ctx: RegenerationContext) => ArrayLike<number>;

/**
 * Re-mask the `round(rho * n)` positions with the LOWEST score from `scoreFn(ctx)` (ties go to
 * the smaller position); the hook for selective regeneration, e.g. docs/method.md's
 * `lowest-agreement` (score = `cos(e_i, G(z_i))` from a fresh full-context pass).
 */
export function scoreBasedRemask(rho: number, scoreFn: ScoreFn, name = 'score-based'): RegenerationPolicy {
  checkRho(name, rho);
  if (typeof scoreFn !== 'function') throw new Error(`${name}: scoreFn must be a function, got ${typeof scoreFn}`);
  return {
    name,
    rho,
    select(ctx) {
      checkCtx(name, ctx);
      const { n } = ctx;
      const scores = scoreFn(ctx);
      if (!scores || scores.length !== n) throw new Error(`${name}: expected ${n} scores, got ${scores ? scores.length : String(scores)}`);
      for (let i = 0; i < n; i++) {
        if (typeof scores[i] !== 'number' || Number.isNaN(scores[i])) throw new Error(`${name}: score at position ${i} is ${scores[i]}, expected a number`);
      }
      const c = regenerationCount(n, rho);
      const idx = Array.from({ length: n }, (_, i) => i);
      idx.sort((a, b) => scores[a]! - scores[b]! || a - b);
      return sortedCopy(idx.slice(0, c));
    },
  };
}

/** `scoreBasedRemask` reading the scores from `ctx.scores` (required). */
export function lowestScoreRemask(rho = 0.25): RegenerationPolicy {
  return scoreBasedRemask(
    rho,
    (ctx) => {
      if (!ctx.scores) throw new Error(`lowestScore: ctx.scores (one score per position, length n=${ctx.n}) is required`);
      return ctx.scores;
    },
    'lowest-score',
  );
}

/** The regeneration policies under their short names: `random`, `originalOrder`, `scoreBased`, `lowestScore`. */
export const regenerationPolicies = {
  random: randomRemask,
  originalOrder: originalOrderRemask,
  scoreBased: scoreBasedRemask,
  lowestScore: lowestScoreRemask,
} as const;

/** JSON configs for `getRegenerationPolicy`. */
export type RegenerationPolicyConfig =
  | { kind: 'random'; rho?: number }
  | { kind: 'original-order'; rho?: number; which?: OriginalOrderEnd }
  | { kind: 'lowest-score' | 'lowest-agreement'; rho?: number }
  | { kind: string; rho?: number; [option: string]: unknown };

/** Builds a policy from `rho` and a config's other options. */
export type RegenerationPolicyFactory = (rho: number, options: Record<string, unknown>) => RegenerationPolicy;

const policyRegistry = new Map<string, { factory: RegenerationPolicyFactory; options: readonly string[] }>([
  ['random', { options: [], factory: (rho) => randomRemask(rho) }],
  ['original-order', { options: ['which'], factory: (rho, o) => originalOrderRemask(rho, { which: o.which as OriginalOrderEnd | undefined }) }],
  ['lowest-score', { options: [], factory: (rho) => lowestScoreRemask(rho) }],
  ['lowest-agreement', { options: [], factory: (rho) => lowestScoreRemask(rho) }],
]);

/** Add a policy kind to the registry of `getRegenerationPolicy` (`options` lists its config keys besides `rho`). */
export function registerRegenerationPolicy(kind: string, factory: RegenerationPolicyFactory, options: readonly string[] = []): void {
  if (typeof kind !== 'string' || kind.length === 0) throw new Error(`registerRegenerationPolicy: kind must be a non-empty string, got ${String(kind)}`);
  if (typeof factory !== 'function') throw new Error(`registerRegenerationPolicy: factory for '${kind}' must be a function, got ${typeof factory}`);
  if (policyRegistry.has(kind)) throw new Error(`registerRegenerationPolicy: kind '${kind}' is already registered`);
  policyRegistry.set(kind, { factory, options: [...options] });
}

/** The registered policy kinds. */
export function regenerationPolicyKinds(): string[] {
  return [...policyRegistry.keys()];
}

/**
 * Build a policy from a kind (`random`, `original-order`, `lowest-score`, alias
 * `lowest-agreement`, or one added with `registerRegenerationPolicy`), a config
 * `{ kind, rho, ... }`, or pass a policy through. `rho` is the default for kinds and configs
 * without their own.
 */
export function getRegenerationPolicy(spec: string | RegenerationPolicyConfig | RegenerationPolicy = 'random', rho = 0.25): RegenerationPolicy {
  if (typeof spec === 'object' && spec !== null && typeof (spec as RegenerationPolicy).select === 'function') return spec as RegenerationPolicy;
  const cfg: Record<string, unknown> = typeof spec === 'string' ? { kind: spec } : { ...(spec as object) };
  const { kind, rho: r = rho, ...rest } = cfg as { kind: unknown; rho?: number; [k: string]: unknown };
  const entry = typeof kind === 'string' ? policyRegistry.get(kind) : undefined;
  if (!entry) throw new Error(`getRegenerationPolicy: unknown kind '${String(kind)}'; known kinds: ${regenerationPolicyKinds().join(', ')}`);
  for (const key of Object.keys(rest)) {
    if (!entry.options.includes(key)) throw new Error(`${String(kind)}: unknown option '${key}'; known options: ${['rho', ...entry.options].join(', ')}`);
  }
  return entry.factory(r, rest);
}

/** One planned regeneration round. */
export interface RegenerationRound {
  /** 1-based round index. */
  round: number;
  /** Re-masked positions, ascending. */
  positions: Int32Array;
  /** Steps of this round, `K_r = min(M, max(1, round(K * rho)))` with M = positions.length. */
  steps: number;
  /** Fresh random order over `positions` (masked-prefix convention) used to regenerate them. */
  order: Int32Array;
  /** Positions revealed at each of the `steps` steps (`revealSteps(order, steps, schedule)`). */
  reveal: Int32Array[];
  /** The image's generation order after this round (the round's order first, then the untouched rest); present when an order was given. */
  generationOrder?: Int32Array;
}

/** Options shared by `regenerationRound` and `regenerationPlan`. */
export interface RegenerationOptions {
  /** Tokens in the image. */
  n: number;
  /** Steps `K` of the original generation (1 <= K <= n). */
  steps: number;
  /** Seeded random stream (policy choice first, then the round's fresh order). */
  gen: Generator;
  /** Policy, kind or config (default `random`). */
  policy?: string | RegenerationPolicyConfig | RegenerationPolicy;
  /** Fraction re-masked per round (default: the policy's, else 0.25). */
  rho?: number;
  /** Override `K_r` (default `max(1, round(K * rho))`, capped at the number of positions). */
  roundSteps?: number;
  /** Reveal schedule of each round (default cosine). */
  schedule?: string | MaskSchedule;
  /** The generation order of the image, `[n]` (needed by `original-order`). */
  order?: ArrayLike<number>;
}

function resolvePolicy(op: string, policy: RegenerationOptions['policy'], rho: number | undefined): RegenerationPolicy {
  if (typeof policy === 'object' && policy !== null && typeof (policy as RegenerationPolicy).select === 'function') {
    const p = policy as RegenerationPolicy;
    if (rho !== undefined && rho !== p.rho) throw new Error(`${op}: rho=${rho} differs from the policy's rho=${p.rho}`);
    return p;
  }
  return getRegenerationPolicy(policy ?? 'random', rho ?? 0.25);
}

/** Plan a single round `round` (1-based) given the current generation order and optional scores. */
export function regenerationRound(options: RegenerationOptions & { round?: number; scores?: ArrayLike<number> }): RegenerationRound {
  const { n, steps, gen, round = 1, schedule = cosineSchedule, order, scores } = options;
  const op = 'regenerationRound';
  if (!Number.isInteger(n) || n < 1) throw new Error(`${op}: n must be an integer >= 1, got ${n}`);
  if (!Number.isInteger(steps) || steps < 1 || steps > n) throw new Error(`${op}: steps must be an integer in [1, n=${n}], got ${steps}`);
  if (!Number.isInteger(round) || round < 1) throw new Error(`${op}: round must be an integer >= 1, got ${round}`);
  if (order !== undefined) {
    if (order.length !== n) throw new Error(`${op}: order has ${order.length} entries, expected n=${n}`);
    checkOrder(op, order, n);
  }
  const policy = resolvePolicy(op, options.policy, options.rho);
  const positions = policy.select({ n, order, round, gen, scores });
  const m = positions.length;
  if (m < 1) throw new Error(`${op}: policy '${policy.name}' selected no positions`);
  checkOrder(`${op} (policy '${policy.name}' output)`, positions, n);
  let kr = options.roundSteps ?? Math.max(1, Math.round(steps * policy.rho));
  if (!Number.isInteger(kr) || kr < 1) throw new Error(`${op}: roundSteps must be an integer >= 1, got ${kr}`);
  kr = Math.min(kr, m);
  const perm = gen.permutation(m);
  const roundOrder = new Int32Array(m);
  for (let i = 0; i < m; i++) roundOrder[i] = positions[perm[i]!]!;
  const reveal = revealSteps(roundOrder, kr, schedule);
  const result: RegenerationRound = { round, positions, steps: kr, order: roundOrder, reveal };
  if (order !== undefined) {
    const chosen = new Uint8Array(n);
    for (const p of positions) chosen[p] = 1;
    const next = new Int32Array(n);
    next.set(roundOrder, 0);
    let j = m;
    for (let i = 0; i < n; i++) if (!chosen[order[i]!]) next[j++] = order[i]!;
    result.generationOrder = next;
  }
  return result;
}

/**
 * Plan `rounds` regeneration rounds (docs/method.md 10.3; default 1 round of `random` with rho 0.25).
 * Each round's policy sees the generation order updated by the previous rounds. `scores` may
 * be a fixed array or a function of (round, current order) for score-based policies.
 */
export function regenerationPlan(
  options: RegenerationOptions & {
    rounds?: number;
    scores?: ArrayLike<number> | ((round: number, order: Int32Array | undefined) => ArrayLike<number>);
  },
): RegenerationRound[] {
  const { rounds = 1, scores } = options;
  if (!Number.isInteger(rounds) || rounds < 0) throw new Error(`regenerationPlan: rounds must be an integer >= 0, got ${rounds}`);
  const policy = resolvePolicy('regenerationPlan', options.policy, options.rho);
  let order: Int32Array | undefined = options.order === undefined ? undefined : Int32Array.from(options.order);
  const out: RegenerationRound[] = [];
  for (let r = 1; r <= rounds; r++) {
    const s = typeof scores === 'function' ? scores(r, order) : scores;
    const planned = regenerationRound({ ...options, policy, rho: undefined, round: r, order, scores: s });
    out.push(planned);
    order = planned.generationOrder;
  }
  return out;
}
