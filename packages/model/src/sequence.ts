/**
 * Sequence building (docs/method.md 2.1-2.2): understanding samples put the image first and carry
 * the text loss; generation samples put it after the caption and carry ploss and diffuloss on
 * the masked visual tokens. Produces host arrays only (ids, labels, embedding sources, spans);
 * `UniHetero.loss` turns them into tensors.
 *
 * ```
 * understanding:  <bos> <boi> v_1 .. v_N <eoi> prompt target <eos>     loss on target and <eos>
 * generation:     <bos> caption <boi> v_1 .. v_N                        ploss/diffuloss on masked v_j
 * ```
 * Generation sequences stop at the span: the positions after it would attend to the span but
 * carry no loss (docs/method.md 2.1 keeps no text loss there), so they would only cost compute.
 */

/** Special-token ids the layout needs. */
export interface SpecialIds {
  bos: number;
  eos: number;
  pad: number;
  boi: number;
  eoi: number;
}

/** One training example: which image of the batch, and its text. */
export interface SequenceExample {
  /** `understand`: image then text; `generate`: text then image. */
  kind: 'understand' | 'generate';
  /** Row of the image batch. */
  image: number;
  /** Text without loss: the question for understanding, the caption for generation (empty after caption dropout). */
  prompt: readonly number[];
  /** Text with loss (understanding only): the caption or the answer. */
  target?: readonly number[];
}

/** A built batch (row-major host arrays). */
export interface SequenceBatch {
  /** Batch size `B` and padded length `L`. */
  batch: number;
  length: number;
  /** `[B*L]` token ids (visual positions hold `pad`; they take embeddings instead). */
  ids: Int32Array;
  /** Real tokens per row. */
  lengths: Int32Array;
  /** `[B*L]` 1 where the input is a visual embedding. */
  embedsMask: Uint8Array;
  /**
   * Per visual position, in row-major order of `embedsMask`: the row of the visual table it
   * reads, `image*N + j` (visible) or `maskRow` (= images*N, the mask embedding).
   */
  visualSource: Int32Array;
  /** Row of the mask embedding in the visual table. */
  maskRow: number;
  /** Image span `[start, end)` per row. */
  spans: [number, number][][];
  /** Hidden-state rows (flat `b*L + t`) whose next token is a target, and those targets. */
  textRows: Int32Array;
  textTargets: Int32Array;
  /** Masked visual positions: hidden-state rows (flat `b*L + t`) and visual-table rows (`image*N + j`). */
  maskedRows: Int32Array;
  maskedTokens: Int32Array;
  /** Every span position of the generation rows (masked and visible): hidden-state rows and visual-table rows. */
  spanRows: Int32Array;
  spanTokens: Int32Array;
  /** Number of generation and understanding rows. */
  generationRows: number;
  understandingRows: number;
}

/** Options of `buildSequences`. */
export interface BuildOptions {
  /** Visual tokens per image. */
  numVisualTokens: number;
  /** Images in the batch (rows of the visual table). */
  numImages: number;
  /** `[numGenerationRows * N]` training mask (1 = masked), rows in order of the generation examples. */
  generationMask: Uint8Array;
  /** Text loss on the caption of generation samples (docs/method.md 2.1). */
  textLossOnPrompt?: boolean;
}

/** Build the padded batch for `examples` (see the module comment for the layout). */
export function buildSequences(examples: readonly SequenceExample[], special: SpecialIds, options: BuildOptions): SequenceBatch {
  const N = options.numVisualTokens;
  const B = examples.length;
  if (B === 0) throw new Error('buildSequences: no examples');
  const nGen = examples.filter((e) => e.kind === 'generate').length;
  if (options.generationMask.length !== nGen * N) {
    throw new Error(`buildSequences: generationMask has ${options.generationMask.length} entries, expected ${nGen} generation rows x ${N} tokens = ${nGen * N}`);
  }
  const rows: { ids: number[]; visualStart: number; targetFrom: number; targetTo: number }[] = [];
  for (const [i, e] of examples.entries()) {
    if (!Number.isInteger(e.image) || e.image < 0 || e.image >= options.numImages) throw new Error(`buildSequences: example ${i} uses image ${e.image}, but the batch has ${options.numImages} images`);
    if (e.kind === 'understand') {
      const target = e.target ?? [];
      if (target.length === 0) throw new Error(`buildSequences: understanding example ${i} has no target text`);
      const ids = [special.bos, special.boi, ...new Array<number>(N).fill(special.pad), special.eoi, ...e.prompt, ...target, special.eos];
      const targetFrom = 2 + N + 1 + e.prompt.length;
      rows.push({ ids, visualStart: 2, targetFrom, targetTo: ids.length });
    } else if (e.kind === 'generate') {
      const ids = [special.bos, ...e.prompt, special.boi, ...new Array<number>(N).fill(special.pad)];
      const from = options.textLossOnPrompt && e.prompt.length ? 1 : ids.length;
      rows.push({ ids, visualStart: 2 + e.prompt.length, targetFrom: from, targetTo: options.textLossOnPrompt && e.prompt.length ? 1 + e.prompt.length : ids.length });
    } else {
      throw new Error(`buildSequences: example ${i} has unknown kind '${(e as { kind: string }).kind}'`);
    }
  }
  const L = Math.max(...rows.map((r) => r.ids.length));
  const ids = new Int32Array(B * L).fill(special.pad);
  const lengths = new Int32Array(B);
  const embedsMask = new Uint8Array(B * L);
  const visualSource = new Int32Array(B * N);
  const maskRow = options.numImages * N;
  const spans: [number, number][][] = [];
  const textRows: number[] = [];
  const textTargets: number[] = [];
  const maskedRows: number[] = [];
  const maskedTokens: number[] = [];
  const spanRows: number[] = [];
  const spanTokens: number[] = [];
  let v = 0;
  let g = 0;
  for (let b = 0; b < B; b++) {
    const r = rows[b]!;
    const e = examples[b]!;
    ids.set(r.ids, b * L);
    lengths[b] = r.ids.length;
    spans.push([[r.visualStart, r.visualStart + N]]);
    for (let j = 0; j < N; j++) {
      const p = r.visualStart + j;
      embedsMask[b * L + p] = 1;
      const tableRow = e.image * N + j;
      const masked = e.kind === 'generate' && options.generationMask[g * N + j] === 1;
      visualSource[v++] = masked ? maskRow : tableRow;
      if (masked) {
        maskedRows.push(b * L + p);
        maskedTokens.push(tableRow);
      }
      if (e.kind === 'generate') {
        spanRows.push(b * L + p);
        spanTokens.push(tableRow);
      }
    }
    for (let t = r.targetFrom; t < r.targetTo; t++) {
      textRows.push(b * L + t - 1);
      textTargets.push(r.ids[t]!);
    }
    if (e.kind === 'generate') g++;
  }
  return {
    batch: B,
    length: L,
    ids,
    lengths,
    embedsMask,
    visualSource,
    maskRow,
    spans,
    textRows: Int32Array.from(textRows),
    textTargets: Int32Array.from(textTargets),
    maskedRows: Int32Array.from(maskedRows),
    maskedTokens: Int32Array.from(maskedTokens),
    spanRows: Int32Array.from(spanRows),
    spanTokens: Int32Array.from(spanTokens),
    generationRows: nGen,
    understandingRows: B - nGen,
  };
}
