import { describe, expect, it } from 'vitest';
import {
  getRegenerationPolicy,
  lowestScoreRemask,
  originalOrderRemask,
  randomOrder,
  randomRemask,
  regenerationCount,
  regenerationPlan,
  regenerationPolicies,
  regenerationPolicyKinds,
  registerRegenerationPolicy,
  regenerationRound,
  revealPlan,
  revealSteps,
  scoreBasedRemask,
} from '../src/index';
import { Generator } from './helpers';

function distinctAscending(a: Int32Array, n: number): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < 0 || a[i]! >= n) return false;
    if (i > 0 && a[i]! <= a[i - 1]!) return false;
  }
  return true;
}

describe('regenerationCount', () => {
  it('is clamp(round(rho * n), 1, n)', () => {
    expect(regenerationCount(64, 0.25)).toBe(16);
    expect(regenerationCount(10, 0.25)).toBe(3); // round(2.5) = 3
    expect(regenerationCount(64, 0.001)).toBe(1);
    expect(regenerationCount(64, 1)).toBe(64);
    expect(() => regenerationCount(64, 0)).toThrow('regenerationCount: rho must be in (0, 1], got 0');
    expect(() => regenerationCount(64, 1.5)).toThrow('regenerationCount: rho must be in (0, 1], got 1.5');
  });
});

describe('random policy', () => {
  it('picks the right number of distinct positions, reproducibly', () => {
    for (const [n, rho] of [[64, 0.25], [256, 0.1], [7, 0.5], [1, 0.3], [16, 1]] as const) {
      const p = randomRemask(rho);
      const a = p.select({ n, round: 1, gen: new Generator(5) });
      expect(a.length).toBe(regenerationCount(n, rho));
      expect(distinctAscending(a, n)).toBe(true);
      expect(p.select({ n, round: 1, gen: new Generator(5) })).toEqual(a);
    }
    const p = randomRemask(0.25);
    expect(p.select({ n: 64, round: 1, gen: new Generator(5) })).not.toEqual(p.select({ n: 64, round: 1, gen: new Generator(6) }));
  });
  it('is uniform: every position is chosen about rho of the time', () => {
    const n = 16;
    const p = randomRemask(0.25);
    const gen = new Generator(123);
    const hits = new Float64Array(n);
    const T = 20_000;
    for (let t = 0; t < T; t++) for (const i of p.select({ n, round: 1, gen })) hits[i]++;
    for (const h of hits) expect(Math.abs(h / T - 0.25)).toBeLessThan(0.015);
  });
});

describe('originalOrder policy', () => {
  const order = Int32Array.from([5, 2, 7, 0, 1, 6, 3, 4]);
  it('last-revealed (default) re-masks the order prefix; first-revealed the suffix', () => {
    expect([...originalOrderRemask(0.25).select({ n: 8, order, round: 1, gen: new Generator(0) })]).toEqual([2, 5]);
    expect([...originalOrderRemask(0.25, { which: 'first-revealed' }).select({ n: 8, order, round: 1, gen: new Generator(0) })]).toEqual([3, 4]);
    // Consistent with revealSteps: the last step of the original run reveals the prefix.
    const steps = revealSteps(order, 4, 'linear');
    expect([...steps[3]!]).toEqual([2, 5]);
    expect([...steps[0]!]).toEqual([3, 4]);
  });
  it('consumes no randomness and validates', () => {
    const g = new Generator(1);
    originalOrderRemask(0.5).select({ n: 8, order, round: 1, gen: g });
    expect(g.getState()).toEqual(new Generator(1).getState());
    expect(() => originalOrderRemask(0.5).select({ n: 8, round: 1, gen: g })).toThrow('originalOrder: ctx.order (the generation order, length n=8) is required');
    expect(() => originalOrderRemask(0.5).select({ n: 8, order: [0, 1], round: 1, gen: g })).toThrow('originalOrder: ctx.order has 2 entries, expected n=8');
    expect(() => originalOrderRemask(0.5, { which: 'middle' as never })).toThrow(
      "originalOrder: which must be 'last-revealed' or 'first-revealed', got 'middle'",
    );
  });
});

