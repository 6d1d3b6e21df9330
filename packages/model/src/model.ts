/**
 * `UniHetero`: one Llama-style backbone that understands images (image -> text) and generates
 * them (text -> image) by autoregressing semantic visual embeddings (docs/method.md 0, 9).
 *
 * Registered parts (their state-dict prefixes): `lm` (the backbone, HF Llama names below it),
 * `input_projector` (`P`), `mask_embedding` (`m`), `invert_projector` (`G`, with the EMA target
 * buffers of `ema-mlp-llm-cos`), `flow_head` (the pixel head), `pixel_encoder` (patchify and its
 * latent statistics). The frozen semantic encoder is held, not registered: its weights are its own.
 */
import { Generator, Tensor, concat, noGrad, tensor, tidy, zeros, type Backend } from '@unihetero/tensor';
import { Module, init } from '@unihetero/nn';
import { TransformerLM, textLoss } from '@unihetero/transformer';
import { InputProjector, createInvertProjector, type InvertProjector } from '@unihetero/projectors';
import { FlowHead, flowHeadConfig, flowMatchingLoss } from '@unihetero/flow';
import { getMaskRateSampler, sampleTrainingMasks, type MaskRateSampler } from '@unihetero/masking';
import { PatchifyEncoder, checkTokenGridsAlign, type PixelEncoder, type SemanticEncoder } from '@unihetero/vision';
import { resolveModelConfig, type ModelConfig, type ModelConfigInput } from './config.js';
import type { TextTokenizer } from './source.js';
import { buildSequences, type SequenceBatch, type SequenceExample, type SpecialIds } from './sequence.js';

/** Construction options of `UniHetero`. */
export interface UniHeteroOptions {
  /** Tokenizer (any `TextTokenizer`, e.g. `@unihetero/data`'s; its vocabulary size and special ids must match the config). */
  tokenizer: TextTokenizer;
  /** The frozen semantic encoder (e.g. `await loadDefaultSemanticEncoder()`). */
  semanticEncoder: SemanticEncoder;
  /** The pixel encoder (default: `new PatchifyEncoder()`, patch 4). Registered as `pixel_encoder`. */
  pixelEncoder?: PixelEncoder & Module;
  /** Image height and width the encoders see (default 32 x 32). */
  imageSize?: readonly [number, number];
  /** Seeded stream of every initialisation. */
  generator?: Generator;
  /** Backend of the parameters (default: the default backend). */
  backend?: Backend;
}

/** The loss parts of one batch (scalar tensors). */
export interface LossParts {
  /** `text + alpha*ploss + beta*diffuloss` (what to back-propagate). */
  total: Tensor;
  /** Cross-entropy + z-loss over the labelled positions. */
  text: Tensor;
  /** Cross-entropy alone. */
  crossEntropy: Tensor;
  /** z-loss alone. */
  zLoss: Tensor;
  /** Cosine loss of the invert-projector over masked visual tokens. */
  ploss: Tensor;
  /** Flow-matching loss over masked visual tokens. */
  diffuloss: Tensor;
}

/** A batch ready for `loss`: the built sequences plus the encoder outputs. */
export interface PreparedBatch {
  /** The sequences (host arrays). */
  sequences: SequenceBatch;
  /** `[B_img, N, d_v]` frozen semantic features. */
  features: Tensor;
  /** `[B_img, N, C]` pixel latents. */
  latents: Tensor;
}

/** The UniHetero model (see the module comment). */
export class UniHetero extends Module {
  declare lm: TransformerLM;
  declare input_projector: InputProjector;
  declare mask_embedding: Tensor;
  declare invert_projector: InvertProjector;
  declare flow_head: FlowHead;
  declare pixel_encoder: PixelEncoder & Module;
  /** `[N, d]` learned position embedding of the span inputs (config `visualPositions: 'learned'`). */
  declare visual_position_embedding: Tensor | undefined;
  /** `[rows, d]` and `[cols, d]` learned row and column embeddings of the token grid (config `visualPositions: 'learned-2d'`). */
  declare visual_row_embedding: Tensor | undefined;
  declare visual_col_embedding: Tensor | undefined;
  /** `[2]` running (weighted sum, weight) of the ploss targets' norms (config `invertProjector.feedbackNorm: 'target-mean'`). */
  declare target_norm: Tensor | undefined;
  /** `[N, d]` learned position embedding added to the flow head's condition (config `flow.positionEmbedding`). */
  declare flow_position_embedding: Tensor | undefined;
  /** The resolved configuration. */
  readonly config: ModelConfig;
  /** Rows and columns of the token grid (set with `visualPositions: 'learned-2d'`). */
  private gridShape: [number, number] = [0, 0];
  /** The tokenizer. */
  readonly tokenizer: TextTokenizer;
  /** Special token ids. */
  readonly special: SpecialIds;
  /** The frozen semantic encoder. */
  readonly semanticEncoder: SemanticEncoder;
  /** Image size the encoders see. */
  readonly imageSize: readonly [number, number];
  /** The training mask-rate sampler. */
  readonly maskRateSampler: MaskRateSampler;

