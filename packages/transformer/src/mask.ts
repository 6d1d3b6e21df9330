/**
 * Attention masks from a compact description (docs/method.md 2.2): causal across the sequence,
 * bidirectional inside each image span, padding keys never visible.
 *
 * `allowed(q, k) = valid(k) AND (k <= q OR span(q) = span(k) != none)`
 *
 * The mask enters attention as ONE additive tensor per forward (0 where allowed, a large finite
 * negative elsewhere), so a query row whose keys are all padding gets a uniform softmax instead
 * of NaN.
 */
import { tensor, type Backend, type DType, type Tensor } from '@unihetero/tensor';

/** A half-open range `[start, end)` of absolute positions whose elements attend to each other. */
export type Span = readonly [start: number, end: number];

/** The compact description of one forward's attention pattern (beyond causality). */
export interface AttentionLayout {
  /**
   * Image spans in absolute positions (cache positions included): one list shared by every
   * sample, or one list per sample. Spans of a sample must not overlap.
   */
  spans?: readonly Span[] | readonly (readonly Span[])[];
  /** Right padding: per sample, how many leading positions of this call are real tokens. */
  lengths?: ArrayLike<number>;
  /** Per sample, per position of this call: 1/true = real token, 0/false = padding (`[B][L]` or flat `B*L`). */
  keyPaddingMask?: ArrayLike<number | boolean> | readonly ArrayLike<number | boolean>[];
}

/** The additive value of a disallowed (query, key) pair: large, negative and finite (no NaN rows). */
export const MASKED_LOGIT = -1e9;

/** Where a mask is evaluated: the queries are positions `pastLength .. pastLength+queryLength-1`. */
export interface MaskGeometry {
  /** Batch size `B`. */
  batch: number;
  /** Positions in this call `L_q`. */
  queryLength: number;
  /** Positions already in the KV cache (keys `0 .. pastLength-1`; default 0). */
  pastLength?: number;
  /** Validity (1 = real) of the cached keys per sample, `pastLength` entries each (default all real). */
  pastKeyValid?: readonly Uint8Array[];
}

/** The expanded mask: booleans on the host, plus what the attention needs to know. */
export interface ExpandedMask {
  /** `[R, L_q, L_k]` row-major, 1 = may attend; `R` is 1 when every sample has the same pattern, else `B`. */
  allowed: Uint8Array;
  /** Rows `R` of `allowed`. */
  rows: number;
  /** `L_q`. */
  queryLength: number;
  /** `L_k = pastLength + L_q`. */
  keyLength: number;
  /** Key validity of THIS call's positions per sample (to append to a cache). */
  newKeyValid: Uint8Array[];
  /** True when every pair is allowed (attention can skip the mask). */
  allAllowed: boolean;
}

function isSpan(s: unknown): s is Span {
  return Array.isArray(s) && s.length === 2 && typeof s[0] === 'number' && typeof s[1] === 'number';
}

/** Normalise `layout.spans` to one list per sample, validated against the key length. */
export function spansPerSample(spans: AttentionLayout['spans'], batch: number, keyLength: number): Span[][] | null {
  if (!spans || spans.length === 0) return null;
  let per: readonly (readonly Span[])[];
  if ((spans as readonly unknown[]).every(isSpan)) per = Array.from({ length: batch }, () => spans as readonly Span[]);
  else {
    if (spans.length !== batch) throw new Error(`attention mask: spans has ${spans.length} per-sample lists, expected batch ${batch}`);
    per = spans as readonly (readonly Span[])[];
  }
  return per.map((list, b) => {
    if (!Array.isArray(list)) throw new Error(`attention mask: spans of sample ${b} must be a list of [start, end] pairs, got ${JSON.stringify(list)}`);
    const sorted = [...list].map((s, i) => {
      if (!isSpan(s)) throw new Error(`attention mask: span ${i} of sample ${b} must be [start, end], got ${JSON.stringify(s)}`);
      const [a, e] = s;
      if (!Number.isInteger(a) || !Number.isInteger(e) || a < 0 || e <= a || e > keyLength) {
        throw new Error(`attention mask: span [${a}, ${e}) of sample ${b} must satisfy 0 <= start < end <= ${keyLength} (the key length)`);
      }
      return s;
    });
    sorted.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]![0] < sorted[i - 1]![1]) throw new Error(`attention mask: spans [${sorted[i - 1]![0]}, ${sorted[i - 1]![1]}) and [${sorted[i]![0]}, ${sorted[i]![1]}) of sample ${b} overlap`);
    }
    return sorted;
  });
}

