import { kernels } from '@unihetero/tensor';
/**
 * Matmul parity with the CPU reference backend on odd sizes (edge tiles), transposed operands
 * (both kernels' layouts), batch broadcast (batch stride 0), offsets, and layouts that need a copy.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MATMUL, TALL_MATMUL, pickMatmulTile } from '../src/kernels/matmul-wgsl.js';
import { WebGPUBackend, isSoftwareAdapter, type WebGPUBackendOptions } from '../src/index.js';
import { ACCUMULATE, EXACT, expectClose, ints, normals, onBoth, useBackends, view } from './helpers.js';

const b = useBackends();

/** Strides of a [B, R, C] operand stored row-major ('n') or as its transpose ('t'), batch stride 0 when broadcast. */
function strides(R: number, C: number, layout: 'n' | 't', broadcast: boolean): number[] {
  const batch = broadcast ? 0 : R * C;
  return layout === 'n' ? [batch, C, 1] : [batch, 1, R];
}

const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [3, 3, 3],
  [17, 17, 17],
  [33, 33, 33],
  [65, 65, 65],
  [70, 130, 50],
  [1, 64, 128],
  [64, 8, 64],
  // 128 rows or more: tall tiles (TALL_MATMUL) on a software adapter such as the tests' llvmpipe.
  [128, 32, 64],
  [250, 33, 70],
];

describe('matmul float32', () => {
  for (const [M, K, N] of SIZES) {
    for (const la of ['n', 't'] as const) {
      for (const lb of ['n', 't'] as const) {
        it(`[${M}x${K}] @ [${K}x${N}] layouts ${la}${lb}`, async () => {
          const a = normals(M * K);
          const bb = normals(K * N);
          const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
            const out = alloc(M * N);
            be.matmul(view(up(a), [1, M, K], strides(M, K, la, false)), view(up(bb), [1, K, N], strides(K, N, lb, false)), out);
            return [out];
          });
          expectClose('matmul', g[0]!, w[0]!, ACCUMULATE);
        });
      }
    }
  }

  it('batched with a broadcast operand (batch stride 0) and offsets', async () => {
    const B = 3;
    const [M, K, N] = [17, 9, 21];
    const a = normals(5 + B * M * K);
    const bb = normals(4 + K * N);
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const o1 = alloc(B * M * N);
      be.matmul(view(up(a), [B, M, K], [M * K, K, 1], 5), view(up(bb), [B, K, N], [0, N, 1], 4), o1);
      const o2 = alloc(B * N * M);
      // (A^T-free) transposed broadcast: out[b] = B^T @ A[b]^T  ->  [N,K] @ [K,M]
      be.matmul(view(up(bb), [B, N, K], [0, 1, N], 4), view(up(a), [B, K, M], [M * K, 1, K], 5), o2);
      return [o1, o2];
    });
    expectClose('batched', g[0]!, w[0]!, ACCUMULATE);
    expectClose('batched transposed', g[1]!, w[1]!, ACCUMULATE);
  });

  it('copies operands whose last two dims are not contiguous in either order', async () => {
    const [M, K, N] = [6, 5, 7];
    const a = normals(2 * M * 2 * K);
    const bb = normals(K * N * 3);
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const out = alloc(M * N);
      be.matmul(view(up(a), [1, M, K], [0, 4 * K, 2]), view(up(bb), [1, K, N], [0, 3 * N, 3]), out);
      return [out];
    });
    expectClose('strided', g[0]!, w[0]!, ACCUMULATE);
  });

  it('large batch and K = 0', async () => {
    const [B, M, K, N] = [40, 3, 4, 5];
    const a = normals(B * M * K);
    const bb = normals(B * K * N);
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const out = alloc(B * M * N);
      be.matmul(view(up(a), [B, M, K]), view(up(bb), [B, K, N]), out);
      const empty = alloc(M * N);
      kernels.fill(be, empty, 7);
      be.matmul(view(up(new Float32Array(0)), [1, M, 0]), view(up(new Float32Array(0)), [1, 0, N]), empty);
      return [out, empty];
    });
    expectClose('batch 40', g[0]!, w[0]!, ACCUMULATE);
    expectClose('K = 0', g[1]!, w[1]!, EXACT);
  });
});

describe('matmul int32', () => {
  it('matches exactly', async () => {
    const [M, K, N] = [9, 70, 11];
    const a = ints(M * K, -5, 6);
    const bb = ints(K * N, -5, 6);
    const [g, w] = await onBoth(b, ({ be, up, alloc }) => {
      const out = alloc(M * N, 'int32');
      be.matmul(view(up(a), [1, M, K]), view(up(bb), [1, K, N], [0, 1, K]), out);
      return [out];
    });
    expectClose('int matmul', g[0]!, w[0]!, EXACT);
  });
});

describe('tall matmul tiles', () => {
  it('a software adapter gets TALL_MATMUL for products of 128 rows or more; a hardware one, or an explicit matmul option, one tile for all', () => {
    const made = (description: string, options: WebGPUBackendOptions = {}) => new WebGPUBackend(b.gpu.device, { kind: 'webgpu', description }, { ...options, ownsDevice: false });
    const software = made('llvmpipe (LLVM 15.0.6, 256 bits)');
    const hardware = made('NVIDIA H100');
    const fixed = made('llvmpipe (LLVM 15.0.6, 256 bits)', { matmul: {} });
    expect([64, 128, 1024].map((M) => software.matmulTile(M))).toEqual([DEFAULT_MATMUL, TALL_MATMUL, TALL_MATMUL]);
    expect([64, 128, 1024].map((M) => hardware.matmulTile(M))).toEqual([DEFAULT_MATMUL, DEFAULT_MATMUL, DEFAULT_MATMUL]);
    expect(fixed.matmulTile(1024)).toEqual(DEFAULT_MATMUL);
    expect(b.gpu.matmulTile(128)).toEqual(isSoftwareAdapter(b.gpu.info) ? TALL_MATMUL : DEFAULT_MATMUL);
    for (const be of [software, hardware, fixed]) be.destroy();
  });

  // The tall kernel itself on any adapter (the SIZES above reach it only on a software adapter).
  for (const [M, K, N] of [[128, 32, 64], [250, 33, 70]] as const) {
    for (const lb of ['n', 't'] as const) {
      it(`TALL_MATMUL [${M}x${K}] @ [${K}x${N}] layouts n${lb}`, async () => {
        const tall = new WebGPUBackend(b.gpu.device, b.gpu.info, { matmul: TALL_MATMUL, ownsDevice: false });
        try {
          const a = normals(M * K);
          const bb = normals(K * N);
          const [g, w] = await onBoth({ gpu: tall, cpu: b.cpu }, ({ be, up, alloc }) => {
            const out = alloc(M * N);
            be.matmul(view(up(a), [1, M, K]), view(up(bb), [1, K, N], strides(K, N, lb, false)), out);
            return [out];
          });
          expectClose('tall matmul', g[0]!, w[0]!, ACCUMULATE);
        } finally {
          tall.destroy();
        }
      });
    }
  }
});

describe('pickMatmulTile', () => {
  it('takes the tall tile when padding M to 128 rows wastes at most an eighth more than padding it to 64', () => {
    const rows = (M: number) => pickMatmulTile(M, DEFAULT_MATMUL, TALL_MATMUL).rm * pickMatmulTile(M, DEFAULT_MATMUL, TALL_MATMUL).wgY;
    expect([1, 64, 65, 100, 128, 129, 192, 250, 257, 1024, 1100].map(rows)).toEqual([64, 64, 128, 128, 128, 64, 64, 128, 64, 128, 128]);
  });
});
