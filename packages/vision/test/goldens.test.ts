/**
 * Against PyTorch goldens (test/goldens/torch.json, made by scripts/make-goldens.py with Debian's
 * python3-torch): F.interpolate, and a hand-written PyTorch DINOv2 mirroring transformers' module
 * tree (same parameter names) with deterministic weights.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { noGrad, tensor } from '@unihetero/tensor';
import { Dinov2Model, resize2d, vitConfigFromHF } from '../src/index';

interface InterpCase {
  size: [number, number];
  mode: 'bicubic' | 'bilinear';
  align_corners: boolean;
  antialias: boolean;
  output: number[];
}
interface VitCase {
  name: string;
  config: Record<string, unknown>;
  input_shape: number[];
  params: [string, number[]][];
  output_shape: number[];
  output: number[];
}
const goldens = JSON.parse(readFileSync(new URL('./goldens/torch.json', import.meta.url), 'utf8')) as {
  interpolate: { input_shape: number[]; cases: InterpCase[] };
  vit: VitCase[];
};

/** The same deterministic inputs and weights as the Python script. */
function detInput(shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => 0.9 * Math.sin(0.113 * i + 0.2));
}
function paramValue(name: string, k: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => {
    const s = Math.sin(0.37 * i + 1.7 * k + 0.5);
    if (/(norm1|norm2|layernorm)\.weight$/.test(name)) return 1 + 0.2 * s;
    if (name.endsWith('lambda1')) return 0.7 + 0.2 * s;
    return 0.3 * s;
  });
}

function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) - rtol * Math.abs(want[i]!);
    if (err > atol) throw new Error(`${what}[${i}]: got ${got[i]}, torch ${want[i]}`);
    worst = Math.max(worst, err);
  }
}

describe('F.interpolate goldens', () => {
  const x = tensor(detInput(goldens.interpolate.input_shape), { shape: goldens.interpolate.input_shape });
  for (const c of goldens.interpolate.cases) {
    it(`${c.mode} to ${c.size.join('x')} (align_corners ${c.align_corners}, antialias ${c.antialias})`, () => {
      const y = resize2d(x, c.size, { mode: c.mode, alignCorners: c.align_corners, antialias: c.antialias });
      expectClose('resize2d', y.dataSync(), c.output, 1e-6, 1e-5);
    });
  }
});

describe('DINOv2 forward goldens', () => {
  for (const c of goldens.vit) {
    it(c.name, () => {
      const model = new Dinov2Model(vitConfigFromHF(c.config));
      const sd = model.stateDict();
      // same names and shapes as the PyTorch module tree
      expect([...sd.keys()].sort().map((k) => [k, sd.get(k)!.shape])).toEqual(c.params);
      noGrad(() => c.params.forEach(([name, shape], k) => sd.get(name)!.assign(tensor(paramValue(name, k, shape.reduce((a, b) => a * b, 1)), { shape }))));
      const y = model.forward(tensor(detInput(c.input_shape), { shape: c.input_shape }));
      expect(y.shape).toEqual(c.output_shape);
      expectClose('last_hidden_state', y.dataSync(), c.output, 2e-5, 1e-4);
    });
  }
});
