/**
 * Image -> text (docs/method.md 11): the image span is fully visible (`e_j = P(f_j)`, or any given
 * visual embeddings), closed by `<eoi>`, then text is decoded greedily (or sampled) with a KV
 * cache; multiple-choice answers are scored by the likelihood of each option.
 */
import { Generator, Tensor, noGrad, tensor, tidy } from '@unihetero/tensor';
import { sampleTokens } from '@unihetero/transformer';
import type { UniHetero } from './model.js';
import { buildSequences, type SequenceExample } from './sequence.js';

/** Options of `describeImages`. */
export interface CaptionOptions {
  /** Most tokens to generate (default 48). */
  maxTokens?: number;
  /** 0 (default) = greedy; otherwise sampling temperature. */
  temperature?: number;
  /** Top-k / top-p filters when sampling. */
  topK?: number;
  topP?: number;
  /** Text placed after `<eoi>` before decoding (token ids), e.g. a question. */
  prompt?: readonly number[];
  /** Random stream for sampling. */
  generator?: Generator;
}

/**
 * Decode text after visual embeddings `[B, N, d]` (committed inputs of the span, as the
 * understanding path or a generation's `embeddings`). Returns token ids per row (without `<eos>`).
 */
export async function decodeFromEmbeddings(model: UniHetero, visual: Tensor, options: CaptionOptions = {}): Promise<number[][]> {
  const N = model.numVisualTokens;
  const d = model.config.backbone.hiddenSize;
  const B = visual.shape[0]!;
  if (visual.rank !== 3 || visual.shape[1] !== N || visual.shape[2] !== d) throw new Error(`decodeFromEmbeddings: visual embeddings must be [B, ${N}, ${d}], got ${JSON.stringify(visual.shape)}`);
  const maxTokens = options.maxTokens ?? 48;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new Error(`decodeFromEmbeddings: maxTokens must be a positive integer, got ${maxTokens}`);
  const s = model.special;
  const prompt = options.prompt ?? [];
  const row = [s.bos, s.boi, ...new Array<number>(N).fill(s.pad), s.eoi, ...prompt];
  const L = row.length;
  const be = model.backend;
  const gen = options.generator ?? new Generator(0);
  const sampling = { temperature: options.temperature ?? 0, topK: options.topK, topP: options.topP };
  const wasTraining = model.training;
  model.eval();
  const cache = model.lm.createCache(B, L + maxTokens);
  const out: number[][] = Array.from({ length: B }, () => []);
  const done = new Array<boolean>(B).fill(false);
  const pick = async (logits: Tensor): Promise<Int32Array> => {
    try {
      return await sampleTokens(logits, sampling, gen);
    } finally {
      logits.dispose();
    }
  };
  try {
    const ids = new Int32Array(B * L);
    const mask = new Uint8Array(B * L);
    for (let b = 0; b < B; b++) {
      ids.set(row, b * L);
      for (let j = 0; j < N; j++) mask[b * L + 2 + j] = 1;
    }
    let next = await pick(
      noGrad(() =>
        tidy(() => {
          const h = model.lm.model.forward({
            inputIds: tensor(ids, { shape: [B, L], dtype: 'int32', backend: be }),
            inputsEmbeds: model.spanInputs(visual),
            embedsMask: mask,
            attention: { spans: [[2, 2 + N]] },
            cache,
          });
          return model.lm.logits(h.narrow(1, L - 1, 1).reshape(B, d));
        }),
      ),
    );
    for (let t = 0; t < maxTokens; t++) {
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        if (next[b] === s.eos) done[b] = true;
        else out[b]!.push(next[b]!);
      }
      if (done.every(Boolean) || t === maxTokens - 1) break;
      const feed = Int32Array.from(next, (v, b) => (done[b] ? s.pad : v));
      next = await pick(
        noGrad(() =>
          tidy(() => {
            const h = model.lm.model.forward({ inputIds: tensor(feed, { shape: [B, 1], dtype: 'int32', backend: be }), cache });
            return model.lm.logits(h.reshape(B, d));
          }),
        ),
      );
    }
    return out;
  } finally {
    cache.dispose();
    if (wasTraining) model.train();
  }
}