/** Validity of this call's positions per sample from `lengths` / `keyPaddingMask` (null: all real). */
export function chunkKeyValid(layout: AttentionLayout, batch: number, length: number): Uint8Array[] | null {
  const { lengths, keyPaddingMask } = layout;
  if (lengths === undefined && keyPaddingMask === undefined) return null;
  const out = Array.from({ length: batch }, () => new Uint8Array(length).fill(1));
  if (lengths !== undefined) {
    if (lengths.length !== batch) throw new Error(`attention mask: lengths has ${lengths.length} entries, expected batch ${batch}`);
    for (let b = 0; b < batch; b++) {
      const n = lengths[b]!;
      if (!Number.isInteger(n) || n < 0 || n > length) throw new Error(`attention mask: lengths[${b}] = ${n} must be an integer in [0, ${length}]`);
      out[b]!.fill(0, n);
    }
  }
  if (keyPaddingMask !== undefined) {
    const nested = keyPaddingMask.length > 0 && typeof keyPaddingMask[0] === 'object';
    if (nested) {
      const rows = keyPaddingMask as readonly ArrayLike<number | boolean>[];
      if (rows.length !== batch) throw new Error(`attention mask: keyPaddingMask has ${rows.length} rows, expected batch ${batch}`);
      rows.forEach((r, b) => {
        if (r.length !== length) throw new Error(`attention mask: keyPaddingMask row ${b} has ${r.length} entries, expected ${length}`);
        for (let i = 0; i < length; i++) if (!r[i]) out[b]![i] = 0;
      });
    } else {
      const flat = keyPaddingMask as ArrayLike<number | boolean>;
      if (flat.length !== batch * length) throw new Error(`attention mask: keyPaddingMask has ${flat.length} entries, expected ${batch} x ${length} = ${batch * length}`);
      for (let b = 0; b < batch; b++) for (let i = 0; i < length; i++) if (!flat[b * length + i]) out[b]![i] = 0;
    }
  }
  return out;
}

/** Expand a layout into per-(query, key) booleans (host side; see `attentionBias` for the tensor). */
export function expandMask(layout: AttentionLayout, geometry: MaskGeometry): ExpandedMask {
  const { batch, queryLength: lq } = geometry;
  const past = geometry.pastLength ?? 0;
  if (!Number.isInteger(batch) || batch <= 0) throw new Error(`attention mask: batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(lq) || lq <= 0) throw new Error(`attention mask: queryLength must be a positive integer, got ${lq}`);
  if (!Number.isInteger(past) || past < 0) throw new Error(`attention mask: pastLength must be a non-negative integer, got ${past}`);
  const lk = past + lq;
  const spans = spansPerSample(layout.spans, batch, lk);
  const chunkValid = chunkKeyValid(layout, batch, lq);
  const pastValid = geometry.pastKeyValid;
  if (pastValid) {
    if (pastValid.length !== batch) throw new Error(`attention mask: pastKeyValid has ${pastValid.length} rows, expected batch ${batch}`);
    pastValid.forEach((r, b) => {
      if (r.length !== past) throw new Error(`attention mask: pastKeyValid row ${b} has ${r.length} entries, expected pastLength ${past}`);
    });
  }
  const pastPadded = pastValid?.some((r) => r.includes(0)) ?? false;
  const perSample = pastPadded || chunkValid !== null || (spans !== null && !spans.every((s) => sameSpans(s, spans[0]!)));
  const rows = perSample ? batch : 1;
  const allowed = new Uint8Array(rows * lq * lk);
  const spanId = new Int32Array(lk);
  const valid = new Uint8Array(lk);
  for (let r = 0; r < rows; r++) {
    spanId.fill(-1);
    spans?.[r]!.forEach(([a, e], i) => spanId.fill(i, a, e));
    valid.fill(1);
    if (pastValid) valid.set(pastValid[r]!, 0);
    if (chunkValid) valid.set(chunkValid[r]!, past);
    for (let q = 0; q < lq; q++) {
      const qa = past + q;
      const sq = spanId[qa]!;
      const base = (r * lq + q) * lk;
      for (let k = 0; k < lk; k++) allowed[base + k] = valid[k]! && (k <= qa || (sq >= 0 && spanId[k] === sq)) ? 1 : 0;
    }
  }
  const newKeyValid = chunkValid ?? Array.from({ length: batch }, () => new Uint8Array(lq).fill(1));
  return { allowed, rows, queryLength: lq, keyLength: lk, newKeyValid, allAllowed: !allowed.includes(0) };
}

function sameSpans(a: readonly Span[], b: readonly Span[]): boolean {
  return a.length === b.length && a.every((s, i) => s[0] === b[i]![0] && s[1] === b[i]![1]);
}

/** The additive mask `[R, 1, L_q, L_k]` (0 allowed, `MASKED_LOGIT` not), or null when everything is allowed. */
export function attentionBias(mask: ExpandedMask, backend: Backend, dtype: DType = 'float32'): Tensor | null {
  if (mask.allAllowed) return null;
  const n = mask.allowed.length;
  const values = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = mask.allowed[i] ? 0 : MASKED_LOGIT;
  return tensor(values, { shape: [mask.rows, 1, mask.queryLength, mask.keyLength], dtype, backend });
}
