/**
 * Batched matmul `C[b] = A[b] @ B[b]`, register-tiled: each invocation accumulates an RM x RN
 * block of C in vec4 registers (one variable each, never an indexed array: Mesa's llvmpipe keeps
 * an indexed local array in memory and gathers it lane by lane); a workgroup computes a TM x TN
 * tile, stepping K by TK through workgroup memory. Specialised on the memory layout of A and B:
 * - A 'n': A(m, k) = a[m * lda + k] (row-major), A 't': a[k * lda + m] (transposed);
 * - B 'n': B(k, n) = b[k * ldb + n], B 't': b[n * ldb + k].
 * Tiles at the matrix edges are bounds-checked (zero fill / masked stores); interior tiles load
 * without checks, with vec4 global loads where the contiguous dimension is 4-aligned.
 */
import type { WType } from './elementwise-wgsl.js';

/** Uniform layout of the matmul kernel (u32 words). */
export const MM = { M: 0, N: 1, K: 2, batchBase: 3, aOff: 4, aBatch: 5, lda: 6, bOff: 8, bBatch: 9, ldb: 10, words: 12 } as const;

/** Tile configuration of a matmul kernel. */
export interface MatmulConfig {
  /** Invocations along N and M. */
  wgX: number;
  wgY: number;
  /** Rows (multiple of 4 for A 't') and columns (multiple of 4) of C per invocation. */
  rm: number;
  rn: number;
  /** K step through workgroup memory (multiple of 4). */
  tk: number;
}

/** The default tiles: 8x8 invocations of 8x8 blocks -> 64x64 tiles, K step 32 (16 KiB of workgroup memory; fastest measured on llvmpipe). */
export const DEFAULT_MATMUL: MatmulConfig = { wgX: 8, wgY: 8, rm: 8, rn: 8, tk: 32 };

/**
 * Tall tiles for software adapters (Mesa llvmpipe): 8x8 invocations of 16x8 blocks -> 128x64
 * tiles. llvmpipe runs one invocation per SIMD lane and gathers each workgroup-memory read, so a
 * larger block per invocation amortises those reads over more multiply-adds; interleaved on
 * llvmpipe (2 cores) it gave 1.2-1.35x the default's GFLOP/s on the transformer bench's products
 * (docs/benchmarks.md). Not used on hardware adapters, where 128 accumulators per invocation
 * would cost occupancy (unmeasured).
 */
export const TALL_MATMUL: MatmulConfig = { wgX: 8, wgY: 8, rm: 16, rn: 8, tk: 32 };

/**
 * Large tiles for software adapters: 8x8 invocations of 16x16 blocks -> 128x128 tiles (32 KiB of
 * workgroup memory). On llvmpipe every workgroup-memory read is a loop over the SIMD lanes, so
 * what counts is multiply-adds per read: 16x16 blocks do 8 per scalar read, 16x8 blocks 5.3.
 * Measured on llvmpipe (2 cores) on the transformer bench's products: 1.0-1.3x the GFLOP/s of
 * `TALL_MATMUL`, 1.3-1.7x the default tiles' (docs/benchmarks.md).
 */
export const LARGE_MATMUL: MatmulConfig = { wgX: 8, wgY: 8, rm: 16, rn: 16, tk: 32 };

/**
 * The first of `candidates` (largest first) whose tiles cover an `M x N` product with at most an
 * eighth more padding than `base`'s tiles, else `base`. With `N` omitted only rows count.
 */
export function pickMatmulTileOf(M: number, N: number | undefined, base: MatmulConfig, candidates: readonly MatmulConfig[]): MatmulConfig {
  const padded = (c: MatmulConfig) => Math.ceil(M / (c.wgY * c.rm)) * c.wgY * c.rm * (N === undefined ? 1 : Math.ceil(N / (c.wgX * c.rn)) * c.wgX * c.rn);
  const limit = padded(base) * 9;
  return candidates.find((c) => padded(c) * 8 <= limit) ?? base;
}

/**
 * The tile for an `M`-row product when tall tiles are allowed: `tall` when padding M to its rows
 * wastes at most an eighth more than padding it to `base`'s rows, else `base`.
 */
export function pickMatmulTile(M: number, base: MatmulConfig, tall: MatmulConfig): MatmulConfig {
  return pickMatmulTileOf(M, undefined, base, [tall]);
}

/** Layout/alignment specialisation of one matmul call. */
export interface MatmulSpec {
  t: WType;
  aLayout: 'n' | 't';
  bLayout: 'n' | 't';
  /** A's contiguous dimension can be read as vec4 (alignment of offset, batch stride, lda and extent). */
  aVec4: boolean;
  bVec4: boolean;
}

