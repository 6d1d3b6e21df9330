/**
 * Text -> image generation, MAR-style (docs/method.md 10.1-10.4): the caption prefix is run once into a
 * KV cache; the image span starts fully masked; at each of `K` cosine-scheduled steps the span is
 * rerun against the cached prefix (full attention inside the span), and the positions revealed at
 * that step get the invert-projector's prediction `e_hat = G(z)`, fed back as their input
 * embedding, and a pixel latent sampled by the flow head from the same `z`. Optional rounds of
 * regeneration re-mask some positions and generate them again (inference-time scaling).
 *
 * Random numbers are drawn from the generator in a fixed order: orders (one per image), then per
 * step the flow noise in position order, then per regeneration round the policy's choice and the
 * round's order.
 */
import { Generator, Tensor, concat, cosineSimilarity, keep, noGrad, tensor, tidy, zeros, type Backend } from '@unihetero/tensor';
import { sampleFlow } from '@unihetero/flow';
import { cfgScale, getRegenerationPolicy, maskedAfterSteps, randomOrders, rasterOrders, regenerationRound, revealStepsBatch } from '@unihetero/masking';
import type { KVCache } from '@unihetero/transformer';
import { tensorToImages, type RgbImage } from '@unihetero/data';
import type { UniHetero } from './model.js';

/** Options of `generateImages`. */
export interface GenerateOptions {
  /** MAR steps `K` (default 16, docs/method.md 14); `1 <= K <= N`. */
  steps?: number;
  /** Scale of the flow sampler's initial noise (default: the config's `flow.sampleTemperature`). */
  temperature?: number;
  /** Classifier-free guidance scale on the flow velocity (default 1 = off; docs/method.md 10.4). */
  guidance?: number;
  /** Guidance schedule over the MAR steps (default 'linear', MAR's); it applies to both guidances. */
  guidanceSchedule?: 'linear' | 'constant';
  /**
   * Classifier-free guidance on the semantic predictions (default 1 = off): a revealed token gets
   * `e_u + w (e_c - e_u)`, where `e_c = G(z)` and `e_u` is the invert-projector's prediction from
   * the same span with the caption dropped (training's caption dropout teaches that row). Our
   * departure from MAR, whose guidance acts on the pixel head only: here the semantic tokens are
   * what the caption must steer (docs/generation.md).
   */
  semanticGuidance?: number;
  /** Regeneration rounds after the full pass (default 0; docs/method.md 10.3). */
  regenerationRounds?: number;
  /** Fraction re-masked per round (default 0.25). */
  regenerationFraction?: number;
  /** Which tokens to re-mask: 'random' (default), 'original-order', or 'lowest-agreement' (lowest cos(e_hat, G(z)) on a fresh pass). */
  regenerationPolicy?: 'random' | 'original-order' | 'lowest-agreement';
  /** Generation order: 'random' (default, one permutation per image) or 'raster'. */
  order?: 'random' | 'raster';
  /** Flow sampler steps (default: the config's `flow.sampleSteps`). */
  flowSteps?: number;
  /** Flow ODE method (default: the config's `flow.sampler`). */
  flowSampler?: 'euler' | 'heun';
  /**
   * When pixels are sampled (default: the config's `flow.decode`): 'reveal' (each token from the
   * state that revealed it, MAR) or 'final' (all tokens from one more pass over the committed span).
   */
  decode?: 'reveal' | 'final';
  /** Sample pixel latents and decode images (default true); false generates semantics only. */
  decodePixels?: boolean;
  /** The random stream (default `new Generator(0)`). */
  generator?: Generator;
  /** Called (and awaited) after each step of the full pass, e.g. to show progress; see `GenerationStep`. */
  onStep?: (step: GenerationStep) => void | Promise<void>;
}

/** What `onStep` receives after each MAR step of the full pass. */
export interface GenerationStep {
  /** The step just taken (1-based) and the number of steps `K`. */
  step: number;
  steps: number;
  /** Span positions revealed at this step, per image: `B` rows of `count` each, flat. */
  revealed: Int32Array;
  /** Pixel latents so far `[B*N, C]` (zero where still masked; null when pixels are not decoded per step). Valid during the call only. */
  latents: Tensor | null;
}