  /** Build a model from a (partial) config; validates it and the encoders against each other. */
  constructor(config: ModelConfigInput, options: UniHeteroOptions) {
    super();
    const c = resolveModelConfig(config);
    this.config = c;
    const tok = options.tokenizer;
    if (!tok) throw new Error('UniHetero: options.tokenizer is required');
    if (tok.vocabSize !== c.vocabSize) throw new Error(`UniHetero: config.vocabSize ${c.vocabSize} does not match the tokenizer's vocabulary size ${tok.vocabSize}`);
    this.tokenizer = tok;
    const s = tok.special;
    this.special = { bos: s.bos, eos: s.eos, pad: s.pad, boi: s.boi, eoi: s.eoi };
    for (const [k, v] of Object.entries(this.special)) if (!Number.isInteger(v) || v < 0 || v >= c.vocabSize) throw new Error(`UniHetero: tokenizer special id ${k} = ${v} is outside the vocabulary [0, ${c.vocabSize})`);
    this.imageSize = options.imageSize ?? [32, 32];
    const sem = options.semanticEncoder;
    if (!sem) throw new Error('UniHetero: options.semanticEncoder is required (e.g. await loadDefaultSemanticEncoder())');
    if (sem.featureDim !== c.semanticDim) throw new Error(`UniHetero: semantic encoder width ${sem.featureDim} does not match config.semanticDim ${c.semanticDim}`);
    this.semanticEncoder = sem;
    const pixel = options.pixelEncoder ?? new PatchifyEncoder({ backend: options.backend });
    if (pixel.latentDim !== c.pixelDim) throw new Error(`UniHetero: pixel encoder latent width ${pixel.latentDim} does not match config.pixelDim ${c.pixelDim}`);
    const grid = checkTokenGridsAlign(sem, pixel, { semanticImage: this.imageSize });
    if (grid.height * grid.width !== c.numVisualTokens) {
      throw new Error(`UniHetero: the encoders give a ${grid.height}x${grid.width} grid (${grid.height * grid.width} tokens) for ${this.imageSize.join('x')} images, but config.numVisualTokens is ${c.numVisualTokens}`);
    }
    const gen = options.generator ?? new Generator(0);
    const lo = { generator: gen, backend: options.backend };
    const b = c.backbone;
    this.registerModule('lm', new TransformerLM({ vocabSize: c.vocabSize, ...b }, lo));
    const d = b.hiddenSize;
    const normalizeInput = c.invertProjector.name === 'norm-3-mlp-cos';
    this.registerModule('input_projector', new InputProjector(c.semanticDim, d, { type: c.inputProjector.type as 'mlp2x_gelu', normalizeInput, ...lo }));
    const m = zeros([d], { backend: options.backend });
    init.normal_(m, 0, 0.02, gen); // docs/method.md 5.1
    this.registerParameter('mask_embedding', m.requiresGrad_(true));
    this.registerModule(
      'invert_projector',
      createInvertProjector(c.invertProjector.name, { llmDim: d, featureDim: c.semanticDim, inputProjector: this.input_projector, momentum: c.invertProjector.momentum, hiddenDim: c.invertProjector.hiddenDim, ...lo }),
    );
    const f = c.flow;
    this.registerModule(
      'flow_head',
      new FlowHead(flowHeadConfig(f.size, { tokenDim: c.pixelDim, conditionDim: d, ...(f.width ? { width: f.width } : {}), ...(f.depth ? { depth: f.depth } : {}), ...(f.mlpRatio ? { mlpRatio: f.mlpRatio } : {}) }), lo),
    );
    this.registerModule('pixel_encoder', pixel);
    this.pixel_encoder.requiresGrad_(false);
    // Optional parts are initialised last, so that switching them on leaves every other
    // parameter's initial values unchanged.
    const N = c.numVisualTokens;
    if (c.visualPositions === 'learned') {
      const pe = zeros([N, d], { backend: options.backend });
      init.normal_(pe, 0, 0.02, gen);
      this.registerParameter('visual_position_embedding', pe.requiresGrad_(true));
    }
    if (c.visualPositions === 'learned-2d') {
      this.gridShape = [grid.height, grid.width];
      const rows = zeros([grid.height, d], { backend: options.backend });
      const cols = zeros([grid.width, d], { backend: options.backend });
      init.normal_(rows, 0, 0.02, gen);
      init.normal_(cols, 0, 0.02, gen);
      this.registerParameter('visual_row_embedding', rows.requiresGrad_(true));
      this.registerParameter('visual_col_embedding', cols.requiresGrad_(true));
    }
    if (c.invertProjector.feedbackNorm === 'target-mean') {
      // [sum, weight] of an exponentially weighted mean of the targets' norms (bias-corrected).
      this.registerBuffer('target_norm', zeros([2], { backend: options.backend }));
    }
    if (c.flow.positionEmbedding) {
      const pe = zeros([N, d], { backend: options.backend });
      init.normal_(pe, 0, 0.02, gen);
      this.registerParameter('flow_position_embedding', pe.requiresGrad_(true));
    }
    this.maskRateSampler = getMaskRateSampler(c.maskRate as Parameters<typeof getMaskRateSampler>[0]);
  }