/** The understanding-path visual embeddings `P(f)` `[B, N, d]` of images `[B, 3, H, W]`. */
export function visualEmbeddings(model: UniHetero, images: Tensor): Tensor {
  const d = model.config.backbone.hiddenSize;
  return noGrad(() =>
    tidy(() => {
      const { features, latents } = model.encodeImages(images);
      latents.dispose();
      return model.input_projector.forward(features).reshape(images.shape[0]!, model.numVisualTokens, d);
    }),
  );
}

/** Captions (decoded text) of images `[B, 3, H, W]` in [-1, 1]. */
export async function describeImages(model: UniHetero, images: Tensor, options: CaptionOptions = {}): Promise<string[]> {
  const visual = visualEmbeddings(model, images);
  try {
    return (await decodeFromEmbeddings(model, visual, options)).map((ids) => model.tokenizer.decode(ids, { skipSpecial: true }));
  } finally {
    visual.dispose();
  }
}

/** A multiple-choice question for `answerQuestions`. */
export interface ChoiceQuestion {
  /** The question text. */
  question: string;
  /** The options (any number >= 2). */
  options: readonly string[];
}

/** Per image: the chosen option index and every option's log-likelihood. */
export interface ChoiceResult {
  choice: number;
  logLikelihoods: number[];
}

/**
 * Answer one multiple-choice question per image by the log-likelihood of each option (its tokens
 * and `<eos>`) after `<bos> <boi> v <eoi> question` (docs/method.md 11). All options of all images run as
 * one batch.
 */
export async function answerQuestions(model: UniHetero, images: Tensor, questions: readonly ChoiceQuestion[]): Promise<ChoiceResult[]> {
  const B = images.shape[0]!;
  if (questions.length !== B) throw new Error(`answerQuestions: ${B} images but ${questions.length} questions`);
  const tok = model.tokenizer;
  const examples: SequenceExample[] = [];
  questions.forEach((q, b) => {
    if (q.options.length < 2) throw new Error(`answerQuestions: question ${b} has ${q.options.length} options; need at least 2`);
    const prompt = tok.encode(q.question, { bos: false, eos: false });
    q.options.forEach((o) => {
      examples.push({ kind: 'understand', image: b, prompt, target: tok.encode(o, { bos: false, eos: false }) });
    });
  });
  const wasTraining = model.training;
  model.eval();
  try {
    const scores = noGrad(() =>
      tidy(() => {
        const enc = model.encodeImages(images);
        const seq = buildSequences(examples, model.special, { numVisualTokens: model.numVisualTokens, numImages: B, generationMask: new Uint8Array(0) });
        const hidden = model.hiddenStates({ sequences: seq, features: enc.features, latents: enc.latents }).reshape(-1, model.config.backbone.hiddenSize);
        const be = model.backend;
        const rows = hidden.indexSelect(0, tensor(seq.textRows, { dtype: 'int32', backend: be }));
        const lsm = model.lm.logits(rows).logSoftmax(-1);
        const picked = lsm.gather(-1, tensor(seq.textTargets, { shape: [seq.textTargets.length, 1], dtype: 'int32', backend: be })).reshape(-1);
        // Sum per example: row r belongs to example floor(textRows[r] / L).
        const perExample = new Int32Array(seq.textRows.length);
        for (let r = 0; r < perExample.length; r++) perExample[r] = Math.floor(seq.textRows[r]! / seq.length);
        return { sums: picked, perExample };
      }),
    );
    const values = await scores.sums.data();
    scores.sums.dispose();
    const ll = new Float64Array(examples.length);
    for (let r = 0; r < values.length; r++) ll[scores.perExample[r]!] += values[r]!;
    const results: ChoiceResult[] = questions.map((q) => ({ choice: 0, logLikelihoods: new Array<number>(q.options.length).fill(0) }));
    let e = 0;
    questions.forEach((q, b) => {
      for (let o = 0; o < q.options.length; o++) results[b]!.logLikelihoods[o] = ll[e++]!;
      const lls = results[b]!.logLikelihoods;
      results[b]!.choice = lls.indexOf(Math.max(...lls));
    });
    return results;
  } finally {
    if (wasTraining) model.train();
  }
}