/** What `generateImages` returns. */
export interface GenerationResult {
  /** Decoded images (when `decodePixels`). */
  images: RgbImage[] | null;
  /** `[B, N, C]` pixel latents (when `decodePixels`; the caller disposes it). */
  latents: Tensor | null;
  /** `[B, N, d]` the committed LLM input embeddings of the span (the caller disposes it). */
  embeddings: Tensor;
  /** `[B, N, outDim]` the invert-projector predictions `e_hat` (the caller disposes it). */
  predictions: Tensor;
}

/** The cached prefix of one generation batch. */
interface Prefix {
  cache: KVCache;
  /** Prefix length `P` (left-padded). */
  length: number;
  /** Per stream row, positions of the span tokens (`len_r + j`). */
  spanPositions: Int32Array;
  /** Rows: `B` (no guidance) or `2B` (conditional rows, then unconditional). */
  rows: number;
}

function runPrefix(model: UniHetero, prompts: number[][], backend: Backend): Prefix {
  const s = model.special;
  const rows = prompts.map((p) => [s.bos, ...p, s.boi]);
  const P = Math.max(...rows.map((r) => r.length));
  const R = rows.length;
  const N = model.numVisualTokens;
  const ids = new Int32Array(R * P).fill(s.pad);
  const valid: number[][] = [];
  const positions: number[][] = [];
  const spanPositions = new Int32Array(R * N);
  rows.forEach((r, i) => {
    const pad = P - r.length;
    ids.set(r, i * P + pad);
    valid.push(Array.from({ length: P }, (_, t) => (t >= pad ? 1 : 0)));
    positions.push(Array.from({ length: P }, (_, t) => Math.max(0, t - pad)));
    for (let j = 0; j < N; j++) spanPositions[i * N + j] = r.length + j;
  });
  const cache = model.lm.createCache(R, P + N);
  tidy(() => {
    model.lm.model.forward({ inputIds: tensor(ids, { shape: [R, P], dtype: 'int32', backend }), attention: { keyPaddingMask: valid }, positionIds: positions, cache });
  });
  return { cache, length: P, spanPositions, rows: R };
}

/** Hidden states `[rows*N, d]` of the span inputs `[B*N, d]` against the cached prefix. */
function spanHidden(model: UniHetero, prefix: Prefix, inputs: Tensor): Tensor {
  const N = model.numVisualTokens;
  const d = model.config.backbone.hiddenSize;
  return tidy(() => {
    const B = inputs.shape[0]! / N;
    const x = model.spanInputs(prefix.rows === B ? inputs : concat([inputs, inputs], 0));
    const z = model.lm.model.forward({
      inputsEmbeds: x.reshape(prefix.rows, N, d),
      positionIds: prefix.spanPositions,
      attention: { spans: [[prefix.length, prefix.length + N]] },
      cache: prefix.cache,
      appendToCache: false,
    });
    return z.reshape(prefix.rows * N, d);
  });
}

/** Hidden states `[B*N, d]` of a fully masked span after each prompt, through the cached path (for tests). */
export function cachedSpanHidden(model: UniHetero, prompts: number[][]): Tensor {
  const N = model.numVisualTokens;
  const d = model.config.backbone.hiddenSize;
  return noGrad(() => {
    const prefix = runPrefix(model, prompts, model.backend);
    try {
      return tidy(() => spanHidden(model, prefix, model.mask_embedding.reshape(1, d).expand(prompts.length * N, d).contiguous()));
    } finally {
      prefix.cache.dispose();
    }
  });
}

/**
 * Classifier-free guidance of a semantic prediction: `u + w (c - u)` (w = 1 gives `c`). The invert-
 * projector's outputs are compared by direction (the cosine loss), so the result is used as is.
 */
export function guidedPrediction(conditional: Tensor, unconditional: Tensor, weight: number): Tensor {
  return unconditional.add(conditional.sub(unconditional).mul(weight));
}

/** Rows `b*N + pos` of `[B*N, ...]` tensors for positions listed per image (`count` each, flat `[B*count]`). */
function rowIndex(positions: Int32Array, count: number, N: number, offset = 0): Int32Array {
  const out = new Int32Array(positions.length);
  for (let i = 0; i < positions.length; i++) out[i] = offset + Math.floor(i / count) * N + positions[i]!;
  return out;
}

/** `table` with rows `rows` replaced by the rows of `values` (in order); a new tensor. */
function replaceRows(table: Tensor, rows: Int32Array, values: Tensor, backend: Backend): Tensor {
  const n = table.shape[0]!;
  const map = new Int32Array(n);
  for (let i = 0; i < n; i++) map[i] = i;
  rows.forEach((r, k) => (map[r] = n + k));
  return concat([table, values], 0).indexSelect(0, tensor(map, { dtype: 'int32', backend }));
}