  /** Backend of the parameters. */
  override get backend(): Backend {
    return this.lm.backend;
  }

  /** Visual tokens per image `N`. */
  get numVisualTokens(): number {
    return this.config.numVisualTokens;
  }

  /** Frozen semantic features `[B, N, d_v]` and pixel latents `[B, N, C]` of images `[B, 3, H, W]` in [-1, 1]. */
  encodeImages(images: Tensor): { features: Tensor; latents: Tensor } {
    const [, , H, W] = images.shape;
    if (images.rank !== 4 || H !== this.imageSize[0] || W !== this.imageSize[1]) {
      throw new Error(`UniHetero.encodeImages: expected images [B, 3, ${this.imageSize.join(', ')}], got ${JSON.stringify(images.shape)}`);
    }
    return noGrad(() => ({ features: this.semanticEncoder.encode(images), latents: this.pixel_encoder.encode(images) }));
  }

  /**
   * `encodeImages` with the semantic features computed elsewhere (`[B, N, d_v]`, e.g. by a
   * `BatchFeatureEncoder` on another thread): only the pixel latents are computed here.
   */
  encodeWithFeatures(images: Tensor, features: Tensor): { features: Tensor; latents: Tensor } {
    const [B, , H, W] = images.shape;
    if (images.rank !== 4 || H !== this.imageSize[0] || W !== this.imageSize[1]) {
      throw new Error(`UniHetero.encodeWithFeatures: expected images [B, 3, ${this.imageSize.join(', ')}], got ${JSON.stringify(images.shape)}`);
    }
    const want = [B, this.numVisualTokens, this.config.semanticDim];
    if (features.rank !== 3 || features.shape.some((d, i) => d !== want[i])) {
      throw new Error(`UniHetero.encodeWithFeatures: features ${JSON.stringify(features.shape)} must be ${JSON.stringify(want)} for ${B} images`);
    }
    return noGrad(() => ({ features, latents: this.pixel_encoder.encode(images) }));
  }

  /**
   * Sample training masks for the generation examples and build the sequences. `images` are
   * encoded here unless `encoded` features/latents are given (e.g. from a feature cache).
   * `options.generationMask` (`[generation rows * N]`, 1 = masked) replaces the sampled masks.
   */
  prepare(examples: readonly SequenceExample[], images: Tensor | { features: Tensor; latents: Tensor }, generator: Generator, options: { generationMask?: Uint8Array } = {}): PreparedBatch {
    const enc = images instanceof Tensor ? this.encodeImages(images) : images;
    const nImg = enc.features.shape[0]!;
    const N = this.numVisualTokens;
    const nGen = examples.filter((e) => e.kind === 'generate').length;
    const mask = options.generationMask ?? (nGen > 0 ? sampleTrainingMasks(generator, { batch: nGen, n: N, sampler: this.maskRateSampler }).mask : new Uint8Array(0));
    const sequences = buildSequences(examples, this.special, { numVisualTokens: N, numImages: nImg, generationMask: mask, textLossOnPrompt: this.config.loss.textLossOnPrompt });
    return { sequences, features: enc.features, latents: enc.latents };
  }

  /** The visual input table `[B_img*N + 1, d]`: `P(f)` for every token, then the mask embedding. */
  visualTable(features: Tensor): Tensor {
    const d = this.config.backbone.hiddenSize;
    return tidy(() => {
      const proj = this.input_projector.forward(features).reshape(-1, d);
      return concat([proj, this.mask_embedding.reshape(1, d)], 0);
    });
  }

