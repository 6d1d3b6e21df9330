/**
 * Strided iteration: operands that share one shape are walked row by row. Dimensions of size 1
 * are dropped and adjacent dimensions are merged wherever every operand allows it, so a
 * contiguous (or uniformly strided) problem becomes a single row and the kernels' inner loops
 * run over long rows with a fixed stride. The outer dimensions advance with an odometer; nothing
 * is allocated per element or per row.
 */

/** The merged iteration space of several operands of one shape. */
export interface RowPlan {
  /** Merged outer shape (all but the row dimension); empty when everything is one row. */
  readonly outer: number[];
  /** Per operand, the strides of the merged outer dimensions. */
  readonly outerStrides: number[][];
  /** Length of one row (the merged innermost dimension). */
  readonly len: number;
  /** Per operand, the element stride along a row. */
  readonly inner: number[];
  /** Total number of elements (0 means nothing to do). */
  readonly size: number;
}

/** Plan a row-wise walk of operands with the given shape and per-operand strides. */
export function planRows(shape: readonly number[], strides: readonly (readonly number[])[]): RowPlan {
  const k = strides.length;
  let size = 1;
  for (const d of shape) size *= d;
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  if (size === 0) return { outer: [], outerStrides: st, len: 0, inner: strides.map(() => 0), size: 0 };
  // Walk from the innermost dimension outward, merging into the current outermost kept dimension.
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = dims.length - 1;
    if (last >= 0) {
      let mergeable = true;
      for (let j = 0; j < k; j++) {
        if (strides[j]![d] !== st[j]![last]! * dims[last]!) {
          mergeable = false;
          break;
        }
      }
      if (mergeable) {
        dims[last] = dims[last]! * n;
        continue;
      }
    }
    dims.push(n);
    for (let j = 0; j < k; j++) st[j]!.push(strides[j]![d]!);
  }
  if (dims.length === 0) {
    dims.push(1);
    for (let j = 0; j < k; j++) st[j]!.push(0);
  }
  // dims/st are innermost-first: the row is index 0, the outer dims are the rest (reversed).
  const len = dims[0]!;
  const inner = st.map((s) => s[0]!);
  const outer = dims.slice(1).reverse();
  const outerStrides = st.map((s) => s.slice(1).reverse());
  return { outer, outerStrides, len, inner, size };
}

/**
 * Call `row(offs)` once per row of the plan, where `offs[j]` is operand j's element offset of the
 * row's first element (starting from `offsets`). `offs` is reused between calls.
 */
export function eachRow(plan: RowPlan, offsets: readonly number[], row: (offs: number[]) => void): void {
  if (plan.size === 0) return;
  const offs = offsets.slice();
  const outer = plan.outer;
  const r = outer.length;
  if (r === 0) {
    row(offs);
    return;
  }
  const k = offs.length;
  const st = plan.outerStrides;
  const idx = new Array<number>(r).fill(0);
  for (;;) {
    row(offs);
    let d = r - 1;
    for (; d >= 0; d--) {
      const i = ++idx[d]!;
      if (i < outer[d]!) {
        for (let j = 0; j < k; j++) offs[j]! += st[j]![d]!;
        break;
      }
      idx[d] = 0;
      for (let j = 0; j < k; j++) offs[j]! -= st[j]![d]! * (outer[d]! - 1);
    }
    if (d < 0) return;
  }
}