describe('score-based policies', () => {
  it('pick the lowest scores, ties to the smaller position', () => {
    const scores = [0.9, 0.1, 0.5, 0.1, 0.95, 0.3, 0.8, 0.2];
    expect([...lowestScoreRemask(0.5).select({ n: 8, round: 1, gen: new Generator(0), scores })]).toEqual([1, 3, 5, 7]);
    expect([...lowestScoreRemask(0.25).select({ n: 8, round: 1, gen: new Generator(0), scores: [1, 0, 0, 0, 1, 1, 1, 1] })]).toEqual([1, 2]);
    const byDistance = scoreBasedRemask(0.25, (ctx) => Array.from({ length: ctx.n }, (_, i) => -Math.abs(i - 3.6)));
    expect([...byDistance.select({ n: 8, round: 1, gen: new Generator(0) })]).toEqual([0, 7]);
  });
  it('validate scores', () => {
    const gen = new Generator(0);
    expect(() => lowestScoreRemask(0.25).select({ n: 4, round: 1, gen })).toThrow('lowestScore: ctx.scores (one score per position, length n=4) is required');
    expect(() => lowestScoreRemask(0.25).select({ n: 4, round: 1, gen, scores: [1, 2] })).toThrow('lowest-score: expected 4 scores, got 2');
    expect(() => lowestScoreRemask(0.25).select({ n: 2, round: 1, gen, scores: [1, NaN] })).toThrow('lowest-score: score at position 1 is NaN, expected a number');
    expect(() => scoreBasedRemask(0.25, 3 as never)).toThrow('score-based: scoreFn must be a function, got number');
  });
});

describe('getRegenerationPolicy', () => {
  it('builds from names and configs', () => {
    expect(getRegenerationPolicy().name).toBe('random');
    expect(getRegenerationPolicy().rho).toBe(0.25);
    expect(getRegenerationPolicy('random', 0.5).rho).toBe(0.5);
    const o = getRegenerationPolicy({ kind: 'original-order', rho: 0.1, which: 'first-revealed' }) as ReturnType<typeof originalOrderRemask>;
    expect([o.name, o.rho, o.which]).toEqual(['original-order', 0.1, 'first-revealed']);
    expect(getRegenerationPolicy('lowest-agreement').name).toBe('lowest-score');
    const p = randomRemask(0.3);
    expect(getRegenerationPolicy(p)).toBe(p);
    expect(regenerationPolicies.random(0.2).rho).toBe(0.2);
  });
  it('rejects unknown kinds and options', () => {
    expect(() => getRegenerationPolicy('best')).toThrow(
      "getRegenerationPolicy: unknown kind 'best'; known kinds: random, original-order, lowest-score, lowest-agreement",
    );
    expect(() => getRegenerationPolicy({ kind: 'random', which: 'x' } as never)).toThrow("random: unknown option 'which'; known options: rho");
    expect(() => getRegenerationPolicy({ kind: 'random', rho: 2 })).toThrow('random: rho must be in (0, 1], got 2');
  });
});