  /**
   * The backbone inputs of image spans: `visual [B*N, d]` (or `[B, N, d]`) plus the learned
   * visual position embedding when the config has one; `[B*N, d]`.
   */
  spanInputs(visual: Tensor): Tensor {
    const d = this.config.backbone.hiddenSize;
    const N = this.numVisualTokens;
    const rows = this.visual_row_embedding;
    const cols = this.visual_col_embedding;
    if (rows && cols) {
      const [H, W] = this.gridShape;
      return tidy(() => visual.reshape(-1, H, W, d).add(rows.reshape(H, 1, d)).add(cols.reshape(1, W, d)).reshape(-1, d));
    }
    const pe = this.visual_position_embedding;
    if (!pe) return visual.rank === 2 ? visual : visual.reshape(-1, d);
    return tidy(() => visual.reshape(-1, N, d).add(pe).reshape(-1, d));
  }

  /**
   * The flow head's condition for hidden states `z [T, d]` at visual positions `positions` (`[T]`
   * indices in `0..N-1`): `z`, plus the semantic tokens `tokens [T, d]` (LLM input embeddings) at
   * those positions when the config has `flow.conditionOnToken`, plus the learned flow position
   * embedding when configured.
   */
  flowCondition(z: Tensor, positions: Int32Array, tokens?: Tensor): Tensor {
    const pe = this.flow_position_embedding;
    const useToken = this.config.flow.conditionOnToken;
    if (positions.length !== z.shape[0]) throw new Error(`UniHetero.flowCondition: ${positions.length} positions for ${z.shape[0]} conditions`);
    if (useToken && (!tokens || tokens.shape[0] !== z.shape[0])) throw new Error(`UniHetero.flowCondition: config.flow.conditionOnToken needs the semantic tokens of the ${z.shape[0]} positions, got ${tokens ? JSON.stringify(tokens.shape) : 'none'}`);
    if (!pe && !useToken) return z;
    return tidy(() => {
      let c = useToken ? z.add(tokens!) : z;
      if (pe) c = c.add(pe.indexSelect(0, tensor(positions, { dtype: 'int32', backend: this.backend })));
      return c;
    });
  }

  /** Hidden states `[B, L, d]` of a prepared batch (understanding and generation rows alike). */
  hiddenStates(batch: PreparedBatch, table?: Tensor): Tensor {
    const s = batch.sequences;
    const be = this.backend;
    return tidy(() => {
      table ??= this.visualTable(batch.features);
      const visual = this.spanInputs(table.indexSelect(0, tensor(s.visualSource, { dtype: 'int32', backend: be })));
      return this.lm.model.forward({
        inputIds: tensor(s.ids, { shape: [s.batch, s.length], dtype: 'int32', backend: be }),
        inputsEmbeds: visual,
        embedsMask: s.embedsMask,
        attention: { spans: s.spans, lengths: s.lengths },
      });
    });
  }

