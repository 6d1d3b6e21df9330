/**
 * The column-sum kernel (the `sumColumns` override): one invocation per column of a contiguous
 * `[rows, cols]` block, adding its rows in order in float32 (reads of neighbouring invocations are
 * neighbouring words), so a sum over leading dims needs no transposed copy first.
 */

/** Uniform word layout of the column-sum kernel. */
export const COLUMNS = { offset: 0, rows: 1, cols: 2, rowStride: 3, words: 4 } as const;

/** `out[c] = sum_r x[offset + r * cols + c]`. Bindings: x, out, params. */
export function sumColumnsSource(wg: number): string {
  return `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
struct Params { v: vec4<u32> };
@group(0) @binding(2) var<uniform> P: Params;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x + gid.y * P.v[${COLUMNS.rowStride}];
  let cols = P.v[${COLUMNS.cols}];
  if (c >= cols) { return; }
  let rows = P.v[${COLUMNS.rows}];
  var i = P.v[${COLUMNS.offset}] + c;
  var s = 0.0;
  for (var r = 0u; r < rows; r = r + 1u) {
    s = s + x[i];
    i = i + cols;
  }
  out[c] = s;
}
`;
}
