import { kernels } from '@unihetero/tensor';
/**
 * Matmul parity with the CPU reference backend on odd sizes (edge tiles), transposed operands
 * (both kernels' layouts), batch broadcast (batch stride 0), offsets, and layouts that need a copy.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MATMUL, LARGE_MATMUL, TALL_MATMUL, pickMatmulTile, pickMatmulTileOf, type MatmulConfig } from '../src/kernels/matmul-wgsl.js';
import { WebGPUBackend, isSoftwareAdapter, type WebGPUBackendOptions } from '../src/index.js';
import { ACCUMULATE, EXACT, expectClose, ints, normals, onBoth, useBackends, view, type Ctx } from './helpers.js';

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

describe('larger matmul tiles on software adapters', () => {
  it('a software adapter gets LARGE_MATMUL or TALL_MATMUL where they cover the product with little padding; a hardware one, or an explicit matmul option, one tile for all', () => {
    const made = (description: string, options: WebGPUBackendOptions = {}) => new WebGPUBackend(b.gpu.device, { kind: 'webgpu', description }, { ...options, ownsDevice: false });
    const software = made('llvmpipe (LLVM 15.0.6, 256 bits)');
    const hardware = made('NVIDIA H100');
    const fixed = made('llvmpipe (LLVM 15.0.6, 256 bits)', { matmul: {} });
    // LARGE_MATMUL needs 32 KiB of workgroup memory; llvmpipe offers it.
    const large = b.gpu.device.limits.maxComputeWorkgroupStorageSize >= 32768 ? LARGE_MATMUL : TALL_MATMUL;
    expect([64, 128, 1024].map((M) => software.matmulTile(M))).toEqual([DEFAULT_MATMUL, large, large]);
    expect(software.matmulTile(1024, 256)).toEqual(large);
    expect(software.matmulTile(1024, 64)).toEqual(TALL_MATMUL);
    expect(software.matmulTile(64, 1024)).toEqual(DEFAULT_MATMUL);
    expect([64, 128, 1024].map((M) => hardware.matmulTile(M, 1024))).toEqual([DEFAULT_MATMUL, DEFAULT_MATMUL, DEFAULT_MATMUL]);
    expect(fixed.matmulTile(1024, 1024)).toEqual(DEFAULT_MATMUL);
    expect(b.gpu.matmulTile(128, 128)).toEqual(isSoftwareAdapter(b.gpu.info) ? large : DEFAULT_MATMUL);
    for (const be of [software, hardware, fixed]) be.destroy();
  });

  // The larger kernels themselves on any adapter (the SIZES above reach them only on a software
  // adapter). Every tile adds the products over K in the same order, so the results are bitwise
  // those of the default tiles.
  const tiles: [string, MatmulConfig][] = [
    ['TALL_MATMUL', TALL_MATMUL],
    ['LARGE_MATMUL', LARGE_MATMUL],
  ];
  for (const [name, config] of tiles) {
    for (const [M, K, N] of [[128, 32, 64], [250, 33, 70], [130, 70, 260]] as const) {
      for (const la of ['n', 't'] as const) {
        for (const lb of ['n', 't'] as const) {
          it(`${name} [${M}x${K}] @ [${K}x${N}] layouts ${la}${lb}: the CPU's values, the default tiles' bits`, async () => {
            if (config === LARGE_MATMUL && b.gpu.device.limits.maxComputeWorkgroupStorageSize < 32768) return;
            const big = new WebGPUBackend(b.gpu.device, b.gpu.info, { matmul: config, ownsDevice: false });
            const small = new WebGPUBackend(b.gpu.device, b.gpu.info, { matmul: DEFAULT_MATMUL, ownsDevice: false });
            try {
              const a = normals(M * K);
              const bb = normals(K * N);
              const run = ({ be, up, alloc }: Ctx) => {
                const out = alloc(M * N);
                be.matmul(view(up(a), [1, M, K], strides(M, K, la, false)), view(up(bb), [1, K, N], strides(K, N, lb, false)), out);
                return [out];
              };
              const [g, w] = await onBoth({ gpu: big, cpu: b.cpu }, run);
              expectClose(name, g[0]!, w[0]!, ACCUMULATE);
              const [d] = await onBoth({ gpu: small, cpu: b.cpu }, run);
              expect(g[0]).toEqual(d[0]);
            } finally {
              big.destroy();
              small.destroy();
            }
          });
        }
      }
    }
  }
});

describe('pickMatmulTile', () => {
  it('takes the tall tile when padding M to 128 rows wastes at most an eighth more than padding it to 64', () => {
    const rows = (M: number) => pickMatmulTile(M, DEFAULT_MATMUL, TALL_MATMUL).rm * pickMatmulTile(M, DEFAULT_MATMUL, TALL_MATMUL).wgY;
    expect([1, 64, 65, 100, 128, 129, 192, 250, 257, 1024, 1100].map(rows)).toEqual([64, 64, 128, 128, 128, 64, 64, 128, 64, 128, 128]);
  });

  it('pickMatmulTileOf takes the first candidate whose padded M x N area is at most an eighth more than the base tiles', () => {
    const pick = (M: number, N?: number) => pickMatmulTileOf(M, N, DEFAULT_MATMUL, [LARGE_MATMUL, TALL_MATMUL]);
    expect(pick(1024, 1024)).toBe(LARGE_MATMUL);
    expect(pick(1024, 64)).toBe(TALL_MATMUL);
    expect(pick(1024, 192)).toBe(TALL_MATMUL); // 256 columns against 192: a third more
    expect(pick(64, 1024)).toBe(DEFAULT_MATMUL);
    expect(pick(250, 250)).toBe(LARGE_MATMUL);
    expect(pick(1024)).toBe(LARGE_MATMUL);
    expect(pickMatmulTileOf(1024, 1024, DEFAULT_MATMUL, [])).toBe(DEFAULT_MATMUL);
  });
});