  /**
   * The loss of a prepared batch (docs/method.md 9): `L = L_text + alpha*ploss + beta*diffuloss`. A part
   * whose weight is 0 is not computed (it is reported as 0); a batch without labels or masked
   * tokens contributes 0 for that part, never NaN. `generator` draws the flow noise and times.
   */
  loss(batch: PreparedBatch, generator: Generator): LossParts {
    const c = this.config;
    const s = batch.sequences;
    const be = this.backend;
    const d = c.backbone.hiddenSize;
    return tidy(() => {
      const table = this.visualTable(batch.features);
      const hidden = this.hiddenStates(batch, table).reshape(-1, d);
      const zero = () => zeros([], { backend: be });
      let text: Tensor;
      let crossEntropy: Tensor;
      let zLoss: Tensor;
      if (s.textRows.length > 0) {
        const rows = hidden.indexSelect(0, tensor(s.textRows, { dtype: 'int32', backend: be }));
        const t = textLoss(this.lm.logits(rows), tensor(s.textTargets, { dtype: 'int32', backend: be }), { shift: false, zLossWeight: c.backbone.zLossWeight });
        ({ loss: text, crossEntropy, zLoss } = t);
      } else {
        text = zero();
        crossEntropy = zero();
        zLoss = zero();
      }
      let ploss = zero();
      let diffuloss = zero();
      const needP = c.loss.alpha > 0;
      const needF = c.loss.beta > 0;
      const predictTokens = needF && c.flow.conditionOnToken && c.flow.tokenSource === 'prediction' && s.maskedRows.length > 0;
      let eHat: Tensor | undefined;
      if (s.maskedRows.length > 0 && (needP || predictTokens)) {
        const z = hidden.indexSelect(0, tensor(s.maskedRows, { dtype: 'int32', backend: be }));
        eHat = this.invert_projector.predict(z);
        if (needP) {
          const f = batch.features.reshape(-1, c.semanticDim).indexSelect(0, tensor(s.maskedTokens, { dtype: 'int32', backend: be }));
          const target = this.invert_projector.target(f);
          ploss = this.invert_projector.loss(eHat, target);
          if (this.training) this.trackTargetNorm(target);
        }
      }
      const rows = this.flowRows(s);
      if (rows.rows.length > 0 && needF) {
        const N = this.numVisualTokens;
        const flowTokens = rows.tokens;
        let z = hidden.indexSelect(0, tensor(rows.rows, { dtype: 'int32', backend: be }));
        // The semantic tokens as a condition only: no diffuloss gradient reaches P or the predictions here.
        const tokens = c.flow.conditionOnToken ? (predictTokens ? this.predictedTokenCondition(table, rows, s.maskedRows, eHat!) : table.indexSelect(0, tensor(flowTokens, { dtype: 'int32', backend: be })).detach()) : undefined;
        // Stop the gradient at the LLM state (exp2), not at the position embedding, so that the
        // flow head's own position table still learns.
        if (c.loss.detachFlowCondition) z = z.detach();
        const cond = this.flowCondition(z, flowTokens.map((t) => t % N), tokens);
        const x = batch.latents.reshape(-1, c.pixelDim).indexSelect(0, tensor(flowTokens, { dtype: 'int32', backend: be }));
        diffuloss = flowMatchingLoss(this.flow_head, x, cond, { batchMul: c.flow.batchMul, time: c.flow.time, detachCondition: false, generator });
      }
      let total = text;
      if (needP) total = total.add(ploss.mul(c.loss.alpha));
      if (needF) total = total.add(diffuloss.mul(c.loss.beta));
      return { total, text, crossEntropy, zLoss, ploss, diffuloss };
    });
  }

  /**
   * The head's token condition with `flow.tokenSource: 'prediction'`: at the flow rows that are
   * masked, the fed-back prediction `feedback(eHat)` (rows of `eHat` follow `maskedRows`); at the
   * others, the true token from `table`. Detached: a condition only.
   */
  private predictedTokenCondition(table: Tensor, rows: { rows: Int32Array; tokens: Int32Array }, maskedRows: Int32Array, eHat: Tensor): Tensor {
    const be = this.backend;
    return tidy(() => {
      const predicted = noGrad(() => this.feedback(eHat.detach()));
      const slot = new Map<number, number>();
      maskedRows.forEach((r, k) => slot.set(r, k));
      const base = table.shape[0]!;
      const index = Int32Array.from(rows.rows, (r, j) => {
        const k = slot.get(r);
        return k === undefined ? rows.tokens[j]! : base + k;
      });
      return concat([table.detach(), predicted], 0).indexSelect(0, tensor(index, { dtype: 'int32', backend: be })).detach();
    });
  }

  /** The positions that train the flow head (config `flow.trainOn`): hidden rows and visual-table rows of the true tokens. */
  flowRows(s: SequenceBatch): { rows: Int32Array; tokens: Int32Array } {
    if (this.config.flow.trainOn === 'span') return { rows: s.spanRows, tokens: s.spanTokens };
    return { rows: s.maskedRows, tokens: s.maskedTokens };
  }

  /** Fold the mean norm of a batch of ploss targets `[T, D]` into `target_norm` (no gradient). */
  private trackTargetNorm(target: Tensor): void {
    const tn = this.target_norm;
    if (!tn) return;
    const mu = 0.99;
    noGrad(() =>
      tidy(() => {
        const n = target.square().sum(-1).sqrt().mean();
        tn.assign(tn.mul(mu).add(concat([n.reshape(1), tensor([1], { backend: this.backend })], 0).mul(1 - mu)));
      }),
    );
  }

  /**
   * The LLM input embedding fed back for predictions `eHat [T, outDim]` (the invert-projector's
   * `feedback`), after rescaling every row to the running mean target norm when the config asks.
   */
  feedback(eHat: Tensor): Tensor {
    const tn = this.target_norm;
    if (!tn) return this.invert_projector.feedback(eHat);
    return tidy(() => {
      const [sum, weight] = tn.split(1, 0);
      const scale = sum!.div(weight!.maximum(1e-12)).div(eHat.square().sum(-1, true).sqrt().maximum(1e-12));
      return this.invert_projector.feedback(eHat.mul(scale));
    });
  }

  /** Call after every optimizer step: updates the EMA target projector (docs/method.md 6.4). */
  afterOptimizerStep(): void {
    this.invert_projector.afterOptimizerStep();
  }
}
