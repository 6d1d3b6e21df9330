import { kernels } from '@unihetero/tensor';
/**
 * Row kernel parity with the CPU reference backend: every ReduceOp on short rows (one invocation
 * per row) and long rows (workgroup tree reduction), softmax / log-softmax, layerNorm and rmsNorm.
 */
import { describe, expect, it } from 'vitest';
import { rowPerInvocation } from '../src/kernels/rows-wgsl.js';
import type { AnyReduceOp as ReduceOp } from '@unihetero/tensor';
import { ACCUMULATE, EXACT, expectClose, ints, normals, onBoth, useBackends } from './helpers.js';

const b = useBackends();
const OPS: ReduceOp[] = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin', 'logsumexp'];
// [rows, cols, offset]: short rows, one odd workgroup-sized row set, long rows (256-wide workgroups),
// and 130 rows of 40 (one invocation per row on a software adapter such as the tests' llvmpipe).
const SHAPES: [number, number, number][] = [
  [7, 1, 0],
  [5, 13, 3],
  [9, 100, 1],
  [3, 3000, 0],
  [130, 40, 2],
];

describe('reduce float32', () => {
  for (const op of OPS) {
    for (const [rows, cols, offset] of SHAPES) {
      it(`${op} [${rows}, ${cols}] at offset ${offset}`, async () => {
        // prod over long rows: values near 1 keep the product finite.
        const data = op === 'prod' ? Float32Array.from(normals(offset + rows * cols, 0.01), (v) => 1 + v) : normals(offset + rows * cols, 2);
        if (op === 'argmax' || op === 'argmin') data[offset + 2] = data[offset + 5 % Math.max(cols, 1)]!; // a tie
        const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
          const out = alloc(rows, op === 'argmax' || op === 'argmin' ? 'int32' : 'float32');
          kernels.reduce(be, op, up(data), offset, rows, cols, out);
          return [out];
        });
        expectClose(op, g[0]!, w[0]!, op.startsWith('arg') ? EXACT : ACCUMULATE);
      });
    }
  }
});

describe('reduce int32', () => {
  for (const op of ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'] as ReduceOp[]) {
    it(`${op} short and long rows`, async () => {
      const short = ints(4 * 6, -9, 10);
      const long = ints(2 * 700, op === 'prod' ? 1 : -1000, op === 'prod' ? 2 : 1000);
      const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
        const o1 = alloc(4, 'int32');
        kernels.reduce(be, op, up(short), 0, 4, 6, o1);
        const o2 = alloc(2, 'int32');
        kernels.reduce(be, op, up(long), 0, 2, 700, o2);
        return [o1, o2];
      });
      expectClose(`${op} short`, g[0]!, w[0]!, EXACT);
      expectClose(`${op} long`, g[1]!, w[1]!, EXACT);
    });
  }
});

describe('softmax', () => {
  for (const log of [false, true]) {
    for (const [rows, cols, offset] of SHAPES) {
      it(`${log ? 'log-' : ''}softmax [${rows}, ${cols}] at offset ${offset}`, async () => {
        const data = normals(offset + rows * cols, 5);
        const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
          const out = alloc(rows * cols);
          kernels.softmax(be, up(data), offset, rows, cols, out, log);
          return [out];
        });
        expectClose('softmax', g[0]!, w[0]!, ACCUMULATE);
      });
    }
  }

  it('is stable for large logits', async () => {
    const data = Float32Array.from([1000, 1001, 999, -1000, 88, 89, 90, 91]);
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const p = alloc(8);
      kernels.softmax(be, up(data), 0, 2, 4, p, false);
      const lp = alloc(8);
      kernels.softmax(be, up(data), 0, 2, 4, lp, true);
      return [p, lp];
    });
    expectClose('softmax', g[0]!, w[0]!, ACCUMULATE);
    expectClose('log-softmax', g[1]!, w[1]!, ACCUMULATE);
  });
});

describe('row kernel variants', () => {
  it('one invocation per row for short rows, and on software adapters for 128 rows or more of up to 8192 columns', () => {
    expect(rowPerInvocation(1000, 16, false)).toBe(true);
    expect(rowPerInvocation(1000, 17, false)).toBe(false);
    expect(rowPerInvocation(128, 256, true)).toBe(true);
    expect(rowPerInvocation(127, 256, true)).toBe(false);
    expect(rowPerInvocation(4096, 8192, true)).toBe(true);
    expect(rowPerInvocation(4096, 8193, true)).toBe(false);
    expect(rowPerInvocation(3, 16, true)).toBe(true);
  });
});

describe('fused norms', () => {
  for (const [rows, cols] of [[3, 5], [4, 300], [2, 2500], [130, 70]] as [number, number][]) {
    for (const [hasW, hasB] of [[true, true], [true, false], [false, true], [false, false]]) {
      it(`layerNorm [${rows}, ${cols}] weight=${hasW} bias=${hasB}`, async () => {
        const x = Float32Array.from(normals(rows * cols, 3), (v) => v + 2);
        const wt = normals(cols);
        const bs = normals(cols);
        const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
          const out = alloc(rows * cols);
          const mean = alloc(rows);
          const rstd = alloc(rows);
          be.overrides!.layerNorm!({ x: up(x), weight: hasW ? up(wt) : null, bias: hasB ? up(bs) : null, rows, cols, eps: 1e-5, out, mean, rstd });
          return [out, mean, rstd];
        });
        g.forEach((r, i) => expectClose(`layerNorm output ${i}`, r, w[i]!, ACCUMULATE));
      });
    }
    for (const hasW of [true, false]) {
      it(`rmsNorm [${rows}, ${cols}] weight=${hasW}`, async () => {
        const x = normals(rows * cols, 3);
        const wt = normals(cols);
        const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
          const out = alloc(rows * cols);
          const rstd = alloc(rows);
          be.overrides!.rmsNorm!({ x: up(x), weight: hasW ? up(wt) : null, rows, cols, eps: 1e-6, out, rstd });
          return [out, rstd];
        });
        g.forEach((r, i) => expectClose(`rmsNorm output ${i}`, r, w[i]!, ACCUMULATE));
      });
    }
  }
});
