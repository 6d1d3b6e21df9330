/** The float64 reference shared by the CPU matmul tests. */

/** Anything that reads element (batch, row, col) of a matmul operand. */
export interface Readable {
  get(b: number, r: number, c: number): number;
}

/** float64 triple loop and the per-entry `sum_k |a_ik b_kj|` (the tolerance scale). */
export function matmulReference(a: Readable, b: Readable, B: number, M: number, K: number, N: number): { ref: Float64Array; mag: Float64Array } {
  const ref = new Float64Array(B * M * N);
  const mag = new Float64Array(B * M * N);
  for (let bi = 0; bi < B; bi++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        let m = 0;
        for (let k = 0; k < K; k++) {
          const p = a.get(bi, i, k) * b.get(bi, k, j);
          s += p;
          m += Math.abs(p);
        }
        ref[(bi * M + i) * N + j] = s;
        mag[(bi * M + i) * N + j] = m;
      }
  return { ref, mag };
}
