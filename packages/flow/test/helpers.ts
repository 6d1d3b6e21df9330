/** Test helpers: random re-initialisation, parameter swapping for gradcheck, and the four-blob toy data. */
import { Generator, Tensor, noGrad, tensor, type Backend } from '@unihetero/tensor';
import { Module, normal_ } from '@unihetero/nn';

/** Overwrite every parameter with N(0, std²) draws (a zero-initialised head has dead gradients). */
export function randomize(m: Module, gen: Generator, std = 0.5): void {
  for (const p of m.parameters()) normal_(p, 0, std, gen);
}

/** Replace the parameter at a dotted path (`res_blocks.0.mlp.0.weight`) by `t`. */
export function setParameter(root: Module, path: string, t: Tensor): void {
  const parts = path.split('.');
  let m: Module = root;
  for (const p of parts.slice(0, -1)) {
    const next = m._modules.get(p);
    if (!next) throw new Error(`setParameter: no module '${p}' in '${path}'`);
    m = next;
  }
  (m as unknown as Record<string, Tensor>)[parts.at(-1)!] = t;
}

/** Host values of a tensor as a plain array. */
export async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** Centres of the four blobs; condition k (one-hot) picks centre k. */
export const CENTERS: [number, number][] = [
  [1.5, 1.5],
  [-1.5, 1.5],
  [-1.5, -1.5],
  [1.5, -1.5],
];
/** Standard deviation of every blob. */
export const BLOB_STD = 0.3;

/** `n` pairs (one-hot condition `[n, 4]`, point `[n, 2]`), condition `i % 4`, from `gen`. */
export function blobs(n: number, gen: Generator, backend?: Backend): { conditions: Tensor; latents: Tensor } {
  const c = new Float32Array(n * 4);
  const x = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const k = i % 4;
    c[i * 4 + k] = 1;
    x[i * 2] = CENTERS[k]![0] + BLOB_STD * gen.normal();
    x[i * 2 + 1] = CENTERS[k]![1] + BLOB_STD * gen.normal();
  }
  return { conditions: tensor(c, { shape: [n, 4], backend }), latents: tensor(x, { shape: [n, 2], backend }) };
}

/** One-hot conditions `[4·perBlob, 4]`: `perBlob` rows of blob 0, then blob 1, ... */
export function blobConditions(perBlob: number, backend?: Backend): Tensor {
  const c = new Float32Array(4 * perBlob * 4);
  for (let k = 0; k < 4; k++) for (let i = 0; i < perBlob; i++) c[(k * perBlob + i) * 4 + k] = 1;
  return tensor(c, { shape: [4 * perBlob, 4], backend });
}

/** Per-blob sample mean and (Bessel) standard deviation of `[4·perBlob, 2]` samples. */
export function blobStats(s: ArrayLike<number>, perBlob: number): { mean: [number, number]; std: [number, number] }[] {
  const out: { mean: [number, number]; std: [number, number] }[] = [];
  for (let k = 0; k < 4; k++) {
    const mean: [number, number] = [0, 0];
    const std: [number, number] = [0, 0];
    for (let d = 0; d < 2; d++) {
      let m = 0;
      for (let i = 0; i < perBlob; i++) m += s[(k * perBlob + i) * 2 + d]!;
      m /= perBlob;
      let v = 0;
      for (let i = 0; i < perBlob; i++) v += (s[(k * perBlob + i) * 2 + d]! - m) ** 2;
      mean[d] = m;
      std[d] = Math.sqrt(v / (perBlob - 1));
    }
    out.push({ mean, std });
  }
  return out;
}

/** Run `fn` without recording gradients. */
export const ng = <T>(fn: () => T): T => noGrad(fn);