/** Cache key of a matmul specialisation. */
export function matmulKey(s: MatmulSpec, c: MatmulConfig): string {
  return `matmul|${s.t}|${s.aLayout}${s.bLayout}|${s.aVec4 ? 'v' : 's'}${s.bVec4 ? 'v' : 's'}|${c.wgX}x${c.wgY}x${c.rm}x${c.rn}x${c.tk}`;
}

/** WGSL source of a matmul specialisation. */
export function matmulSource(s: MatmulSpec, c: MatmulConfig): string {
  const { t } = s;
  const { wgX, wgY, rm, rn, tk } = c;
  const TM = wgY * rm;
  const TN = wgX * rn;
  const WG = wgX * wgY;
  const cn = rn / 4; // vec4 columns per invocation
  const z = `${t}(0)`;
  const v4 = `vec4<${t}>`;
  // A tile: 'n' -> As[m][k4] (vec4 along k); 't' -> As[k][m4] (vec4 along m). B tile: Bs[k][n4].
  const aSlots = (TM * tk) / 4;
  const bSlots = (tk * TN) / 4;

  const aElem = s.aLayout === 'n' ? '(m) * lda + (k)' : '(k) * lda + (m)';
  const bElem = s.bLayout === 'n' ? '(k) * ldb + (n)' : '(n) * ldb + (k)';
  const aAt = (m: string, k: string) => `ldA(aBase + ${aElem.replace('(m)', `(${m})`).replace('(k)', `(${k})`)})`;
  const bAt = (k: string, n: string) => `ldB(bBase + ${bElem.replace('(k)', `(${k})`).replace('(n)', `(${n})`)})`;
  const aAtV = (m: string, k: string) => `AV[(aBase + ${aElem.replace('(m)', `(${m})`).replace('(k)', `(${k})`)}) / 4u]`;
  const bAtV = (k: string, n: string) => `BV[(bBase + ${bElem.replace('(k)', `(${k})`).replace('(n)', `(${n})`)}) / 4u]`;

  // Loading one tile slot e: `idx` sets the coordinates of its first element; `at(q)` and
  // `inside(q)` are element q of its vec4 and that element's bounds test (partial tiles); `vec` is
  // one aligned vec4 read when the operand allows it.
  const four = (f: (q: number) => string) => `${v4}(${[0, 1, 2, 3].map(f).join(', ')})`;
  const slotLoad = (idx: string, dst: string, at: (q: number) => string, inside: (q: number) => string, vec: string | null) =>
    `${idx}\n        if (full) { ${dst} = ${vec ?? four(at)}; } else { ${dst} = ${four((q) => `select(${z}, ${at(q)}, ${inside(q)})`)}; }`;
  const aVec = s.aVec4 ? aAtV('gm', 'gk') : null;
  const aLoad =
    s.aLayout === 'n'
      ? // slot e -> m = e / (tk/4), k4 = e % (tk/4); vec4 along k
        slotLoad(`let mm = e / ${tk / 4}u; let kk = (e % ${tk / 4}u) * 4u; let gm = tileM + mm; let gk = k0 + kk;`, 'As[e]', (q) => aAt('gm', `gk + ${q}u`), (q) => `gm < M && gk + ${q}u < K`, aVec)
      : // slot e -> k = e / (TM/4), m4 = e % (TM/4); vec4 along m
        slotLoad(`let kk = e / ${TM / 4}u; let mm = (e % ${TM / 4}u) * 4u; let gm = tileM + mm; let gk = k0 + kk;`, 'As[e]', (q) => aAt(`gm + ${q}u`, 'gk'), (q) => `gm + ${q}u < M && gk < K`, aVec);
  const bAtQ = (q: number) => bAt('gk', `gn + ${q}u`);
  const bInside = (q: number) => `gk < K && gn + ${q}u < N`;
  const bLoad =
    s.bLayout === 'n'
      ? slotLoad(`let kk = e / ${TN / 4}u; let nn = (e % ${TN / 4}u) * 4u; let gk = k0 + kk; let gn = tileN + nn;`, 'Bs[e]', bAtQ, bInside, s.bVec4 ? bAtV('gk', 'gn') : null)
      : // B 't': k contiguous; keep the Bs[k][n4] layout and read 4 n's at stride ldb.
        slotLoad(`let kk = e % ${tk}u; let nn = (e / ${tk}u) * 4u; let gk = k0 + kk; let gn = tileN + nn;`, `Bs[kk * ${TN / 4}u + nn / 4u]`, bAtQ, bInside, null);

  // Inner product over one K tile.
  const lines: string[] = [];
  if (s.aLayout === 'n') {
    lines.push(`      for (var k4 = 0u; k4 < ${tk / 4}u; k4 = k4 + 1u) {`);
    for (let q = 0; q < 4; q++) for (let j = 0; j < cn; j++) lines.push(`        let b${q}_${j} = Bs[(k4 * 4u + ${q}u) * ${TN / 4}u + tx * ${cn}u + ${j}u];`);
    for (let r = 0; r < rm; r++) {
      lines.push(`        let a${r} = As[(ty * ${rm}u + ${r}u) * ${tk / 4}u + k4];`);
      for (let j = 0; j < cn; j++) {
        lines.push(`        acc${r * cn + j} = acc${r * cn + j} + a${r}.x * b0_${j} + a${r}.y * b1_${j} + a${r}.z * b2_${j} + a${r}.w * b3_${j};`);
      }
    }
    lines.push('      }');
  } else {
    lines.push(`      for (var k = 0u; k < ${tk}u; k = k + 1u) {`);
    for (let j = 0; j < cn; j++) lines.push(`        let b${j} = Bs[k * ${TN / 4}u + tx * ${cn}u + ${j}u];`);
    for (let r4 = 0; r4 < rm / 4; r4++) {
      lines.push(`        let a${r4} = As[k * ${TM / 4}u + ty * ${rm / 4}u + ${r4}u];`);
      for (let rr = 0; rr < 4; rr++) {
        const comp = 'xyzw'[rr]!;
        for (let j = 0; j < cn; j++) {
          const i = (r4 * 4 + rr) * cn + j;
          lines.push(`        acc${i} = acc${i} + a${r4}.${comp} * b${j};`);
        }
      }
    }
    lines.push('      }');
  }

  const stores: string[] = [];
  for (let r = 0; r < rm; r++) {
    stores.push(`  { let m = tileM + ty * ${rm}u + ${r}u;`);
    stores.push(`    if (m < M) {`);
    for (let j = 0; j < cn; j++) {
      for (let q = 0; q < 4; q++) {
        stores.push(`      { let n = tileN + tx * ${rn}u + ${j * 4 + q}u; if (n < N) { C[cBase + m * N + n] = acc${r * cn + j}.${'xyzw'[q]}; } }`);
      }
    }
    stores.push('    }\n  }');
  }

  const aDecl = s.aVec4
    ? `@group(0) @binding(0) var<storage, read> AV: array<${v4}>;\nfn ldA(i: u32) -> ${t} { return AV[i / 4u][i % 4u]; }`
    : `@group(0) @binding(0) var<storage, read> A: array<${t}>;\nfn ldA(i: u32) -> ${t} { return A[i]; }`;
  const bDecl = s.bVec4
    ? `@group(0) @binding(1) var<storage, read> BV: array<${v4}>;\nfn ldB(i: u32) -> ${t} { return BV[i / 4u][i % 4u]; }`
    : `@group(0) @binding(1) var<storage, read> B: array<${t}>;\nfn ldB(i: u32) -> ${t} { return B[i]; }`;
  const src = `${aDecl}
${bDecl}
@group(0) @binding(2) var<storage, read_write> C: array<${t}>;
struct Params { v: array<vec4<u32>, ${MM.words / 4}> };
@group(0) @binding(3) var<uniform> P: Params;
fn pu(i: u32) -> u32 { return P.v[i / 4u][i % 4u]; }
var<workgroup> As: array<${v4}, ${aSlots}>;
var<workgroup> Bs: array<${v4}, ${bSlots}>;
@compute @workgroup_size(${wgX}, ${wgY})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lidv: vec3<u32>) {
  let M = pu(${MM.M}u);
  let N = pu(${MM.N}u);
  let K = pu(${MM.K}u);
  let batch = wid.z + pu(${MM.batchBase}u);
  let aBase = pu(${MM.aOff}u) + batch * pu(${MM.aBatch}u);
  let bBase = pu(${MM.bOff}u) + batch * pu(${MM.bBatch}u);
  let cBase = batch * M * N;
  let lda = pu(${MM.lda}u);
  let ldb = pu(${MM.ldb}u);
  let tileM = wid.y * ${TM}u;
  let tileN = wid.x * ${TN}u;
  let tx = lidv.x;
  let ty = lidv.y;
  let lid = ty * ${wgX}u + tx;
${Array.from({ length: rm * cn }, (_, i) => `  var acc${i} = ${v4}(${z});`).join('\n')}
  let fullMN = tileM + ${TM}u <= M && tileN + ${TN}u <= N;
  for (var k0 = 0u; k0 < K; k0 = k0 + ${tk}u) {
    let full = fullMN && k0 + ${tk}u <= K;
    for (var e = lid; e < ${aSlots}u; e = e + ${WG}u) {
        ${aLoad}
    }
    for (var e = lid; e < ${bSlots}u; e = e + ${WG}u) {
        ${bLoad}
    }
    workgroupBarrier();
${lines.join('\n')}
    workgroupBarrier();
  }
${stores.join('\n')}
}`;
  return src;
}