/**
 * Generate images for tokenized prompts (caption ids without specials). See the module comment
 * for the loop; returns the decoded images, latents, committed embeddings and predictions.
 */
export async function generateImages(model: UniHetero, prompts: number[][], options: GenerateOptions = {}): Promise<GenerationResult> {
  const op = 'generateImages';
  const N = model.numVisualTokens;
  const B = prompts.length;
  if (B === 0) throw new Error(`${op}: no prompts`);
  const K = options.steps ?? 16;
  if (!Number.isInteger(K) || K < 1 || K > N) throw new Error(`${op}: steps must be an integer in [1, ${N}] (the number of visual tokens), got ${K}`);
  const g = options.guidance ?? 1;
  if (!Number.isFinite(g)) throw new Error(`${op}: guidance must be finite, got ${g}`);
  const gs = options.semanticGuidance ?? 1;
  if (!Number.isFinite(gs)) throw new Error(`${op}: semanticGuidance must be finite, got ${gs}`);
  const rounds = options.regenerationRounds ?? 0;
  if (!Number.isInteger(rounds) || rounds < 0) throw new Error(`${op}: regenerationRounds must be an integer >= 0, got ${rounds}`);
  const rho = options.regenerationFraction ?? 0.25;
  if (!(rho > 0 && rho <= 1)) throw new Error(`${op}: regenerationFraction must be in (0, 1], got ${rho}`);
  const gen = options.generator ?? new Generator(0);
  const decode = options.decodePixels ?? true;
  const decodeAt = options.decode ?? model.config.flow.decode;
  const flowSteps = options.flowSteps ?? model.config.flow.sampleSteps;
  const method = options.flowSampler ?? model.config.flow.sampler;
  const schedule = options.guidanceSchedule ?? 'linear';
  const policyName = options.regenerationPolicy ?? 'random';
  const be = model.backend;
  const d = model.config.backbone.hiddenSize;
  const C = model.config.pixelDim;
  const invert = model.invert_projector;
  const wasTraining = model.training;
  model.eval();
  const guided = g !== 1 || gs !== 1;
  const prefix = noGrad(() => runPrefix(model, guided ? [...prompts, ...prompts.map(() => [])] : prompts, be));
  const owned: Tensor[] = [];
  try {
    let inputs = keep(noGrad(() => tidy(() => model.mask_embedding.reshape(1, d).expand(B * N, d).contiguous())));
    let predictions = keep(noGrad(() => tidy(() => invert.predict(inputs))));
    let latents: Tensor | null = decode ? keep(zeros([B * N, C], { backend: be })) : null;
    owned.push(inputs, predictions);
    if (latents) owned.push(latents);
    const swap = (old: Tensor, next: Tensor): Tensor => {
      keep(next);
      owned.splice(owned.indexOf(old), 1, next);
      old.dispose();
      return next;
    };
    /** Pixel latents `[T, C]` for hidden states `zc [T, d]` (and `zu`, their unconditional twins) at span positions `positions`. */
    const sampleLatents = (zc: Tensor, zu: Tensor | null, positions: Int32Array, tokens: Tensor, scale: number): Tensor =>
      tidy(() =>
        sampleFlow(model.flow_head, model.flowCondition(zc, positions, tokens), {
          steps: flowSteps,
          method,
          temperature: options.temperature ?? model.config.flow.sampleTemperature,
          cfgScale: scale,
          nullCondition: zu ? model.flowCondition(zu, positions, tokens) : undefined,
          generator: gen,
        }),
      );
    /**
     * Reveal `positions` (flat [B*count]): commit predictions, feedback and latents. `at(w)` is the
     * weight at this step of a guidance whose scale is `w` (the schedule; 1 stays 1 = off).
     */
    const reveal = (positions: Int32Array, count: number, at: (scale: number) => number) => {
      noGrad(() => {
        const rows = rowIndex(positions, count, N);
        const next = tidy(() => {
          const z = spanHidden(model, prefix, inputs);
          const zc = z.indexSelect(0, tensor(rows, { dtype: 'int32', backend: be }));
          const zu = guided ? z.indexSelect(0, tensor(rowIndex(positions, count, N, B * N), { dtype: 'int32', backend: be })) : null;
          const sw = at(gs);
          const eHat = zu && sw !== 1 ? guidedPrediction(invert.predict(zc), invert.predict(zu), sw) : invert.predict(zc);
          const fb = model.feedback(eHat);
          const x = decode && decodeAt === 'reveal' ? sampleLatents(zc, g !== 1 ? zu : null, positions, fb, at(g)) : null;
          return { inputs: replaceRows(inputs, rows, fb, be), predictions: replaceRows(predictions, rows, eHat, be), latents: x && latents ? replaceRows(latents, rows, x, be) : null };
        });
        inputs = swap(inputs, next.inputs);
        predictions = swap(predictions, next.predictions);
        if (latents && next.latents) latents = swap(latents, next.latents);
      });
    };
    // The full pass.
    const orders = options.order === 'raster' ? rasterOrders(B, N) : randomOrders(gen, B, N);
    const steps = revealStepsBatch(orders, B, K);
    const left = maskedAfterSteps(N, K);
    for (let k = 0; k < steps.length; k++) {
      reveal(steps[k]!, steps[k]!.length / B, (w) => (w !== 1 ? cfgScale(schedule, w, N, left[k]!) : 1));
      if (options.onStep) await options.onStep({ step: k + 1, steps: steps.length, revealed: steps[k]!, latents });
    }
    // Regeneration rounds (docs/method.md 10.3).
    const current: Int32Array[] = Array.from({ length: B }, (_, b) => orders.slice(b * N, (b + 1) * N));
    for (let r = 1; r <= rounds; r++) {
      let scores: Float32Array | null = null;
      if (policyName === 'lowest-agreement') {
        const agreement = noGrad(() => tidy(() => cosineSimilarity(invert.predict(spanHidden(model, prefix, inputs).narrow(0, 0, B * N)), predictions, -1)));
        scores = (await agreement.data()) as Float32Array;
        agreement.dispose();
      }
      const plans = current.map((order, b) =>
        regenerationRound({
          n: N,
          steps: K,
          gen,
          round: r,
          order,
          policy: getRegenerationPolicy(policyName === 'lowest-agreement' ? 'lowest-score' : policyName, rho),
          scores: scores ? scores.subarray(b * N, (b + 1) * N) : undefined,
        }),
      );
      const M = plans[0]!.positions.length;
      const reset = new Int32Array(B * M);
      plans.forEach((p, b) => reset.set(p.positions, b * M));
      const maskRows = rowIndex(reset, M, N);
      inputs = swap(inputs, noGrad(() => tidy(() => replaceRows(inputs, maskRows, model.mask_embedding.reshape(1, d).expand(maskRows.length, d), be))));
      const Kr = plans[0]!.steps;
      const leftR = maskedAfterSteps(M, Kr);
      for (let k = 0; k < Kr; k++) {
        const c = plans[0]!.reveal[k]!.length;
        const pos = new Int32Array(B * c);
        plans.forEach((p, b) => pos.set(p.reveal[k]!, b * c));
        reveal(pos, c, (w) => (w !== 1 ? cfgScale(schedule, w, M, leftR[k]!) : 1));
      }
      plans.forEach((p, b) => {
        if (p.generationOrder) current[b] = p.generationOrder;
      });
    }
    if (latents && decodeAt === 'final') {
      // One more pass over the fully committed span; every token's pixels from its state there.
      const all = new Int32Array(B * N);
      for (let i = 0; i < all.length; i++) all[i] = i % N;
      latents = swap(
        latents,
        noGrad(() =>
          tidy(() => {
            const z = spanHidden(model, prefix, inputs);
            return sampleLatents(z.narrow(0, 0, B * N), g !== 1 ? z.narrow(0, B * N, B * N) : null, all, inputs, g);
          }),
        ),
      );
    }
    const shapeOut = (t: Tensor, w: number) => noGrad(() => tidy(() => t.reshape(B, N, w).contiguous()));
    const embeddings = shapeOut(inputs, d);
    const preds = shapeOut(predictions, invert.outDim);
    let images: RgbImage[] | null = null;
    let lat: Tensor | null = null;
    if (latents) {
      lat = shapeOut(latents, C);
      const pixels = noGrad(() => model.pixel_encoder.decode(lat!));
      images = await tensorToImages(pixels);
      pixels.dispose();
    }
    return { images, latents: lat, embeddings, predictions: preds };
  } finally {
    for (const t of owned) t.dispose();
    prefix.cache.dispose();
    if (wasTraining) model.train();
  }
}
