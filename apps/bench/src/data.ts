/** Seeded inputs shared by every contender, and float64 reference values to validate results. */
import { Generator } from '@unihetero/tensor';

/** A rows x cols row-major matrix of standard normals from `gen`. */
export function randomMatrix(gen: Generator, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = gen.normal();
  return out;
}

/** `count` (i, j) positions in an n x n result: the four corners plus seeded random ones. */
export function samplePoints(gen: Generator, n: number, count = 16): [number, number][] {
  const pts: [number, number][] = [
    [0, 0],
    [0, n - 1],
    [n - 1, 0],
    [n - 1, n - 1],
  ];
  while (pts.length < Math.max(count, 4)) pts.push([gen.int(n), gen.int(n)]);
  return pts;
}

/** Reference entries of `a @ b` (n x n, row-major) at `points`, in float64, with sum |a_ik b_kj|. */
export function referenceEntries(a: Float32Array, b: Float32Array, n: number, points: readonly [number, number][]): { value: number[]; scale: number[] } {
  const value: number[] = [];
  const scale: number[] = [];
  for (const [i, j] of points) {
    let s = 0;
    let abs = 0;
    for (let k = 0; k < n; k++) {
      const t = a[i * n + k]! * b[k * n + j]!;
      s += t;
      abs += Math.abs(t);
    }
    value.push(s);
    scale.push(abs);
  }
  return { value, scale };
}

/** The values of an n x n result at `points`. */
export function pick(result: ArrayLike<number>, n: number, points: readonly [number, number][]): number[] {
  if (result.length < n * n) throw new Error(`pick: result has ${result.length} values, expected ${n * n}`);
  return points.map(([i, j]) => result[i * n + j]!);
}

/** Outcome of comparing sampled entries with the reference. */
export interface EntryCheck {
  /** max over entries of |got - ref| / sum |a_ik b_kj| (NaN counts as Infinity). */
  maxRelErr: number;
  /** The entry with the largest error. */
  worst: [number, number];
  /** Whether maxRelErr <= tolerance. */
  ok: boolean;
}

/** Compare sampled values against the float64 reference; relative to sum |a_ik b_kj| per entry. */
export function checkEntries(
  got: readonly number[],
  ref: { value: number[]; scale: number[] },
  points: readonly [number, number][],
  tolerance: number,
): EntryCheck {
  if (got.length !== points.length) throw new Error(`checkEntries: ${got.length} values for ${points.length} points`);
  let maxRelErr = -1;
  let worst = points[0]!;
  got.forEach((g, idx) => {
    const err = Number.isFinite(g) ? Math.abs(g - ref.value[idx]!) / Math.max(ref.scale[idx]!, 1e-30) : Infinity;
    if (err > maxRelErr) {
      maxRelErr = err;
      worst = points[idx]!;
    }
  });
  maxRelErr = Math.max(maxRelErr, 0);
  return { maxRelErr, worst, ok: maxRelErr <= tolerance };
}

/** Kaiming-uniform-like init of PyTorch's nn.Linear: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export function linearInit(gen: Generator, fanIn: number, count: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (gen.uniform() * 2 - 1) * bound;
  return out;
}
