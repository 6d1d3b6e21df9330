/**
 * CPU-WebGPU parity of the ViT forward (tiny config: llvmpipe is slow), when
 * `@unihetero/webgpu/testing` gives a backend (skipped without an adapter locally, a failure in CI).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { webgpuForTests } from '@unihetero/webgpu/testing';
import { CpuBackend, Generator, memory, randn, type Backend } from '@unihetero/tensor';
import { Dinov2Model, PatchifyEncoder, ViTSemanticEncoder, interpolatePositionEmbeddings, vitConfig } from '../src/index';

const gpu = await webgpuForTests('vision');
afterAll(() => gpu?.destroy());

const TINY = vitConfig({ hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, patchSize: 2, imageSize: 8, numRegisterTokens: 1, interpolateAntialias: true });

function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, rtol = 1e-4, atol = 1e-5): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i]! - want[i]!) > atol + rtol * Math.abs(want[i]!)) throw new Error(`${what}[${i}]: webgpu ${got[i]} vs cpu ${want[i]}`);
  }
}

describe.skipIf(!gpu)('ViT on WebGPU', () => {
  it('forward (with registers and interpolated positions) matches the CPU backend, memory flat', async () => {
    const cpu = new CpuBackend();
    const x = randn([2, 3, 6, 10], { generator: new Generator(1), backend: cpu });
    const cpuModel = new Dinov2Model(TINY, { generator: new Generator(0), backend: cpu });
    const gpuModel = new Dinov2Model(TINY, { generator: new Generator(0), backend: gpu! });
    const want = cpuModel.forward(x).dataSync();
    const xg = await x.toBackend(gpu!);
    const base = memory(gpu!).tensors;
    const out = gpuModel.call(xg);
    expect(out.shape).toEqual([2, 1 + 1 + 15, 8]);
    expectClose('Dinov2Model.forward', await out.data(), want);
    out.dispose();
    expect(memory(gpu!).tensors).toBe(base);
    const enc = new ViTSemanticEncoder(gpuModel);
    expectClose('ViTSemanticEncoder.encode', await enc.encode(xg).data(), cpuModel.patchTokens(x).dataSync());
    const pos = interpolatePositionEmbeddings(gpuModel.embeddings.position_embeddings, { height: 3, width: 5 }, true);
    expectClose('interpolatePositionEmbeddings', await pos.data(), interpolatePositionEmbeddings(cpuModel.embeddings.position_embeddings, { height: 3, width: 5 }, true).dataSync());
  });

  it('patchify encoder round trip is exact on WebGPU', async () => {
    const x = randn([1, 3, 8, 8], { generator: new Generator(2), backend: gpu! });
    const enc = new PatchifyEncoder({ backend: gpu! });
    expect(Array.from(await enc.decode(enc.encode(x)).data())).toEqual(Array.from(await x.data()));
  });
});
