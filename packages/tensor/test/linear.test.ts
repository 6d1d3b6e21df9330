/** `linear(x, weight, bias?)`: values, gradients (finite differences), contiguous weight gradients, memory, errors. */
import { describe, expect, it } from 'vitest';
import { Generator, gradcheck, linear, liveTensorCount, randn, tensor, tidy, type Tensor } from '../src/index.js';

/** `x W^T + b` on the host in float64, row by row. */
function reference(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null, n: number, inF: number, out: number): number[] {
  const y: number[] = [];
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < out; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i]! * w[o * inF + i]!;
      y.push(s);
    }
  }
  return y;
}

describe('linear', () => {
  it('computes x W^T + b for inputs of rank 1, 2 and 3', () => {
    const g = new Generator(1);
    for (const lead of [[], [5], [2, 3]]) {
      for (const withBias of [false, true]) {
        const x = randn([...lead, 4], { generator: g });
        const w = randn([3, 4], { generator: g });
        const b = withBias ? randn([3], { generator: g }) : null;
        const y = linear(x, w, b);
        expect(y.shape).toEqual([...lead, 3]);
        const n = lead.reduce((a, c) => a * c, 1);
        const want = reference(x.dataSync(), w.dataSync(), b?.dataSync() ?? null, n, 4, 3);
        Array.from(y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
      }
    }
  });

  it('equals the composed (W @ x^T)^T + b to the bit', () => {
    const g = new Generator(2);
    const x = randn([2, 7, 16], { generator: g });
    const w = randn([24, 16], { generator: g });
    const b = randn([24], { generator: g });
    const composed = w.matmul(x.transpose(-2, -1)).transpose(-2, -1).add(b);
    expect(Array.from(linear(x, w, b).dataSync())).toEqual(Array.from(composed.dataSync()));
  });

  it('passes gradcheck in the input, the weight and the bias (rank 1, 2 and 3, strided input)', async () => {
    const g = new Generator(3);
    const w = randn([3, 4], { generator: g });
    const b = randn([3], { generator: g });
    for (const shape of [[4], [5, 4], [2, 3, 4]]) {
      const x = randn(shape, { generator: g });
      await expect(gradcheck((xi: Tensor, wi: Tensor, bi: Tensor) => linear(xi, wi, bi), [x, w, b])).resolves.toBe(true);
      await expect(gradcheck((xi: Tensor, wi: Tensor) => linear(xi, wi), [x, w])).resolves.toBe(true);
    }
    const xt = randn([4, 5], { generator: g }); // used transposed: a non-contiguous input
    await expect(gradcheck((xi: Tensor, wi: Tensor, bi: Tensor) => linear(xi.transpose(0, 1), wi, bi), [xt, w, b])).resolves.toBe(true);
  });

  it('gives the weight a contiguous gradient, also for a 3-D input', () => {
    const g = new Generator(4);
    const x = randn([2, 5, 4], { generator: g, requiresGrad: true });
    const w = randn([3, 4], { generator: g, requiresGrad: true });
    const b = randn([3], { generator: g, requiresGrad: true });
    tidy(() => linear(x, w, b).square().sum()).backward();
    expect(w.grad!.isContiguous).toBe(true);
    expect(w.grad!.shape).toEqual([3, 4]);
    expect(b.grad!.shape).toEqual([3]);
    expect(x.grad!.shape).toEqual([2, 5, 4]);
  });

  it('frees every intermediate (forward and backward)', () => {
    const g = new Generator(5);
    const x = randn([6, 4], { generator: g, requiresGrad: true });
    const w = randn([3, 4], { generator: g, requiresGrad: true });
    const b = randn([3], { generator: g, requiresGrad: true });
    const base = liveTensorCount();
    const loss = tidy(() => linear(x, w, b).sum());
    loss.backward();
    loss.dispose();
    for (const t of [x, w, b]) t.zeroGrad();
    expect(liveTensorCount()).toBe(base);
  });

  it('names the operation and the offending values in its errors', () => {
    const x = tensor([[1, 2, 3]]);
    expect(() => linear(x, tensor([1, 2, 3]))).toThrow('linear: weight must be [out, in], got [3]');
    expect(() => linear(x, tensor([[1, 2]]))).toThrow('linear: input [1,3] must end with the weight\'s in features 2 (weight [1,2])');
    expect(() => linear(x, tensor([[1, 2, 3]]), tensor([1, 2]))).toThrow('linear: bias [2] must be [1] for weight [1,3]');
    expect(() => linear(tensor([[1, 2, 3]], { dtype: 'int32' }), tensor([[1, 2, 3]]))).toThrow('linear: input must be a float tensor, got int32 [1,3]');
    expect(() => linear(x, tensor([[1, 2, 3]], { dtype: 'float64' }))).toThrow('linear: dtypes differ: input float32, weight float64');
  });
});