describe('regenerationRound / regenerationPlan', () => {
  it('K_r = max(1, round(K * rho)) steps over a fresh order of the chosen positions', () => {
    const gen = new Generator(77);
    const plan = regenerationPlan({ n: 64, steps: 16, rho: 0.25, rounds: 3, gen });
    expect(plan.length).toBe(3);
    plan.forEach((r, i) => {
      expect(r.round).toBe(i + 1);
      expect(r.positions.length).toBe(16);
      expect(distinctAscending(r.positions, 64)).toBe(true);
      expect(r.steps).toBe(4);
      expect([...r.order].sort((a, b) => a - b)).toEqual([...r.positions]);
      expect(r.reveal.map((s) => s.length)).toEqual(revealPlan(16, 4));
      expect(r.reveal).toEqual(revealSteps(r.order, 4));
      const seen = new Set<number>();
      for (const s of r.reveal) for (const p of s) seen.add(p);
      expect(seen.size).toBe(16);
    });
    expect(regenerationPlan({ n: 64, steps: 16, rho: 0.25, rounds: 3, gen: new Generator(77) })).toEqual(plan);
    expect(regenerationPlan({ n: 64, steps: 16, rho: 0.25, rounds: 3, gen: new Generator(78) })).not.toEqual(plan);
    expect(regenerationPlan({ n: 64, steps: 16, rounds: 0, gen })).toEqual([]);
    expect(regenerationPlan({ n: 64, steps: 1, rho: 0.1, gen })[0]!.steps).toBe(1); // max(1, round(0.1))
  });
  it('draws the policy choice first, then the fresh order', () => {
    const r = regenerationRound({ n: 32, steps: 8, gen: new Generator(3), policy: 'random', rho: 0.25 });
    const g = new Generator(3);
    const positions = randomRemask(0.25).select({ n: 32, round: 1, gen: g });
    const perm = g.permutation(positions.length);
    expect(r.positions).toEqual(positions);
    expect([...r.order]).toEqual([...perm].map((i) => positions[i]));
  });
  it('tracks the generation order across rounds for original-order', () => {
    const n = 16;
    const order = randomOrder(new Generator(9), n);
    const plan = regenerationPlan({ n, steps: 8, rounds: 2, gen: new Generator(1), policy: { kind: 'original-order', rho: 0.25 }, order });
    // Round 1 rewinds the last 4 revealed positions: the prefix of the original order.
    expect([...plan[0]!.positions]).toEqual([...order.subarray(0, 4)].sort((a, b) => a - b));
    const next = plan[0]!.generationOrder!;
    expect([...next.subarray(0, 4)]).toEqual([...plan[0]!.order]);
    expect([...next.subarray(4)]).toEqual([...order].filter((p) => !plan[0]!.positions.includes(p)));
    // Round 2 rewinds round 1's regenerated positions, which were revealed last.
    expect(plan[1]!.positions).toEqual(plan[0]!.positions);
  });
  it('passes per-round scores to score-based policies', () => {
    const rounds: number[] = [];
    const plan = regenerationPlan({
      n: 8,
      steps: 4,
      rounds: 2,
      gen: new Generator(0),
      policy: 'lowest-score',
      rho: 0.25,
      scores: (round) => {
        rounds.push(round);
        return round === 1 ? [0, 0, 1, 1, 1, 1, 1, 1] : [1, 1, 1, 1, 1, 1, 0, 0];
      },
    });
    expect(rounds).toEqual([1, 2]);
    expect(plan.map((r) => [...r.positions])).toEqual([[0, 1], [6, 7]]);
  });
  it('validates', () => {
    const gen = new Generator(0);
    expect(() => regenerationPlan({ n: 8, steps: 9, gen })).toThrow('regenerationRound: steps must be an integer in [1, n=8], got 9');
    expect(() => regenerationPlan({ n: 8, steps: 4, rounds: -1, gen })).toThrow('regenerationPlan: rounds must be an integer >= 0, got -1');
    expect(() => regenerationPlan({ n: 8, steps: 4, gen, policy: randomRemask(0.5), rho: 0.25 })).toThrow(
      "regenerationPlan: rho=0.25 differs from the policy's rho=0.5",
    );
    expect(() => regenerationRound({ n: 8, steps: 4, gen, roundSteps: 0 })).toThrow('regenerationRound: roundSteps must be an integer >= 1, got 0');
    const bad = { name: 'bad', rho: 0.25, select: () => Int32Array.from([1, 1]) };
    expect(() => regenerationRound({ n: 8, steps: 4, gen, policy: bad })).toThrow("regenerationRound (policy 'bad' output): order repeats position 1 (at index 1)");
  });
});

describe('regeneration policy registry', () => {
  it('builds registered kinds by name, with their options, and names unknown ones', () => {
    expect(regenerationPolicyKinds().slice(0, 4)).toEqual(['random', 'original-order', 'lowest-score', 'lowest-agreement']);
    registerRegenerationPolicy('every-other', (rho) => ({ name: 'every-other', rho, select: (ctx) => Int32Array.from({ length: regenerationCount(ctx.n, rho) }, (_, i) => 2 * i) }), ['unused']);
    const p = getRegenerationPolicy({ kind: 'every-other', rho: 0.5 });
    expect(Array.from(p.select({ n: 8, round: 1, gen: new Generator(0) }))).toEqual([0, 2, 4, 6]);
    expect(() => getRegenerationPolicy({ kind: 'every-other', stride: 2 } as never)).toThrow("every-other: unknown option 'stride'; known options: rho, unused");
    expect(() => registerRegenerationPolicy('random', (rho) => randomRemask(rho))).toThrow("registerRegenerationPolicy: kind 'random' is already registered");
    expect(regenerationPolicyKinds().at(-1)).toBe('every-other');
    expect(() => getRegenerationPolicy('nope')).toThrow(`getRegenerationPolicy: unknown kind 'nope'; known kinds: ${regenerationPolicyKinds().join(', ')}`);
  });
});
