// src/io.ts
var UsageError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "UsageError";
  }
};
function yieldToEventLoop() {
  return new Promise((resolve) => setImmediate(resolve));
}
function interruptHandler(controller2, stderr, exit, name2 = "unihetero-train") {
  let count = 0;
  return () => {
    count++;
    if (count === 1) {
      stderr.write(`
${name2}: Ctrl-C: finishing the current step, then saving the checkpoint (Ctrl-C again to quit without saving)
`);
      controller2.abort();
    } else {
      stderr.write(`${name2}: quit without saving
`);
      exit(130);
    }
  };
}
function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

// src/program.ts
import { readFile as readFile2 } from "node:fs/promises";
import { Command, CommanderError, Option } from "commander";

// ../../packages/model/src/config.ts
import { z } from "zod";
var posInt = z.number().int().positive();
var nonNeg = z.number().nonnegative();
var BackboneSchema = z.object({
  hiddenSize: posInt.default(128),
  numHiddenLayers: posInt.default(4),
  numAttentionHeads: posInt.default(4),
  numKeyValueHeads: posInt.optional(),
  intermediateSize: posInt.optional(),
  rmsNormEps: z.number().positive().default(1e-5),
  ropeTheta: z.number().positive().default(1e4),
  qkNorm: z.enum(["none", "layernorm-shared", "layernorm-per-head"]).default("layernorm-shared"),
  zLossWeight: nonNeg.default(1e-5),
  tieWordEmbeddings: z.boolean().default(false),
  maxPositionEmbeddings: posInt.default(512)
}).strict();
var FlowSchema = z.object({
  /** Named size (`small` w=128 D=3, `base`, `mar-base`, ...) or explicit width/depth below. */
  size: z.enum(["small", "base", "mar-base", "mar-large", "mar-huge"]).default("small"),
  width: posInt.optional(),
  depth: posInt.optional(),
  mlpRatio: z.number().positive().optional(),
  /** Each masked token repeated with fresh noise (METHOD 8.2). */
  batchMul: posInt.default(4),
  time: z.enum(["logit-normal", "uniform"]).default("logit-normal"),
  /** Sampler steps at inference (METHOD 14: 20). */
  sampleSteps: posInt.default(20),
  sampler: z.enum(["euler", "heun"]).default("euler")
}).strict();
var LossSchema = z.object({
  alpha: nonNeg.default(10),
  beta: nonNeg.default(10),
  /** Stop the diffuloss gradient at the LLM hidden state (the paper's exp2). */
  detachFlowCondition: z.boolean().default(false),
  /** Text loss on the caption of generation samples (METHOD 2.1, default off). */
  textLossOnPrompt: z.boolean().default(false)
}).strict();
var DataMixSchema = z.object({
  /** Fraction of samples placed image-first (understanding); the rest are generation samples. */
  understandingFraction: z.number().min(0).max(1).default(0.5),
  /** Of the understanding samples, the fraction that are question-answer (the rest captions). */
  questionFraction: z.number().min(0).max(1).default(0.5),
  /** Caption dropout of generation samples, for classifier-free guidance (METHOD 10.4). */
  captionDropout: z.number().min(0).max(1).default(0.1),
  /** Training captions: 'random' paraphrases (default) or the 'canonical' form. */
  captionStyle: z.enum(["random", "canonical"]).default("random")
}).strict();
var ModelConfigSchema = z.object({
  /** Text vocabulary size (the tokenizer's). */
  vocabSize: posInt,
  /** Visual tokens per image `N` (the encoders' grid, METHOD 14: 8x8 = 64). */
  numVisualTokens: posInt.default(64),
  /** Semantic feature width `d_v` (METHOD 14: 64). */
  semanticDim: posInt.default(64),
  /** Pixel latent channels per token `C` (patchify 4x4x3 = 48). */
  pixelDim: posInt.default(48),
  backbone: BackboneSchema.default(BackboneSchema.parse({})),
  inputProjector: z.object({ type: z.string().regex(/^(linear|mlp\dx_gelu)$/, 'expected "linear" or "mlp<N>x_gelu"').default("mlp2x_gelu") }).strict().default({ type: "mlp2x_gelu" }),
  invertProjector: z.object({
    name: z.string().min(1).default("ema-mlp-llm-cos"),
    /** EMA momentum of `ema-mlp-llm-cos` (METHOD 6.4). */
    momentum: z.number().min(0).max(1).default(0.999),
    hiddenDim: posInt.optional()
  }).strict().default({ name: "ema-mlp-llm-cos", momentum: 0.999 }),
  flow: FlowSchema.default(FlowSchema.parse({})),
  loss: LossSchema.default(LossSchema.parse({})),
  mix: DataMixSchema.default(DataMixSchema.parse({})),
  /** Training mask-rate sampler, as `@unihetero/masking`'s registry config (METHOD 5.3). */
  maskRate: z.union([z.string(), z.object({ kind: z.string() }).passthrough()]).default("gaussian")
}).strict();
var ConfigError = class extends Error {
  /** `path: message` per problem. */
  issues;
  constructor(where2, issues) {
    super(`${where2}: invalid configuration:
  ${issues.join("\n  ")}`);
    this.name = "ConfigError";
    this.issues = issues;
  }
};
function formatIssues(error, input) {
  return error.issues.map((i) => {
    const path = i.path.length ? i.path.join(".") : "(root)";
    let got = input;
    for (const k of i.path) got = got && typeof got === "object" ? got[k] : void 0;
    const shown = i.code === "unrecognized_keys" ? "" : ` (got ${JSON.stringify(got) ?? "undefined"})`;
    return `${path}: ${i.message}${shown}`;
  });
}
function resolveModelConfig(input) {
  const r = ModelConfigSchema.safeParse(input);
  if (!r.success) throw new ConfigError("UniHetero config", formatIssues(r.error, input));
  const c = r.data;
  const b = c.backbone;
  const problems = [];
  if (b.hiddenSize % b.numAttentionHeads !== 0) problems.push(`backbone.hiddenSize: ${b.hiddenSize} is not divisible by numAttentionHeads ${b.numAttentionHeads}`);
  if (b.numKeyValueHeads !== void 0 && b.numAttentionHeads % b.numKeyValueHeads !== 0) problems.push(`backbone.numKeyValueHeads: ${b.numKeyValueHeads} does not divide numAttentionHeads ${b.numAttentionHeads}`);
  if (b.hiddenSize / b.numAttentionHeads % 2 !== 0) problems.push(`backbone: head width ${b.hiddenSize / b.numAttentionHeads} must be even for RoPE`);
  if (problems.length) throw new ConfigError("UniHetero config", problems);
  return c;
}

// ../../packages/model/src/presets.ts
var BUILTIN = [
  {
    name: "exp1",
    description: "baseline: text loss only (understanding)",
    alpha: 0,
    beta: 0,
    detachFlowCondition: false,
    invertProjector: "ema-mlp-llm-cos",
    flowSize: "small",
    flowWarmupSteps: 0,
    understandingFraction: 1
  },
  {
    name: "exp2",
    description: "+ploss: semantic generation; diffuloss kept with its gradient stopped at the LLM",
    alpha: 10,
    beta: 10,
    detachFlowCondition: true,
    invertProjector: "ema-mlp-llm-cos",
    flowSize: "small",
    flowWarmupSteps: 0,
    understandingFraction: 0.5
  },
  {
    name: "exp3",
    description: "+diffuloss: the pixel loss reaches the LLM",
    alpha: 10,
    beta: 10,
    detachFlowCondition: false,
    invertProjector: "ema-mlp-llm-cos",
    flowSize: "small",
    flowWarmupSteps: 0,
    understandingFraction: 0.5
  },
  {
    name: "exp4",
    description: "+warmup: a 2x wider flow head trained alone first, then joint training as exp3",
    alpha: 10,
    beta: 10,
    detachFlowCondition: false,
    invertProjector: "ema-mlp-llm-cos",
    flowSize: "small",
    flowWidth: 256,
    flowWarmupSteps: 50,
    understandingFraction: 0.5
  }
];
var registry = new Map(BUILTIN.map((p) => [p.name, p]));
var PRESET_NAMES = BUILTIN.map((p) => p.name);
function getPreset(name2) {
  const p = registry.get(name2);
  if (!p) throw new Error(`getPreset: unknown preset '${name2}' (known: ${[...registry.keys()].join(", ")})`);
  return { ...p };
}
function presetNames() {
  return [...registry.keys()];
}
function applyPreset(config, preset) {
  const p = typeof preset === "string" ? getPreset(preset) : preset;
  return {
    ...config,
    loss: { ...config.loss ?? {}, alpha: p.alpha, beta: p.beta, detachFlowCondition: p.detachFlowCondition },
    invertProjector: { ...config.invertProjector ?? {}, name: p.invertProjector },
    flow: { ...config.flow ?? {}, size: p.flowSize, ...p.flowWidth ? { width: p.flowWidth } : {}, ...p.flowDepth ? { depth: p.flowDepth } : {} },
    mix: { ...config.mix ?? {}, understandingFraction: p.understandingFraction }
  };
}

// ../../packages/model/src/sequence.ts
function buildSequences(examples, special, options) {
  const N = options.numVisualTokens;
  const B = examples.length;
  if (B === 0) throw new Error("buildSequences: no examples");
  const nGen = examples.filter((e) => e.kind === "generate").length;
  if (options.generationMask.length !== nGen * N) {
    throw new Error(`buildSequences: generationMask has ${options.generationMask.length} entries, expected ${nGen} generation rows x ${N} tokens = ${nGen * N}`);
  }
  const rows = [];
  for (const [i, e] of examples.entries()) {
    if (!Number.isInteger(e.image) || e.image < 0 || e.image >= options.numImages) throw new Error(`buildSequences: example ${i} uses image ${e.image}, but the batch has ${options.numImages} images`);
    if (e.kind === "understand") {
      const target = e.target ?? [];
      if (target.length === 0) throw new Error(`buildSequences: understanding example ${i} has no target text`);
      const ids2 = [special.bos, special.boi, ...new Array(N).fill(special.pad), special.eoi, ...e.prompt, ...target, special.eos];
      const targetFrom = 2 + N + 1 + e.prompt.length;
      rows.push({ ids: ids2, visualStart: 2, targetFrom, targetTo: ids2.length });
    } else if (e.kind === "generate") {
      const ids2 = [special.bos, ...e.prompt, special.boi, ...new Array(N).fill(special.pad)];
      const from = options.textLossOnPrompt && e.prompt.length ? 1 : ids2.length;
      rows.push({ ids: ids2, visualStart: 2 + e.prompt.length, targetFrom: from, targetTo: options.textLossOnPrompt && e.prompt.length ? 1 + e.prompt.length : ids2.length });
    } else {
      throw new Error(`buildSequences: example ${i} has unknown kind '${e.kind}'`);
    }
  }
  const L = Math.max(...rows.map((r) => r.ids.length));
  const ids = new Int32Array(B * L).fill(special.pad);
  const lengths = new Int32Array(B);
  const embedsMask = new Uint8Array(B * L);
  const visualSource = new Int32Array(B * N);
  const maskRow = options.numImages * N;
  const spans = [];
  const textRows = [];
  const textTargets = [];
  const maskedRows = [];
  const maskedTokens = [];
  let v = 0;
  let g = 0;
  for (let b = 0; b < B; b++) {
    const r = rows[b];
    const e = examples[b];
    ids.set(r.ids, b * L);
    lengths[b] = r.ids.length;
    spans.push([[r.visualStart, r.visualStart + N]]);
    for (let j = 0; j < N; j++) {
      const p = r.visualStart + j;
      embedsMask[b * L + p] = 1;
      const tableRow = e.image * N + j;
      const masked = e.kind === "generate" && options.generationMask[g * N + j] === 1;
      visualSource[v++] = masked ? maskRow : tableRow;
      if (masked) {
        maskedRows.push(b * L + p);
        maskedTokens.push(tableRow);
      }
    }
    for (let t = r.targetFrom; t < r.targetTo; t++) {
      textRows.push(b * L + t - 1);
      textTargets.push(r.ids[t]);
    }
    if (e.kind === "generate") g++;
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
    generationRows: nGen,
    understandingRows: B - nGen
  };
}

// ../../packages/tensor/src/backend.ts
function dtypeBytes(dtype) {
  return dtype === "float64" ? 8 : 4;
}
function isFloatDType(dtype) {
  return dtype === "float32" || dtype === "float64";
}

// ../../packages/tensor/src/scope.ts
var scopes = [];
function track(r) {
  const top = scopes[scopes.length - 1];
  if (top) {
    top.add(r);
    r._scope = top;
  }
}
function untrack(r) {
  if (r._scope) {
    r._scope.delete(r);
    r._scope = null;
  }
}
function collect(value, out, seen) {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if ("_scope" in value && "dispose" in value) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, seen);
  }
}
function tidy(fn) {
  const scope = /* @__PURE__ */ new Set();
  scopes.push(scope);
  let result;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    for (const r of scope) {
      r._scope = null;
      r.dispose();
    }
    throw err;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const r of scope) {
      r._scope = null;
      r.dispose();
    }
    throw new Error("tidy: fn must be synchronous (it returned a Promise); await outside tidy and keep() what you need");
  }
  const keepSet = /* @__PURE__ */ new Set();
  collect(result, keepSet, /* @__PURE__ */ new Set());
  const parent = scopes[scopes.length - 1] ?? null;
  for (const r of scope) {
    if (keepSet.has(r)) {
      r._scope = parent;
      parent?.add(r);
    } else {
      r._scope = null;
      r.dispose();
    }
  }
  return result;
}
function keep(value) {
  const set = /* @__PURE__ */ new Set();
  collect(value, set, /* @__PURE__ */ new Set());
  for (const r of set) untrack(r);
  return value;
}

// ../../packages/tensor/src/autograd.ts
var gradEnabled = true;
function isGradEnabled() {
  return gradEnabled;
}
function noGrad(fn) {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}
var GradNode = class {
  constructor(name2, edges, inputShapes, backwardFn, saved) {
    this.name = name2;
    this.edges = edges;
    this.inputShapes = inputShapes;
    this.backwardFn = backwardFn;
    this.saved = saved;
    for (const e of edges) if (e && "node" in e) e.node.refs++;
  }
  name;
  edges;
  inputShapes;
  backwardFn;
  saved;
  /** Reference count: the output tensor while alive plus consuming nodes. */
  refs = 1;
  /** True once the saved tensors were freed by a backward pass. */
  released = false;
  /** Free the saved tensors (after a backward pass). */
  releaseSaved() {
    for (const t of this.saved) t.dispose();
    this.saved = [];
    this.released = true;
  }
  /** Drop one reference; at zero, free everything and release the input nodes. */
  decref() {
    if (--this.refs > 0) return;
    for (const t of this.saved) t.dispose();
    this.saved = [];
    const edges = this.edges;
    this.edges = [];
    for (const e of edges) if (e && "node" in e) e.node.decref();
  }
};
function topoOrder(root) {
  const visited = /* @__PURE__ */ new Set();
  const post = [];
  const stack2 = [[root, 0]];
  visited.add(root);
  while (stack2.length > 0) {
    const top = stack2[stack2.length - 1];
    const [node, i] = top;
    if (i < node.edges.length) {
      top[1]++;
      const e = node.edges[i];
      if (e && "node" in e && !visited.has(e.node)) {
        visited.add(e.node);
        stack2.push([e.node, 0]);
      }
    } else {
      stack2.pop();
      post.push(node);
    }
  }
  return post.reverse();
}
function runBackward(root, gradOutput, retainGraph, ops) {
  if (!root.requiresGrad) throw new Error("backward: tensor does not require grad (no input of the ops that produced it had requiresGrad)");
  if (gradOutput === void 0 && root.size !== 1) {
    throw new Error(`backward: grad can be implicitly created only for a tensor with one element, got shape ${ops.fmt(root.shape)}; pass gradOutput`);
  }
  if (gradOutput !== void 0 && (gradOutput.shape.length !== root.shape.length || gradOutput.shape.some((d, i) => d !== root.shape[i]))) {
    throw new Error(`backward: gradOutput shape ${ops.fmt(gradOutput.shape)} does not match tensor shape ${ops.fmt(root.shape)}`);
  }
  noGrad(() => {
    const g0 = gradOutput ? ops.share(gradOutput) : ops.onesLike(root);
    const node = root._node;
    if (!node) {
      ops.accumulateLeaf(root, g0);
      return;
    }
    const order = topoOrder(node);
    const grads = /* @__PURE__ */ new Map();
    grads.set(node, g0);
    for (const n of order) {
      const g = grads.get(n);
      if (!g) continue;
      grads.delete(n);
      if (n.released) {
        g.dispose();
        for (const t of grads.values()) t.dispose();
        throw new Error(`backward: trying to backward through the graph a second time (op ${n.name}); its saved tensors were freed. Pass { retainGraph: true } to the first backward.`);
      }
      let inGrads;
      try {
        inGrads = tidy(() => n.backwardFn(g, n.saved));
      } catch (err) {
        g.dispose();
        for (const t of grads.values()) t.dispose();
        throw err;
      }
      const consumed = /* @__PURE__ */ new Set();
      for (let i = 0; i < n.edges.length; i++) {
        const e = n.edges[i];
        let gi = inGrads[i];
        if (!e || !gi) continue;
        const want = n.inputShapes[i];
        if (gi.shape.length !== want.length || gi.shape.some((d, j) => d !== want[j])) {
          throw new Error(`backward: op ${n.name} produced a gradient of shape ${ops.fmt(gi.shape)} for input ${i} of shape ${ops.fmt(want)}`);
        }
        if (gi === g || consumed.has(gi)) gi = ops.share(gi);
        else consumed.add(gi);
        if ("node" in e) {
          const prev = grads.get(e.node);
          if (prev) {
            grads.set(e.node, ops.add(prev, gi));
            prev.dispose();
            gi.dispose();
          } else {
            grads.set(e.node, gi);
          }
        } else {
          ops.accumulateLeaf(e.leaf, gi);
        }
      }
      for (const gi of inGrads) if (gi && gi !== g && !consumed.has(gi) && !gi.isDisposed) gi.dispose();
      g.dispose();
    }
    if (!retainGraph) for (const n of order) n.releaseSaved();
  });
}

// ../../packages/tensor/src/shape.ts
function numel(shape) {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
function contiguousStrides(shape) {
  const strides = new Array(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}
function isContiguous(shape, strides) {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i];
    if (d === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
}
function fmtShape(shape) {
  return `[${shape.join(",")}]`;
}
function checkShape(op, shape) {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape ${fmtShape(shape)}: sizes must be non-negative integers`);
  }
}
function normDim(op, dim, rank) {
  if (!Number.isInteger(dim)) throw new Error(`${op}: dim must be an integer, got ${dim}`);
  const r = Math.max(rank, 1);
  if (dim < -r || dim >= r) throw new Error(`${op}: dim ${dim} out of range for a tensor of rank ${rank}`);
  return dim < 0 ? dim + r : dim;
}
function normDims(op, dims, rank) {
  if (dims === void 0) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dims === "number" ? [dims] : [...dims];
  const out = [...new Set(list.map((d) => normDim(op, d, rank)))].sort((a, b) => a - b);
  if (out.length !== list.length) throw new Error(`${op}: repeated dim in [${list.join(",")}]`);
  return out;
}
function broadcastShapes(op, a, b) {
  const rank = Math.max(a.length, b.length);
  const out = new Array(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}
function broadcastStrides(shape, strides, target) {
  const out = new Array(target.length).fill(0);
  const off = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) {
    out[off + i] = shape[i] === 1 && target[off + i] !== 1 ? 0 : strides[i];
  }
  return out;
}
function sameShape(a, b) {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
function viewStrides(shape, strides, newShape) {
  if (numel(shape) === 0) return contiguousStrides(newShape);
  const oldDims = [];
  const oldStrides = [];
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] !== 1) {
      oldDims.push(shape[i]);
      oldStrides.push(strides[i]);
    }
  }
  const out = new Array(newShape.length).fill(0);
  let oi = 0;
  let ni = 0;
  while (ni < newShape.length || oi < oldDims.length) {
    while (ni < newShape.length && newShape[ni] === 1) {
      out[ni] = 1;
      ni++;
    }
    if (oi >= oldDims.length && ni >= newShape.length) break;
    if (oi >= oldDims.length || ni >= newShape.length) return null;
    let chunkSize = oldDims[oi];
    let chunkEnd = oi;
    while (chunkEnd + 1 < oldDims.length && oldStrides[chunkEnd] === oldStrides[chunkEnd + 1] * oldDims[chunkEnd + 1]) {
      chunkEnd++;
      chunkSize *= oldDims[chunkEnd];
    }
    const innerStride = oldStrides[chunkEnd];
    const start = ni;
    let prod2 = 1;
    while (ni < newShape.length && prod2 < chunkSize) {
      prod2 *= newShape[ni];
      ni++;
    }
    if (prod2 !== chunkSize) return null;
    let s = innerStride;
    for (let j = ni - 1; j >= start; j--) {
      out[j] = s;
      s *= newShape[j];
    }
    oi = chunkEnd + 1;
  }
  return out;
}

// ../../packages/tensor/src/debug.ts
var enabled = typeof process !== "undefined" && !!process.env?.UNIHETERO_DEBUG_NUMERICS;
var pending = [];
function firstBad(values) {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v || v === Infinity || v === -Infinity) return i;
  }
  return -1;
}
function describe(op, t, values, i) {
  return `debug numerics: op ${op} produced ${values[i]} at flat index ${i} of its output ${t.toString()}`;
}
function noteOutput(op, t) {
  if (!enabled || t.dtype === "int32") return;
  const b = t.backend;
  if (b.readSync) {
    const values = t.dataSync();
    const i = firstBad(values);
    if (i >= 0) throw new Error(describe(op, t, values, i));
  } else {
    const held = t.detach();
    untrack(held);
    pending.push({ op, t: held });
  }
}
async function checkPendingNumerics() {
  if (pending.length === 0) return;
  const items = pending.splice(0, pending.length);
  let error = null;
  for (const { op, t } of items) {
    if (!error) {
      const b = t.backend;
      const s = t._slab.storage;
      const values = await b.read(s);
      const i = firstBad(values);
      if (i >= 0) error = new Error(describe(op, t, values, i));
    }
    t.dispose();
  }
  if (error) throw error;
}

// ../../packages/tensor/src/ops/core.ts
function sameBackend(op, ...ts) {
  for (const t of ts) t.assertAlive(op);
  const b = ts[0].backend;
  for (const t of ts) {
    if (t.backend !== b) throw new Error(`${op}: tensors are on different backends (${b.name} and ${t.backend.name}); move one with await t.toBackend(b)`);
  }
  return b;
}
function needsGrad(...inputs) {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t.requiresGrad) return true;
  return false;
}
function record(out, name2, inputs, saved, backward) {
  noteOutput(name2, out);
  if (!needsGrad(...inputs)) return out;
  const edges = inputs.map((t) => {
    if (!t.requiresGrad) return null;
    if (t._node) return { node: t._node };
    return { leaf: t };
  });
  const retained = saved.map((t) => {
    const r = makeView(t, t.shape, t.strides, t.offset);
    if (r._scope) {
      r._scope.delete(r);
      r._scope = null;
    }
    return r;
  });
  out._node = new GradNode(name2, edges, inputs.map((t) => [...t.shape]), backward, retained);
  out.requiresGrad = true;
  return out;
}
function finish(out, name2) {
  noteOutput(name2, out);
  return out;
}
function alloc(backend, shape, dtype) {
  return allocTensor(backend, shape, dtype);
}
function promote(a, b) {
  if (a === b) return a;
  if (a === "float64" || b === "float64") return "float64";
  if (a === "float32" || b === "float32") return "float32";
  return "int32";
}
function reduceTo(g, shape, sumFn, reshapeFn) {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const dims = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) dims.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) dims.push(i);
  }
  let r = dims.length > 0 ? sumFn(g, dims, true) : g;
  if (!sameShape(r.shape, shape)) {
    if (numel(r.shape) !== numel(shape)) throw new Error(`reduceTo: cannot reduce gradient ${fmtShape(g.shape)} to ${fmtShape(shape)}`);
    const rr = reshapeFn(r, [...shape]);
    if (r !== g) r.dispose();
    r = rr;
  }
  return r;
}

// ../../packages/tensor/src/ops/views.ts
function contiguousRaw(x, force) {
  if (!force && x.isContiguous) return x;
  const b = sameBackend("contiguous", x);
  const out = alloc(b, x.shape, x.dtype);
  if (out.size > 0) b.copy(x.view_, out.view_);
  return out;
}
function permuteRaw(x, dims) {
  return makeView(x, dims.map((d) => x.shape[d]), dims.map((d) => x.strides[d]), x.offset);
}
function resolveShape(op, x, shape) {
  const out = [...shape];
  const neg = out.indexOf(-1);
  if (out.indexOf(-1, neg + 1) !== -1 && neg !== -1) throw new Error(`${op}: only one dimension can be -1, got ${fmtShape(shape)}`);
  for (const d of out) {
    if (d !== -1 && (!Number.isInteger(d) || d < 0)) throw new Error(`${op}: invalid size ${d} in ${fmtShape(shape)}`);
  }
  if (neg !== -1) {
    const rest = numel(out.filter((_, i) => i !== neg));
    if (rest === 0 || x.size % rest !== 0) throw new Error(`${op}: shape ${fmtShape(shape)} is invalid for input of size ${x.size} ${fmtShape(x.shape)}`);
    out[neg] = x.size / rest;
  }
  if (numel(out) !== x.size) throw new Error(`${op}: shape ${fmtShape(shape)} is invalid for input of size ${x.size} ${fmtShape(x.shape)}`);
  return out;
}
function recordReshape(y, op, x) {
  if (!isFloatDType(x.dtype)) return finish(y, op);
  const inShape = [...x.shape];
  return record(y, op, [x], [], (g) => [reshape(g, inShape)]);
}
function reshape(x, shape) {
  x.assertAlive("reshape");
  const s = resolveShape("reshape", x, shape);
  const strides = viewStrides(x.shape, x.strides, s);
  if (strides) return recordReshape(makeView(x, s, strides, x.offset), "reshape", x);
  const c = contiguousRaw(x, true);
  const y = makeView(c, s, contiguousStrides(s), 0);
  c.dispose();
  return recordReshape(y, "reshape", x);
}
function view(x, shape) {
  x.assertAlive("view");
  const s = resolveShape("view", x, shape);
  const strides = viewStrides(x.shape, x.strides, s);
  if (!strides) throw new Error(`view: cannot view a tensor of shape ${fmtShape(x.shape)} and strides ${fmtShape(x.strides)} as ${fmtShape(s)} without a copy; use reshape()`);
  return recordReshape(makeView(x, s, strides, x.offset), "view", x);
}
function permute(x, dims) {
  x.assertAlive("permute");
  if (dims.length !== x.rank) throw new Error(`permute: expected ${x.rank} dims for shape ${fmtShape(x.shape)}, got [${dims.join(",")}]`);
  const nd = dims.map((d) => normDim("permute", d, x.rank));
  if (new Set(nd).size !== nd.length) throw new Error(`permute: repeated dim in [${dims.join(",")}]`);
  const y = permuteRaw(x, nd);
  if (!isFloatDType(x.dtype)) return finish(y, "permute");
  const inv = new Array(nd.length);
  nd.forEach((d, i) => inv[d] = i);
  return record(y, "permute", [x], [], (g) => [permute(g, inv)]);
}
function transpose(x, d0, d1) {
  if (x.rank < 2) return permute(x, x.shape.map((_, i) => i));
  const a = normDim("transpose", d0, x.rank);
  const b = normDim("transpose", d1, x.rank);
  const dims = x.shape.map((_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return permute(x, dims);
}
function expand(x, shape) {
  x.assertAlive("expand");
  if (shape.length < x.rank) throw new Error(`expand: target ${fmtShape(shape)} has fewer dims than ${fmtShape(x.shape)}`);
  const lead = shape.length - x.rank;
  const target = shape.map((d, i) => d === -1 ? i < lead ? -1 : x.shape[i - lead] : d);
  const strides = new Array(shape.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    if (i < lead) {
      if (target[i] < 0) throw new Error(`expand: -1 is not allowed for the new leading dim ${i} in ${fmtShape(shape)}`);
      continue;
    }
    const src = x.shape[i - lead];
    if (src === target[i]) strides[i] = x.strides[i - lead];
    else if (src === 1) strides[i] = 0;
    else throw new Error(`expand: cannot expand ${fmtShape(x.shape)} to ${fmtShape(shape)} (dim ${i}: ${src} vs ${target[i]})`);
  }
  const y = makeView(x, target, strides, x.offset);
  if (!isFloatDType(x.dtype)) return finish(y, "expand");
  const inShape = [...x.shape];
  return record(y, "expand", [x], [], (g) => [unbroadcast(g, inShape)]);
}
function normIndex(i, size, clampLo, clampHi) {
  const v = i < 0 ? i + size : i;
  return Math.min(Math.max(v, clampLo), clampHi);
}
function slice(x, dim, start, end, step = 1) {
  x.assertAlive("slice");
  const d = normDim("slice", dim, x.rank);
  if (!Number.isInteger(step) || step <= 0) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const size = x.shape[d];
  const s = start === void 0 ? 0 : normIndex(start, size, 0, size);
  const e = end === void 0 ? size : normIndex(end, size, 0, size);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  const shape = [...x.shape];
  shape[d] = len;
  const strides = [...x.strides];
  strides[d] = x.strides[d] * step;
  const y = makeView(x, shape, strides, x.offset + (len > 0 ? s * x.strides[d] : 0));
  if (!isFloatDType(x.dtype)) return finish(y, "slice");
  const inShape = [...x.shape];
  return record(y, "slice", [x], [], (g) => {
    const gx = alloc(g.backend, inShape, g.dtype);
    g.backend.fill(gx._slab.storage, 0);
    if (len > 0) {
      const tgtStrides = contiguousStrides(inShape);
      const dst = { storage: gx._slab.storage, shape: g.shape, strides: tgtStrides.map((st, i) => i === d ? st * step : st), offset: s * tgtStrides[d] };
      g.backend.copy(g.view_, dst);
    }
    return [gx];
  });
}
function select(x, dim, index) {
  const d = normDim("select", dim, x.rank);
  const size = x.shape[d];
  if (!Number.isInteger(index) || index < -size || index >= size) throw new Error(`select: index ${index} out of range for dim ${d} of size ${size}`);
  const i = index < 0 ? index + size : index;
  const s = slice(x, d, i, i + 1);
  const out = squeeze(s, d);
  s.dispose();
  return out;
}
function squeeze(x, dim) {
  const dims = dim === void 0 ? x.shape.map((d, i) => d === 1 ? i : -1).filter((i) => i >= 0) : (typeof dim === "number" ? [dim] : dim).map((d) => normDim("squeeze", d, x.rank));
  const shape = x.shape.filter((d, i) => !(dims.includes(i) && d === 1));
  return reshape(x, shape);
}
function unsqueeze(x, dim) {
  const d = normDim("unsqueeze", dim, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}
function flatten(x, start, end) {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normDim("flatten", start, x.rank);
  const e = normDim("flatten", end, x.rank);
  if (e < s) throw new Error(`flatten: end dim ${end} is before start dim ${start}`);
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}
function contiguous(x) {
  x.assertAlive("contiguous");
  if (x.isContiguous) return recordReshape(makeView(x, x.shape, x.strides, x.offset), "contiguous", x);
  return clone(x);
}
function clone(x) {
  const y = contiguousRaw(x, true);
  if (!isFloatDType(x.dtype)) return finish(y, "clone");
  return record(y, "clone", [x], [], (g) => [g]);
}
function split(x, size, dim) {
  const d = normDim("split", dim, x.rank);
  const total = x.shape[d];
  let sizes;
  if (typeof size === "number") {
    if (!Number.isInteger(size) || size <= 0) throw new Error(`split: size must be a positive integer, got ${size}`);
    sizes = [];
    for (let s = 0; s < total; s += size) sizes.push(Math.min(size, total - s));
    if (sizes.length === 0) sizes.push(0);
  } else {
    sizes = size;
    const sum2 = sizes.reduce((a, b) => a + b, 0);
    if (sum2 !== total) throw new Error(`split: sizes [${sizes.join(",")}] sum to ${sum2}, but dim ${d} has size ${total}`);
  }
  const out = [];
  let start = 0;
  for (const s of sizes) {
    out.push(slice(x, d, start, start + s));
    start += s;
  }
  return out;
}
function chunk(x, n, dim) {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`chunk: n must be a positive integer, got ${n}`);
  const d = normDim("chunk", dim, x.rank);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / n)), d);
}
function concat(ts, dim = 0) {
  if (ts.length === 0) throw new Error("concat: expected a non-empty list of tensors");
  const b = sameBackend("concat", ...ts);
  const first = ts[0];
  const d = normDim("concat", dim, first.rank);
  const dtype = ts.reduce((acc, t) => acc === t.dtype ? acc : t.dtype === "float64" || acc === "float64" ? "float64" : "float32", first.dtype);
  for (const t of ts) {
    if (t.rank !== first.rank || t.shape.some((s, i) => i !== d && s !== first.shape[i])) {
      throw new Error(`concat: shapes ${ts.map((u) => fmtShape(u.shape)).join(", ")} differ outside dim ${d}`);
    }
  }
  const shape = [...first.shape];
  shape[d] = ts.reduce((a, t) => a + t.shape[d], 0);
  const out = alloc(b, shape, dtype);
  const strides = contiguousStrides(shape);
  let pos = 0;
  const sizes = [];
  for (const t of ts) {
    const len = t.shape[d];
    sizes.push(len);
    if (t.size > 0) b.copy(t.view_, { storage: out._slab.storage, shape: t.shape, strides, offset: pos * strides[d] });
    pos += len;
  }
  if (!isFloatDType(dtype)) return finish(out, "concat");
  return record(out, "concat", ts, [], (g) => split(g, sizes, d).map((p, i) => ts[i].dtype === g.dtype ? p : p.cast(ts[i].dtype)));
}
function assignInPlace(target, value) {
  const b = sameBackend("assign", target, value);
  if (target.requiresGrad && target._node) throw new Error("assign: cannot assign into a non-leaf tensor that is part of a graph");
  if (!sameShape(target.shape, value.shape)) {
    const lead2 = target.rank - value.rank;
    const ok = lead2 >= 0 && value.shape.every((s, i) => s === 1 || s === target.shape[lead2 + i]);
    if (!ok) throw new Error(`assign: value of shape ${fmtShape(value.shape)} cannot be assigned to a tensor of shape ${fmtShape(target.shape)}`);
  }
  const strides = new Array(target.rank).fill(0);
  const lead = target.rank - value.rank;
  for (let i = 0; i < value.rank; i++) strides[lead + i] = value.shape[i] === 1 && target.shape[lead + i] !== 1 ? 0 : value.strides[i];
  if (target.size > 0) b.copy({ storage: value._slab.storage, shape: target.shape, strides, offset: value.offset }, target.view_);
}

// ../../packages/tensor/src/ops/reduce.ts
function reducedShape(shape, dims, keepdim) {
  const out = [];
  for (let i = 0; i < shape.length; i++) {
    if (dims.includes(i)) {
      if (keepdim) out.push(1);
    } else out.push(shape[i]);
  }
  return out;
}
function reduceRaw(op, x, dims, keepdim) {
  const b = sameBackend(op, x);
  const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const perm = [...kept, ...dims];
  const rows = numel(kept.map((i) => x.shape[i]));
  const cols = numel(dims.map((i) => x.shape[i]));
  const outShape = reducedShape(x.shape, dims, keepdim);
  const outDtype = op === "argmax" || op === "argmin" ? "int32" : op === "logsumexp" && !isFloatDType(x.dtype) ? "float32" : x.dtype;
  let input = x;
  if (op === "logsumexp" && x.dtype === "int32") input = castRaw(x, "float32");
  const out = alloc(b, outShape, outDtype);
  if (cols === 0) {
    if (rows > 0) {
      if (op === "sum") b.fill(out._slab.storage, 0);
      else if (op === "prod") b.fill(out._slab.storage, 1);
      else if (op === "logsumexp") b.fill(out._slab.storage, -Infinity);
      else {
        out.dispose();
        throw new Error(`${op}: cannot reduce over an empty dimension of a tensor of shape ${fmtShape(x.shape)}`);
      }
    }
  } else if (rows > 0) {
    const permuted = permuteRaw(input, perm);
    const c = contiguousRaw(permuted, false);
    b.reduce(op, c._slab.storage, c.offset, rows, cols, out._slab.storage);
    if (c !== permuted) c.dispose();
    permuted.dispose();
  }
  if (input !== x) input.dispose();
  return out;
}
function expandBack(g, inShape, dims) {
  const keepShape = inShape.map((d, i) => dims.includes(i) ? 1 : d);
  const gk = reshape(g, keepShape);
  return expand(gk, [...inShape]);
}
function sum(x, dim, keepdim) {
  const dims = normDims("sum", dim, x.rank);
  const y = reduceRaw("sum", x, dims, keepdim);
  if (!isFloatDType(y.dtype)) return finish(y, "sum");
  const inShape = [...x.shape];
  return record(y, "sum", [x], [], (g) => [expandBack(g, inShape, dims)]);
}
function mean(x, dim, keepdim) {
  const dims = normDims("mean", dim, x.rank);
  const xf = isFloatDType(x.dtype) ? x : castRaw(x, "float32");
  const s = reduceRaw("sum", xf, dims, keepdim);
  const n = numel(dims.map((i) => x.shape[i]));
  const y = unaryRaw("mul_scalar", s, { a: 1 / n });
  s.dispose();
  if (xf !== x) xf.dispose();
  const inShape = [...x.shape];
  return record(y, "mean", [x], [], (g) => [unaryRaw("mul_scalar", expandBack(g, inShape, dims), { a: 1 / n })]);
}
function variance(x, dim, keepdim, correction) {
  const dims = normDims("var", dim, x.rank);
  const n = numel(dims.map((i) => x.shape[i]));
  const denom = Math.max(n - correction, 0);
  const m = mean(x, dims, true);
  const d = x.sub(m);
  const out = sum(d.square(), dims, keepdim).mul(1 / denom);
  m.dispose();
  d.dispose();
  return out;
}
function prod(x, dim, keepdim) {
  const dims = normDims("prod", dim, x.rank);
  const y = reduceRaw("prod", x, dims, keepdim);
  if (!isFloatDType(y.dtype)) return finish(y, "prod");
  const inShape = [...x.shape];
  return record(y, "prod", [x], [x, y], (g, [xs, ys]) => {
    const yk = expandBack(ys, inShape, dims);
    return [expandBack(g, inShape, dims).mul(yk).div(xs)];
  });
}
function extreme(op, x, dim, keepdim) {
  const dims = normDims(op, dim, x.rank);
  const y = reduceRaw(op, x, dims, keepdim);
  if (!isFloatDType(y.dtype)) return finish(y, op);
  const inShape = [...x.shape];
  return record(y, op, [x], [x, y], (g, [xs, ys]) => {
    const mask = binaryRaw("eq", xs, expandBack(ys, inShape, dims), xs.dtype);
    const count = sum(mask, dims, true);
    return [expandBack(g, inShape, dims).mul(mask).div(count)];
  });
}
function argExtreme(op, x, dim, keepdim) {
  if (dim === void 0) {
    const flat = reshape(x, [x.size]);
    const r = reduceRaw(op, flat, [0], false);
    flat.dispose();
    if (keepdim) {
      const k = reshape(r, x.shape.map(() => 1));
      r.dispose();
      return finish(k, op);
    }
    return finish(r, op);
  }
  const dims = normDims(op, dim, x.rank);
  return finish(reduceRaw(op, x, dims, keepdim), op);
}
function logsumexp(x, dim, keepdim) {
  const dims = normDims("logsumexp", dim, x.rank);
  const y = reduceRaw("logsumexp", x, dims, keepdim);
  const inShape = [...x.shape];
  return record(y, "logsumexp", [x], [x, y], (g, [xs, ys]) => {
    const p = xs.sub(expandBack(ys, inShape, dims)).exp();
    return [expandBack(g, inShape, dims).mul(p)];
  });
}

// ../../packages/tensor/src/ops/elementwise.ts
function unbroadcast(g, shape) {
  return reduceTo(g, shape, (t, dims, keep2) => sum(t, dims, keep2), (t, s) => reshape(t, s));
}
var FLOAT_ONLY = /* @__PURE__ */ new Set([
  "exp",
  "log",
  "sqrt",
  "rsqrt",
  "reciprocal",
  "sin",
  "cos",
  "tanh",
  "erf",
  "sigmoid",
  "gelu",
  "gelu_tanh",
  "silu",
  "softplus",
  "rdiv_scalar",
  "rpow_scalar",
  "pow_scalar"
]);
var INT_OUT = /* @__PURE__ */ new Set(["isnan", "isinf", "not"]);
function scalarTensor(value, like, dtype) {
  const b = like.backend;
  const data = dtype === "int32" ? Int32Array.of(value) : dtype === "float64" ? Float64Array.of(value) : Float32Array.of(value);
  return new Tensor3(new Slab(b.upload(data, dtype)), [], [], 0);
}
function unaryRaw(op, x, params) {
  const b = sameBackend(op, x);
  let input = x;
  if (x.dtype === "int32" && (FLOAT_ONLY.has(op) || !paramsAreInts(op, params))) input = castRaw(x, "float32");
  const outDtype = INT_OUT.has(op) ? "int32" : input.dtype;
  const out = alloc(b, x.shape, outDtype);
  b.unary(op, input.view_, out._slab.storage, params);
  if (input !== x) input.dispose();
  return out;
}
function paramsAreInts(op, p) {
  if (op === "add_scalar" || op === "mul_scalar" || op === "rsub_scalar") return Number.isInteger(p?.a ?? 0);
  if (op === "clamp") return (p?.a === void 0 || !Number.isFinite(p.a) || Number.isInteger(p.a)) && (p?.b === void 0 || !Number.isFinite(p.b) || Number.isInteger(p.b));
  return true;
}
function binaryRaw(op, a, b, outDtype) {
  const be = sameBackend(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  let dt = promote(a.dtype, b.dtype);
  if ((op === "div" || op === "pow" || op === "atan2" || op.endsWith("_grad")) && dt === "int32") dt = "float32";
  const ac = a.dtype === dt ? a : castRaw(a, dt);
  const bc = b.dtype === dt ? b : castRaw(b, dt);
  const out = alloc(be, shape, outDtype ?? dt);
  be.binary(
    op,
    { storage: ac._slab.storage, shape, strides: broadcastStrides(ac.shape, ac.strides, shape), offset: ac.offset },
    { storage: bc._slab.storage, shape, strides: broadcastStrides(bc.shape, bc.strides, shape), offset: bc.offset },
    out._slab.storage
  );
  if (ac !== a) ac.dispose();
  if (bc !== b) bc.dispose();
  return out;
}
function castRaw(x, dtype) {
  const b = sameBackend("cast", x);
  const out = alloc(b, x.shape, dtype);
  b.copy(x.view_, out.view_);
  return out;
}
function unary(op, x, params) {
  const y = unaryRaw(op, x, params);
  if (INT_OUT.has(op) || !isFloatDType(y.dtype)) return finish(y, op);
  const a = params?.a ?? 0;
  switch (op) {
    case "neg":
      return record(y, op, [x], [], (g) => [unaryRaw("neg", g)]);
    case "abs":
      return record(y, op, [x], [x], (g, [xs]) => [g.mul(unaryRaw("sign", xs))]);
    case "sign":
    case "floor":
    case "ceil":
    case "round":
      return record(y, op, [x], [], () => [null]);
    case "exp":
      return record(y, op, [x], [y], (g, [ys]) => [g.mul(ys)]);
    case "log":
      return record(y, op, [x], [x], (g, [xs]) => [g.div(xs)]);
    case "sqrt":
      return record(y, op, [x], [y], (g, [ys]) => [g.div(ys).mul(0.5)]);
    case "rsqrt":
      return record(y, op, [x], [y], (g, [ys]) => [g.mul(ys.pow(3)).mul(-0.5)]);
    case "reciprocal":
      return record(y, op, [x], [y], (g, [ys]) => [g.mul(ys.square()).neg()]);
    case "square":
      return record(y, op, [x], [x], (g, [xs]) => [g.mul(xs).mul(2)]);
    case "sin":
      return record(y, op, [x], [x], (g, [xs]) => [g.mul(xs.cos())]);
    case "cos":
      return record(y, op, [x], [x], (g, [xs]) => [g.mul(xs.sin()).neg()]);
    case "tanh":
      return record(y, op, [x], [y], (g, [ys]) => [binaryRaw("tanh_grad", ys, g)]);
    case "sigmoid":
      return record(y, op, [x], [y], (g, [ys]) => [binaryRaw("sigmoid_grad", ys, g)]);
    case "erf":
    case "relu":
    case "gelu":
    case "gelu_tanh":
    case "silu":
    case "softplus": {
      const gradOp = `${op}_grad`;
      return record(y, op, [x], [x], (g, [xs]) => [binaryRaw(gradOp, xs, g)]);
    }
    case "add_scalar":
      return record(y, op, [x], [], (g) => [g]);
    case "mul_scalar":
      return record(y, op, [x], [], (g) => [unaryRaw("mul_scalar", g, { a })]);
    case "rsub_scalar":
      return record(y, op, [x], [], (g) => [unaryRaw("neg", g)]);
    case "rdiv_scalar":
      return record(y, op, [x], [x, y], (g, [xs, ys]) => [g.mul(ys).div(xs).neg()]);
    case "pow_scalar":
      if (a === 0) return record(y, op, [x], [], () => [null]);
      return record(y, op, [x], [x], (g, [xs]) => [g.mul(unaryRaw("pow_scalar", xs, { a: a - 1 })).mul(a)]);
    case "rpow_scalar":
      return record(y, op, [x], [y], (g, [ys]) => [g.mul(ys).mul(Math.log(a))]);
    case "clamp": {
      const lo = params?.a ?? -Infinity;
      const hi = params?.b ?? Infinity;
      return record(y, op, [x], [x], (g, [xs]) => {
        const inside = binaryRaw("and", xs.ge(lo), xs.le(hi), "int32");
        return [where(inside, g, 0)];
      });
    }
    default:
      return finish(y, op);
  }
}
function asTensor(v, like) {
  if (v instanceof Tensor3) return v;
  if (typeof v !== "number") throw new Error(`expected a Tensor or a number, got ${typeof v}`);
  const dt = like.dtype === "int32" && !Number.isInteger(v) ? "float32" : like.dtype;
  return scalarTensor(v, like, dt);
}
function binaryGrad(op, a, b) {
  const y = binaryRaw(op, a, b);
  if (!isFloatDType(y.dtype)) return finish(y, op);
  const sa = [...a.shape];
  const sb = [...b.shape];
  switch (op) {
    case "add":
      return record(y, op, [a, b], [], (g) => [unbroadcast(g, sa), unbroadcast(g, sb)]);
    case "sub":
      return record(y, op, [a, b], [], (g) => [unbroadcast(g, sa), b.requiresGrad ? unbroadcast(unaryRaw("neg", g), sb) : null]);
    case "mul":
      return record(y, op, [a, b], [a, b], (g, [as, bs]) => [
        a.requiresGrad ? unbroadcast(binaryRaw("mul", g, bs), sa) : null,
        b.requiresGrad ? unbroadcast(binaryRaw("mul", g, as), sb) : null
      ]);
    case "div":
      return record(y, op, [a, b], [b, y], (g, [bs, ys]) => {
        const ga = binaryRaw("div", g, bs);
        const gb = b.requiresGrad ? unbroadcast(ga.mul(ys).neg(), sb) : null;
        return [a.requiresGrad ? unbroadcast(ga, sa) : null, gb];
      });
    case "pow":
      return record(y, op, [a, b], [a, b, y], (g, [as, bs, ys]) => [
        a.requiresGrad ? unbroadcast(g.mul(bs).mul(binaryRaw("pow", as, binaryRaw("sub", bs, scalarTensor(1, bs, bs.dtype)))), sa) : null,
        b.requiresGrad ? unbroadcast(g.mul(ys).mul(unaryRaw("log", as)), sb) : null
      ]);
    case "maximum":
    case "minimum":
      return record(y, op, [a, b], [a, b], (g, [as, bs]) => {
        const wa = binaryRaw(op === "maximum" ? "gt" : "lt", as, bs, "float32").add(binaryRaw("eq", as, bs, "float32").mul(0.5));
        const wac = castRaw(wa, g.dtype);
        return [
          a.requiresGrad ? unbroadcast(binaryRaw("mul", g, wac), sa) : null,
          b.requiresGrad ? unbroadcast(binaryRaw("mul", g, unaryRaw("rsub_scalar", wac, { a: 1 })), sb) : null
        ];
      });
    case "atan2":
      return record(y, op, [a, b], [a, b], (g, [as, bs]) => {
        const den = as.square().add(bs.square());
        return [
          a.requiresGrad ? unbroadcast(g.mul(bs).div(den), sa) : null,
          b.requiresGrad ? unbroadcast(g.mul(as).div(den).neg(), sb) : null
        ];
      });
  }
}
function add(a, b) {
  if (typeof b === "number") return unary("add_scalar", a, { a: b });
  return binaryGrad("add", a, b);
}
function sub(a, b) {
  if (typeof b === "number") return unary("add_scalar", a, { a: -b });
  return binaryGrad("sub", a, b);
}
function mul(a, b) {
  if (typeof b === "number") return unary("mul_scalar", a, { a: b });
  return binaryGrad("mul", a, b);
}
function div(a, b) {
  if (typeof b === "number") {
    if (a.dtype === "int32") return unary("mul_scalar", castForFloat(a), { a: 1 / b });
    return unary("mul_scalar", a, { a: 1 / b });
  }
  return binaryGrad("div", a, b);
}
function castForFloat(a) {
  return cast(a, "float32");
}
function pow(a, b) {
  if (typeof b === "number") {
    if (b === 2) return unary("square", a);
    if (b === 1) return unary("mul_scalar", a, { a: 1 });
    return unary("pow_scalar", a, { a: b });
  }
  return binaryGrad("pow", a, b);
}
function maximum(a, b) {
  const bt = asTensor(b, a);
  const out = binaryGrad("maximum", a, bt);
  if (bt !== b) bt.dispose();
  return out;
}
function minimum(a, b) {
  const bt = asTensor(b, a);
  const out = binaryGrad("minimum", a, bt);
  if (bt !== b) bt.dispose();
  return out;
}
function atan2(a, b) {
  const bt = asTensor(b, a);
  const out = binaryGrad("atan2", a, bt);
  if (bt !== b) bt.dispose();
  return out;
}
function compare(op, a, b) {
  const bt = asTensor(b, a);
  const out = binaryRaw(op, a, bt, "int32");
  if (bt !== b) bt.dispose();
  return finish(out, op);
}
function where(cond, a, b) {
  const like = a instanceof Tensor3 ? a : b instanceof Tensor3 ? b : cond;
  const dt0 = a instanceof Tensor3 && b instanceof Tensor3 ? promote(a.dtype, b.dtype) : like === cond ? "float32" : like.dtype;
  const at = a instanceof Tensor3 ? a : scalarTensor(a, like, dt0 === "int32" && !Number.isInteger(a) ? "float32" : dt0);
  const bt = b instanceof Tensor3 ? b : scalarTensor(b, like, dt0 === "int32" && !Number.isInteger(b) ? "float32" : dt0);
  const be = sameBackend("where", cond, at, bt);
  const shape = broadcastShapes("where", broadcastShapes("where", cond.shape, at.shape), bt.shape);
  const dt = promote(at.dtype, bt.dtype);
  const ac = at.dtype === dt ? at : castRaw(at, dt);
  const bc = bt.dtype === dt ? bt : castRaw(bt, dt);
  const out = alloc(be, shape, dt);
  const v = (t) => ({ storage: t._slab.storage, shape, strides: broadcastStrides(t.shape, t.strides, shape), offset: t.offset });
  be.where(v(cond), v(ac), v(bc), out._slab.storage);
  if (ac !== at) ac.dispose();
  if (bc !== bt) bc.dispose();
  const sa = [...at.shape];
  const sb = [...bt.shape];
  const result = isFloatDType(dt) ? record(out, "where", [at, bt], [cond], (g, [cs]) => [
    at.requiresGrad ? unbroadcast(where(cs, g, 0), sa) : null,
    bt.requiresGrad ? unbroadcast(where(cs, 0, g), sb) : null
  ]) : finish(out, "where");
  if (at !== a) at.dispose();
  if (bt !== b) bt.dispose();
  return result;
}
function clamp(x, min, max) {
  if (min === void 0 && max === void 0) throw new Error("clamp: at least one of min and max must be given");
  if (min !== void 0 && max !== void 0 && min > max) throw new Error(`clamp: min ${min} is greater than max ${max}`);
  return unary("clamp", x, { a: min ?? -Infinity, b: max ?? Infinity });
}
function cast(x, dtype) {
  if (x.dtype === dtype) return unary("mul_scalar", x, { a: 1 });
  const y = castRaw(x, dtype);
  if (!isFloatDType(dtype) || !isFloatDType(x.dtype)) return finish(y, "cast");
  const from = x.dtype;
  return record(y, "cast", [x], [], (g) => [castRaw(g, from)]);
}

// ../../packages/tensor/src/ops/linalg.ts
function as3d(x, batch) {
  const r = x.shape[x.rank - 2];
  const c = x.shape[x.rank - 1];
  const lead = batch.length - (x.rank - 2);
  const bStrides = batch.map((d, i) => {
    const j = i - lead;
    if (j < 0) return 0;
    return x.shape[j] === 1 && d !== 1 ? 0 : x.strides[j];
  });
  const B = numel(batch);
  let bs = null;
  if (batch.length === 0) bs = 0;
  else {
    const merged = viewStrides(batch, bStrides, [B]);
    if (merged) bs = merged[0];
    else if (bStrides.every((s) => s === 0)) bs = 0;
  }
  if (bs !== null) {
    return { view: { storage: x._slab.storage, shape: [B, r, c], strides: [bs, x.strides[x.rank - 2], x.strides[x.rank - 1]], offset: x.offset }, tmp: null };
  }
  const ex = makeView(x, [...batch, r, c], [...bStrides, x.strides[x.rank - 2], x.strides[x.rank - 1]], x.offset);
  const tmp = contiguousRaw(ex, true);
  ex.dispose();
  return { view: { storage: tmp._slab.storage, shape: [B, r, c], strides: [r * c, c, 1], offset: 0 }, tmp };
}
function matmulRaw(a, b) {
  const be = sameBackend("matmul", a, b);
  const M = a.shape[a.rank - 2];
  const K = a.shape[a.rank - 1];
  const K2 = b.shape[b.rank - 2];
  const N = b.shape[b.rank - 1];
  if (K !== K2) throw new Error(`matmul: inner dimensions differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`);
  const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  const dt = promote(a.dtype, b.dtype);
  const ac = a.dtype === dt ? a : castRaw(a, dt);
  const bc = b.dtype === dt ? b : castRaw(b, dt);
  const out = alloc(be, [...batch, M, N], dt);
  if (out.size > 0) {
    if (K === 0) be.fill(out._slab.storage, 0);
    else {
      const av = as3d(ac, batch);
      const bv = as3d(bc, batch);
      be.matmul(av.view, bv.view, out._slab.storage);
      av.tmp?.dispose();
      bv.tmp?.dispose();
    }
  }
  if (ac !== a) ac.dispose();
  if (bc !== b) bc.dispose();
  return out;
}
function matmul(a, b) {
  if (a.rank === 0 || b.rank === 0) throw new Error(`matmul: both arguments need at least 1 dimension, got ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`);
  if (a.rank === 1 || b.rank === 1) {
    const a2 = a.rank === 1 ? unsqueeze(a, 0) : a;
    const b2 = b.rank === 1 ? unsqueeze(b, -1) : b;
    const r = matmul(a2, b2);
    let out = r;
    if (a.rank === 1 && b.rank === 1) out = reshape(r, []);
    else if (a.rank === 1) out = squeeze(r, -2);
    else if (b.rank === 1) out = squeeze(r, -1);
    if (out !== r) r.dispose();
    if (a2 !== a) a2.dispose();
    if (b2 !== b) b2.dispose();
    return out;
  }
  const y = matmulRaw(a, b);
  if (!isFloatDType(y.dtype)) return finish(y, "matmul");
  const sa = [...a.shape];
  const sb = [...b.shape];
  return record(y, "matmul", [a, b], [a, b], (g, [as, bs]) => [
    a.requiresGrad ? unbroadcast(matmulRaw(g, transpose(bs, -2, -1)), sa) : null,
    b.requiresGrad ? unbroadcast(matmulRaw(transpose(as, -2, -1), g), sb) : null
  ]);
}

// ../../packages/tensor/src/ops/indexing.ts
function checkIndex(op, index) {
  if (index.dtype !== "int32") throw new Error(`${op}: index must be int32, got ${index.dtype}`);
}
function split3(t, d) {
  const outer = numel(t.shape.slice(0, d));
  const mid = t.shape[d];
  const inner = numel(t.shape.slice(d + 1));
  return { storage: t._slab.storage, shape: [outer, mid, inner], strides: [mid * inner, inner, 1], offset: t.offset };
}
function scatterIntoZeros(shape, d, index, src) {
  const b = src.backend;
  const out = alloc(b, shape, src.dtype);
  b.fill(out._slab.storage, 0);
  const ic = contiguousRaw(index, false);
  const sc = contiguousRaw(src, false);
  if (sc.size > 0) b.scatterAdd(out._slab.storage, split3(ic, d), split3(sc, d));
  if (ic !== index) ic.dispose();
  if (sc !== src) sc.dispose();
  return out;
}
function gather(x, dim, index) {
  const b = sameBackend("gather", x, index);
  checkIndex("gather", index);
  const d = normDim("gather", dim, x.rank);
  if (index.rank !== x.rank) throw new Error(`gather: index rank ${index.rank} ${fmtShape(index.shape)} must equal input rank ${x.rank} ${fmtShape(x.shape)}`);
  for (let i = 0; i < x.rank; i++) {
    if (i !== d && index.shape[i] > x.shape[i]) throw new Error(`gather: index ${fmtShape(index.shape)} is larger than input ${fmtShape(x.shape)} at dim ${i}`);
  }
  let xs = x;
  for (let i = 0; i < x.rank; i++) {
    if (i !== d && index.shape[i] !== xs.shape[i]) {
      const n = slice(xs, i, 0, index.shape[i]);
      if (xs !== x) xs.dispose();
      xs = n;
    }
  }
  const xc = contiguousRaw(xs, false);
  const ic = contiguousRaw(index, false);
  const out = alloc(b, index.shape, x.dtype);
  if (out.size > 0) b.gather(split3(xc, d), split3(ic, d), out._slab.storage);
  if (xc !== xs) xc.dispose();
  if (xs !== x) xs.dispose();
  if (ic !== index) ic.dispose();
  if (!isFloatDType(x.dtype)) return finish(out, "gather");
  const xShape = [...x.shape];
  return record(out, "gather", [x], [index], (g, [is]) => {
    const full2 = xShape.map((s, i) => i === d ? s : is.shape[i]);
    const part = scatterIntoZeros(full2, d, is, g);
    if (full2.every((s, i) => s === xShape[i])) return [part];
    const gx = alloc(g.backend, xShape, g.dtype);
    g.backend.fill(gx._slab.storage, 0);
    const strides = xShape.map((_, i) => numel(xShape.slice(i + 1)));
    g.backend.copy(part.view_, { storage: gx._slab.storage, shape: part.shape, strides, offset: 0 });
    return [gx];
  });
}
function indexSelect(x, dim, index) {
  const b = sameBackend("indexSelect", x, index);
  checkIndex("indexSelect", index);
  if (index.rank !== 1) throw new Error(`indexSelect: index must be 1-D, got shape ${fmtShape(index.shape)}`);
  const d = normDim("indexSelect", dim, x.rank);
  const n = index.shape[0];
  const xc = contiguousRaw(x, false);
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const shape = [...x.shape];
  shape[d] = n;
  const out = alloc(b, shape, x.dtype);
  const idxView = (t) => ({ storage: t._slab.storage, shape: [outer, n, inner], strides: [0, t.strides[0], 0], offset: t.offset });
  if (out.size > 0) b.gather(split3(xc, d), idxView(index), out._slab.storage);
  if (xc !== x) xc.dispose();
  if (!isFloatDType(x.dtype)) return finish(out, "indexSelect");
  const xShape = [...x.shape];
  return record(out, "indexSelect", [x], [index], (g, [is]) => {
    const gx = alloc(g.backend, xShape, g.dtype);
    g.backend.fill(gx._slab.storage, 0);
    const gc = contiguousRaw(g, false);
    if (gc.size > 0) g.backend.scatterAdd(gx._slab.storage, idxView(is), split3(gc, d));
    if (gc !== g) gc.dispose();
    return [gx];
  });
}
function scatterAdd(x, dim, index, src) {
  const b = sameBackend("scatterAdd", x, index, src);
  checkIndex("scatterAdd", index);
  const d = normDim("scatterAdd", dim, x.rank);
  if (index.rank !== x.rank || src.rank !== x.rank) throw new Error(`scatterAdd: x ${fmtShape(x.shape)}, index ${fmtShape(index.shape)} and src ${fmtShape(src.shape)} must have the same rank`);
  for (let i = 0; i < x.rank; i++) {
    if (index.shape[i] !== src.shape[i]) throw new Error(`scatterAdd: index ${fmtShape(index.shape)} and src ${fmtShape(src.shape)} must have the same shape`);
    if (i !== d && index.shape[i] !== x.shape[i]) throw new Error(`scatterAdd: index ${fmtShape(index.shape)} must match x ${fmtShape(x.shape)} outside dim ${d}`);
  }
  if (src.dtype !== x.dtype) throw new Error(`scatterAdd: src dtype ${src.dtype} differs from x dtype ${x.dtype}`);
  const out = contiguousRaw(x, true);
  const ic = contiguousRaw(index, false);
  const sc = contiguousRaw(src, false);
  if (sc.size > 0) b.scatterAdd(out._slab.storage, split3(ic, d), split3(sc, d));
  if (ic !== index) ic.dispose();
  if (sc !== src) sc.dispose();
  if (!isFloatDType(x.dtype)) return finish(out, "scatterAdd");
  return record(out, "scatterAdd", [x, src], [index], (g, [is]) => [g, src.requiresGrad ? gather(g, d, is) : null]);
}
function embedding(ids, weight) {
  if (weight.rank !== 2) throw new Error(`embedding: weight must be 2-D [V, D], got ${fmtShape(weight.shape)}`);
  const flat = reshape(ids, [ids.size]);
  const rows = indexSelect(weight, 0, flat);
  const out = reshape(rows, [...ids.shape, weight.shape[1]]);
  flat.dispose();
  rows.dispose();
  return out;
}

// ../../packages/tensor/src/random.ts
function splitmix32(seed) {
  let s = seed >>> 0;
  return () => {
    s = s + 2654435769 >>> 0;
    let z2 = s;
    z2 = Math.imul(z2 ^ z2 >>> 16, 2246822507) >>> 0;
    z2 = Math.imul(z2 ^ z2 >>> 13, 3266489909) >>> 0;
    return (z2 ^ z2 >>> 16) >>> 0;
  };
}
function rotl(x, k) {
  return (x << k | x >>> 32 - k) >>> 0;
}
var Generator = class _Generator {
  s0 = 0;
  s1 = 0;
  s2 = 0;
  s3 = 0;
  /** A stream seeded with `seed` (any safe integer; the low and high 32 bits both count). */
  constructor(seed = 0) {
    this.manualSeed(seed);
  }
  /** Reset the stream to the start of `seed`. */
  manualSeed(seed) {
    if (!Number.isSafeInteger(seed)) throw new Error(`Generator.manualSeed: seed must be a safe integer, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    const sm = splitmix32(lo ^ Math.imul(hi, 2654435769));
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    return this;
  }
  /** Next raw 32-bit unsigned integer. */
  nextUint32() {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = this.s1 << 9 >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }
  /** Uniform float in [0, 1). */
  uniform() {
    return this.nextUint32() / 4294967296;
  }
  /** Standard normal N(0, 1) (Box-Muller, cosine branch). */
  normal() {
    const u1 = this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
  /** Uniform integer in [0, n) for 1 <= n <= 2^32 (unbiased: rejection of the lowest 2^32 mod n raw values, then mod n). */
  int(n) {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) throw new Error(`Generator.int: n must be an integer in [1, 2^32], got ${n}`);
    if (n === 4294967296) return this.nextUint32();
    const threshold = 4294967296 % n;
    for (; ; ) {
      const x = this.nextUint32();
      if (x >= threshold) return x % n;
    }
  }
  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n) {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
  /** The full state (four uint32 words), for checkpoints. */
  getState() {
    return [this.s0, this.s1, this.s2, this.s3];
  }
  /** Restore a state from `getState()`. */
  setState(state) {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w > 4294967295)) {
      throw new Error(`Generator.setState: expected four uint32 words, got [${state.join(", ")}]`);
    }
    [this.s0, this.s1, this.s2, this.s3] = state.map((w) => w >>> 0);
    return this;
  }
  /** An independent copy of this stream at its current position. */
  clone() {
    return new _Generator(0).setState(this.getState());
  }
};
var defaultGenerator = new Generator(0);
function getDefaultGenerator() {
  return defaultGenerator;
}

// ../../packages/tensor/src/ops/nn.ts
function softmax(x, dim, log) {
  const op = log ? "logSoftmax" : "softmax";
  const b = sameBackend(op, x);
  const d = normDim(op, dim, x.rank);
  if (x.rank === 0) throw new Error(`${op}: needs at least one dimension, got a scalar`);
  const last = x.rank - 1;
  const perm = x.shape.map((_, i) => i);
  perm[d] = last;
  perm[last] = d;
  const xf = isFloatDType(x.dtype) ? x : castRaw(x, "float32");
  const moved = d === last ? xf : permuteRaw(xf, perm);
  const c = contiguousRaw(moved, false);
  const cols = x.shape[d];
  const rows = cols === 0 ? 0 : c.size / cols;
  let y = alloc(b, c.shape, c.dtype);
  if (rows > 0) b.softmax(c._slab.storage, c.offset, rows, cols, y._slab.storage, log);
  if (c !== moved) c.dispose();
  if (moved !== xf) moved.dispose();
  if (xf !== x) xf.dispose();
  if (d !== last) {
    const back = permuteRaw(y, perm);
    y.dispose();
    y = contiguousRaw(back, true);
    back.dispose();
  }
  return record(y, op, [x], [y], (g, [ys]) => {
    if (log) {
      return [g.sub(ys.exp().mul(g.sum(d, true)))];
    }
    return [ys.mul(g.sub(g.mul(ys).sum(d, true)))];
  });
}
function denseRaw(x) {
  return x.isContiguous && x.offset === 0 ? x : contiguousRaw(x, true);
}
function cosineSimilarity(a, b, dim = -1, eps = 1e-8) {
  return tidy(() => {
    const na = a.square().sum(dim).sqrt().clamp(eps);
    const nb = b.square().sum(dim).sqrt().clamp(eps);
    return a.mul(b).sum(dim).div(na.mul(nb));
  });
}
function dropout(x, p, training, generator) {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x.mul(1);
  if (p === 1) return x.mul(0);
  const gen2 = generator ?? getDefaultGenerator();
  const keep2 = new Float32Array(x.size);
  const scale = 1 / (1 - p);
  for (let i = 0; i < keep2.length; i++) keep2[i] = gen2.uniform() >= p ? scale : 0;
  const b = x.backend;
  const dt = isFloatDType(x.dtype) ? x.dtype : "float32";
  const data = dt === "float64" ? Float64Array.from(keep2) : keep2;
  const mask = new Tensor3(new Slab(b.upload(data, dt)), [...x.shape], contiguousStridesOf(x.shape), 0);
  const out = x.mul(mask);
  mask.dispose();
  return out;
}
function contiguousStridesOf(shape) {
  const s = new Array(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}
function layerNorm(x, weight, bias, eps = 1e-5, normalizedDims = 1) {
  if (!Number.isInteger(normalizedDims) || normalizedDims < 1 || normalizedDims > x.rank) {
    throw new Error(`layerNorm: normalizedDims must be in [1, ${x.rank}] for shape ${fmtShape(x.shape)}, got ${normalizedDims}`);
  }
  const normShape = x.shape.slice(x.rank - normalizedDims);
  const cols = normShape.reduce((a, b2) => a * b2, 1);
  for (const [name2, p] of [["weight", weight], ["bias", bias]]) {
    if (p && !sameShape(p.shape, normShape)) throw new Error(`layerNorm: ${name2} shape ${fmtShape(p.shape)} must equal the normalized shape ${fmtShape(normShape)}`);
  }
  const b = sameBackend("layerNorm", x, ...weight ? [weight] : [], ...bias ? [bias] : []);
  const rows = cols === 0 ? 0 : x.size / cols;
  const dims = Array.from({ length: normalizedDims }, (_, i) => x.rank - normalizedDims + i);
  const keepShape = [...x.shape.slice(0, x.rank - normalizedDims), ...normShape.map(() => 1)];
  const fused = isFloatDType(x.dtype) && rows > 0;
  const fwd = noGrad(
    () => tidy(() => {
      if (b.layerNorm && fused) {
        const xc = denseRaw(x);
        const wc = weight ? denseRaw(weight) : null;
        const bc = bias ? denseRaw(bias) : null;
        const y2 = alloc(b, x.shape, x.dtype);
        const mean2 = alloc(b, [rows], x.dtype);
        const rs = alloc(b, [rows], x.dtype);
        b.layerNorm(xc._slab.storage, wc?._slab.storage ?? null, bc?._slab.storage ?? null, rows, cols, eps, y2._slab.storage, mean2._slab.storage, rs._slab.storage);
        return { y: y2, mean: reshape(mean2, keepShape), rstd: reshape(rs, keepShape) };
      }
      const mu = x.mean(dims, true);
      const xm = x.sub(mu);
      const rstd = xm.square().mean(dims, true).add(eps).rsqrt();
      const xhat = xm.mul(rstd);
      let y = xhat;
      if (weight) y = y.mul(weight);
      if (bias) y = y.add(bias);
      if (y === xhat) y = xhat.mul(1);
      return { y, mean: mu, rstd };
    })
  );
  const inputs = [x, ...weight ? [weight] : [], ...bias ? [bias] : []];
  const lead = Array.from({ length: x.rank - normalizedDims }, (_, i) => i);
  const out = record(fwd.y, "layerNorm", inputs, [x, fwd.mean, fwd.rstd, ...weight ? [weight] : []], (g, [xs, mu, rs, w]) => {
    const wantW = !!weight && weight.requiresGrad;
    const wantB = !!bias && bias.requiresGrad;
    if (b.layerNormBackward && fused && g.dtype === x.dtype) {
      const dx = alloc(b, x.shape, x.dtype);
      const dw = wantW ? alloc(b, normShape, x.dtype) : null;
      const db = wantB ? alloc(b, normShape, x.dtype) : null;
      const st = (t) => denseRaw(t)._slab.storage;
      b.layerNormBackward(st(xs), st(mu), st(rs), w ? st(w) : null, st(g), rows, cols, dx._slab.storage, dw?._slab.storage ?? null, db?._slab.storage ?? null);
      const grads2 = [dx];
      if (weight) grads2.push(dw);
      if (bias) grads2.push(db);
      return grads2;
    }
    const xh = xs.sub(mu).mul(rs);
    const gxh = w ? g.mul(w) : g;
    const gx = gxh.sub(gxh.mean(dims, true)).sub(xh.mul(gxh.mul(xh).mean(dims, true))).mul(rs);
    const grads = [gx];
    if (weight) grads.push(wantW ? g.mul(xh).sum(lead) : null);
    if (bias) grads.push(wantB ? g.sum(lead) : null);
    return grads;
  });
  fwd.mean.dispose();
  fwd.rstd.dispose();
  return out;
}
function rmsNorm(x, weight, eps = 1e-6) {
  if (x.rank === 0) throw new Error("rmsNorm: needs at least one dimension, got a scalar");
  const cols = x.shape[x.rank - 1];
  if (weight && !sameShape(weight.shape, [cols])) throw new Error(`rmsNorm: weight shape ${fmtShape(weight.shape)} must be [${cols}]`);
  const b = sameBackend("rmsNorm", x, ...weight ? [weight] : []);
  const rows = cols === 0 ? 0 : x.size / cols;
  const keepShape = [...x.shape.slice(0, -1), 1];
  const fused = isFloatDType(x.dtype) && rows > 0;
  const fwd = noGrad(
    () => tidy(() => {
      if (b.rmsNorm && fused) {
        const xc = denseRaw(x);
        const wc = weight ? denseRaw(weight) : null;
        const y = alloc(b, x.shape, x.dtype);
        const rs = alloc(b, [rows], x.dtype);
        b.rmsNorm(xc._slab.storage, wc?._slab.storage ?? null, rows, cols, eps, y._slab.storage, rs._slab.storage);
        return { y, rstd: reshape(rs, keepShape) };
      }
      const rstd = x.square().mean(-1, true).add(eps).rsqrt();
      return { y: weight ? x.mul(rstd).mul(weight) : x.mul(rstd), rstd };
    })
  );
  const inputs = [x, ...weight ? [weight] : []];
  const lead = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const out = record(fwd.y, "rmsNorm", inputs, [x, fwd.rstd, ...weight ? [weight] : []], (g, [xs, rs, w]) => {
    const wantW = !!weight && weight.requiresGrad;
    if (b.rmsNormBackward && fused && g.dtype === x.dtype) {
      const dx = alloc(b, x.shape, x.dtype);
      const dw = wantW ? alloc(b, [cols], x.dtype) : null;
      const st = (t) => denseRaw(t)._slab.storage;
      b.rmsNormBackward(st(xs), st(rs), w ? st(w) : null, st(g), rows, cols, dx._slab.storage, dw?._slab.storage ?? null);
      return weight ? [dx, dw] : [dx];
    }
    const xh = xs.mul(rs);
    const gxh = w ? g.mul(w) : g;
    const gx = gxh.sub(xh.mul(gxh.mul(xh).mean(-1, true))).mul(rs);
    const grads = [gx];
    if (weight) grads.push(wantW ? g.mul(xh).sum(lead) : null);
    return grads;
  });
  fwd.rstd.dispose();
  return out;
}

// ../../packages/tensor/src/tensor.ts
var Slab = class {
  constructor(storage) {
    this.storage = storage;
  }
  storage;
  refs = 1;
  /** Add a reference. */
  retain() {
    this.refs++;
    return this;
  }
  /** Drop a reference; at zero the storage goes back to its backend. */
  release() {
    if (--this.refs === 0) this.storage.backend.release(this.storage);
  }
};
var liveTensors = 0;
var nextId = 1;
var Tensor3 = class _Tensor {
  /** @internal use the factories (`tensor`, `zeros`, ...) or ops instead. */
  constructor(_slab, shape, strides, offset) {
    this._slab = _slab;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    liveTensors++;
    track(this);
  }
  _slab;
  shape;
  strides;
  offset;
  /** Unique id (for debugging). */
  id = nextId++;
  /** Whether gradients are tracked for this tensor. Set on leaves (parameters). */
  requiresGrad = false;
  /** Accumulated gradient of a leaf after `backward()`. */
  grad = null;
  /** Optional name, used in debug messages. */
  name;
  /** @internal tape node that produced this tensor. */
  _node = null;
  /** @internal owning tidy scope. */
  _scope = null;
  disposed = false;
  /** Element type. */
  get dtype() {
    return this._slab.storage.dtype;
  }
  /** The backend that owns the storage. */
  get backend() {
    return this._slab.storage.backend;
  }
  /** Number of dimensions. */
  get rank() {
    return this.shape.length;
  }
  /** Number of dimensions (alias of `rank`). */
  get ndim() {
    return this.shape.length;
  }
  /** Number of elements. */
  get size() {
    return numel(this.shape);
  }
  /** True once disposed. */
  get isDisposed() {
    return this.disposed;
  }
  /** True when the elements are laid out row-major without gaps from `offset`. */
  get isContiguous() {
    return isContiguous(this.shape, this.strides);
  }
  /** True for tensors created by the user (not by a recorded op). */
  get isLeaf() {
    return this._node === null;
  }
  /** @internal the kernel view of this tensor. */
  get view_() {
    this.assertAlive("view");
    return { storage: this._slab.storage, shape: this.shape, strides: this.strides, offset: this.offset };
  }
  /** @internal throw if disposed. */
  assertAlive(op) {
    if (this.disposed) throw new Error(`${op}: tensor ${this.name ?? `#${this.id}`} ${fmtShape(this.shape)} was disposed`);
  }
  // ------------------------------------------------------------------ lifetime
  /** Free this handle (its storage is freed when no other view uses it). Idempotent. */
  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    liveTensors--;
    untrack(this);
    this._slab.release();
    if (this._node) {
      this._node.decref();
      this._node = null;
    }
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }
  /** `using t = ...` support. */
  [Symbol.dispose]() {
    this.dispose();
  }
  // ------------------------------------------------------------------ data access
  /** Read the values (row-major, a fresh typed array). Waits for queued device work. */
  async data() {
    this.assertAlive("data");
    await checkPendingNumerics();
    if (this.isContiguous && this.offset === 0 && this._slab.storage.size === this.size) {
      return this.backend.read(this._slab.storage);
    }
    const c = contiguousRaw(this, true);
    try {
      const all = await this.backend.read(c._slab.storage);
      return all.length === this.size ? all : all.slice(0, this.size);
    } finally {
      c.dispose();
    }
  }
  /** Synchronous read; only on backends that can (the CPU backend). */
  dataSync() {
    this.assertAlive("dataSync");
    const b = this.backend;
    if (!b.readSync) throw new Error(`dataSync: backend ${b.name} cannot read synchronously; use await t.data()`);
    if (this.isContiguous && this.offset === 0 && this._slab.storage.size === this.size) return b.readSync(this._slab.storage);
    const c = contiguousRaw(this, true);
    try {
      return b.readSync(c._slab.storage).slice(0, this.size);
    } finally {
      c.dispose();
    }
  }
  /** The single value of a one-element tensor. */
  async item() {
    if (this.size !== 1) throw new Error(`item: tensor has ${this.size} elements, shape ${fmtShape(this.shape)}; item() needs exactly one`);
    return (await this.data())[0];
  }
  /** Synchronous `item()` (CPU backend only). */
  itemSync() {
    if (this.size !== 1) throw new Error(`itemSync: tensor has ${this.size} elements, shape ${fmtShape(this.shape)}; itemSync() needs exactly one`);
    return this.dataSync()[0];
  }
  /** Values as nested arrays (a number for a scalar). */
  async tolist() {
    return nest(await this.data(), this.shape);
  }
  /** Synchronous `tolist()` (CPU backend only). */
  tolistSync() {
    return nest(this.dataSync(), this.shape);
  }
  /** A copy of this tensor on another backend (reads back, uploads). */
  async toBackend(backend) {
    if (backend === this.backend) return this.clone();
    if (!backend.supportsDType(this.dtype)) throw new Error(`toBackend: backend ${backend.name} does not support dtype ${this.dtype}`);
    const values = await this.data();
    const s = backend.upload(values, this.dtype);
    return fromStorage(s, this.shape);
  }
  /** Short description: `Tensor(float32 [2,3] cpu)`. */
  toString() {
    return `Tensor(${this.dtype} ${fmtShape(this.shape)} ${this.backend.name}${this.requiresGrad ? " requiresGrad" : ""})`;
  }
  // ------------------------------------------------------------------ autograd
  /** Mark this (leaf) tensor as requiring gradients; returns this. */
  requiresGrad_(on = true) {
    if (!this.isLeaf) throw new Error("requiresGrad_: only leaf tensors can change requiresGrad (use detach() first)");
    if (on && this.dtype === "int32") throw new Error("requiresGrad_: only floating tensors can require gradients, got int32");
    this.requiresGrad = on;
    return this;
  }
  /** Back-propagate from this tensor, accumulating into the `.grad` of leaves. */
  backward(gradOutput, options = {}) {
    this.assertAlive("backward");
    runBackward(this, gradOutput, options.retainGraph ?? false, engineOps);
  }
  /** A new handle on the same storage, cut from the graph. */
  detach() {
    this.assertAlive("detach");
    return new _Tensor(this._slab.retain(), this.shape, this.strides, this.offset);
  }
  /** Clear the gradient (disposing it). */
  zeroGrad() {
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }
  /**
   * Replace this tensor's contents with `value` (same shape; cast to this dtype), in place and
   * without recording. For optimizers and EMA updates; views of this tensor see the change.
   */
  assign(value) {
    this.assertAlive("assign");
    assignInPlace(this, value);
    return this;
  }
  // ------------------------------------------------------------------ elementwise
  /** Elementwise sum (broadcasting). */
  add(o) {
    return add(this, o);
  }
  /** Elementwise difference (broadcasting). */
  sub(o) {
    return sub(this, o);
  }
  /** Elementwise product (broadcasting). */
  mul(o) {
    return mul(this, o);
  }
  /** Elementwise true division (broadcasting; ints promote to float32). */
  div(o) {
    return div(this, o);
  }
  /** Elementwise power (broadcasting). */
  pow(o) {
    return pow(this, o);
  }
  /** Elementwise maximum (ties split the gradient). */
  maximum(o) {
    return maximum(this, o);
  }
  /** Elementwise minimum (ties split the gradient). */
  minimum(o) {
    return minimum(this, o);
  }
  /** Elementwise atan2(this, o). */
  atan2(o) {
    return atan2(this, o);
  }
  /** -x. */
  neg() {
    return unary("neg", this);
  }
  /** |x|. */
  abs() {
    return unary("abs", this);
  }
  /** sign(x) (0 at 0). */
  sign() {
    return unary("sign", this);
  }
  /** e^x. */
  exp() {
    return unary("exp", this);
  }
  /** Natural log. */
  log() {
    return unary("log", this);
  }
  /** Square root. */
  sqrt() {
    return unary("sqrt", this);
  }
  /** 1 / sqrt(x). */
  rsqrt() {
    return unary("rsqrt", this);
  }
  /** 1 / x. */
  reciprocal() {
    return unary("reciprocal", this);
  }
  /** x^2. */
  square() {
    return unary("square", this);
  }
  /** sin(x). */
  sin() {
    return unary("sin", this);
  }
  /** cos(x). */
  cos() {
    return unary("cos", this);
  }
  /** tanh(x). */
  tanh() {
    return unary("tanh", this);
  }
  /** erf(x). */
  erf() {
    return unary("erf", this);
  }
  /** Logistic sigmoid. */
  sigmoid() {
    return unary("sigmoid", this);
  }
  /** max(x, 0). */
  relu() {
    return unary("relu", this);
  }
  /** GELU, exact (erf) by default or the tanh approximation. */
  gelu(approximate = "none") {
    return unary(approximate === "tanh" ? "gelu_tanh" : "gelu", this);
  }
  /** x * sigmoid(x). */
  silu() {
    return unary("silu", this);
  }
  /** log(1 + e^x), stable. */
  softplus() {
    return unary("softplus", this);
  }
  /** Round down. */
  floor() {
    return unary("floor", this);
  }
  /** Round up. */
  ceil() {
    return unary("ceil", this);
  }
  /** Round half to even. */
  round() {
    return unary("round", this);
  }
  /** Clamp into [min, max] (either may be undefined). */
  clamp(min, max) {
    return clamp(this, min, max);
  }
  /** 1 where NaN (int32). */
  isnan() {
    return unary("isnan", this);
  }
  /** 1 where +-Inf (int32). */
  isinf() {
    return unary("isinf", this);
  }
  /** Logical not: 1 where x == 0 (int32). */
  logicalNot() {
    return unary("not", this);
  }
  /** Logical and (int32 0/1). */
  logicalAnd(o) {
    return compare("and", this, o);
  }
  /** Logical or (int32 0/1). */
  logicalOr(o) {
    return compare("or", this, o);
  }
  /** x == o (int32 0/1). */
  eq(o) {
    return compare("eq", this, o);
  }
  /** x != o (int32 0/1). */
  ne(o) {
    return compare("ne", this, o);
  }
  /** x < o (int32 0/1). */
  lt(o) {
    return compare("lt", this, o);
  }
  /** x <= o (int32 0/1). */
  le(o) {
    return compare("le", this, o);
  }
  /** x > o (int32 0/1). */
  gt(o) {
    return compare("gt", this, o);
  }
  /** x >= o (int32 0/1). */
  ge(o) {
    return compare("ge", this, o);
  }
  /** Elementwise select: `cond ? this : other`. */
  where(cond, other) {
    return where(cond, this, other);
  }
  /** Convert to another dtype (float to int truncates toward zero). */
  cast(dtype) {
    return cast(this, dtype);
  }
  /** Cast to float32. */
  float() {
    return cast(this, "float32");
  }
  /** Cast to int32. */
  int() {
    return cast(this, "int32");
  }
  // ------------------------------------------------------------------ reductions
  /** Sum over dims (all by default). */
  sum(dim, keepdim = false) {
    return sum(this, dim, keepdim);
  }
  /** Mean over dims (all by default). */
  mean(dim, keepdim = false) {
    return mean(this, dim, keepdim);
  }
  /** Variance with Bessel's correction by default (`correction` 1). */
  var(dim, keepdim = false, correction = 1) {
    return variance(this, dim, keepdim, correction);
  }
  /** Standard deviation (`correction` 1 by default). */
  std(dim, keepdim = false, correction = 1) {
    return variance(this, dim, keepdim, correction).sqrt();
  }
  /** Product over dims. */
  prod(dim, keepdim = false) {
    return prod(this, dim, keepdim);
  }
  /** Max over dims (gradient split evenly between ties). */
  max(dim, keepdim = false) {
    return extreme("max", this, dim, keepdim);
  }
  /** Min over dims (gradient split evenly between ties). */
  min(dim, keepdim = false) {
    return extreme("min", this, dim, keepdim);
  }
  /** Index of the max along a dim (first occurrence; flattened when dim is undefined). int32. */
  argmax(dim, keepdim = false) {
    return argExtreme("argmax", this, dim, keepdim);
  }
  /** Index of the min along a dim (first occurrence). int32. */
  argmin(dim, keepdim = false) {
    return argExtreme("argmin", this, dim, keepdim);
  }
  /** log(sum(exp(x))) over dims, stable. */
  logsumexp(dim, keepdim = false) {
    return logsumexp(this, dim, keepdim);
  }
  /** Softmax along `dim` (default last). */
  softmax(dim = -1) {
    return softmax(this, dim, false);
  }
  /** Log-softmax along `dim` (default last). */
  logSoftmax(dim = -1) {
    return softmax(this, dim, true);
  }
  // ------------------------------------------------------------------ linear algebra
  /** Matrix product with PyTorch's 1-D, batched and broadcast rules. */
  matmul(o) {
    return matmul(this, o);
  }
  // ------------------------------------------------------------------ views and shape
  /** View with a new shape (copies only when the layout requires; one dim may be -1). */
  reshape(...shape) {
    return reshape(this, flatArgs(shape));
  }
  /** View with a new shape; throws when a copy would be needed. */
  view(...shape) {
    return view(this, flatArgs(shape));
  }
  /** Reorder dimensions (a view). */
  permute(...dims) {
    return permute(this, flatArgs(dims));
  }
  /** Swap two dimensions (a view; default the last two). */
  transpose(d0 = -2, d1 = -1) {
    return transpose(this, d0, d1);
  }
  /** Matrix transpose of a 2-D tensor (a view). */
  get T() {
    return transpose(this, 0, Math.min(1, this.rank - 1));
  }
  /** Broadcast to a larger shape (a view; -1 keeps a size). */
  expand(...shape) {
    return expand(this, flatArgs(shape));
  }
  /** Broadcast like another tensor. */
  expandAs(o) {
    return expand(this, [...o.shape]);
  }
  /** Slice `start:end:step` along `dim` (negative indices allowed; a view). */
  slice(dim, start, end, step = 1) {
    return slice(this, dim, start, end, step);
  }
  /** `length` elements from `start` along `dim` (a view). */
  narrow(dim, start, length) {
    return slice(this, dim, start, start + length, 1);
  }
  /** Index `i` along `dim`, removing the dim (a view). */
  select(dim, index) {
    return select(this, dim, index);
  }
  /** Remove size-1 dims (all, or the given ones). */
  squeeze(dim) {
    return squeeze(this, dim);
  }
  /** Insert a size-1 dim. */
  unsqueeze(dim) {
    return unsqueeze(this, dim);
  }
  /** Flatten dims `start..end` into one. */
  flatten(start = 0, end = -1) {
    return flatten(this, start, end);
  }
  /** A contiguous tensor with the same values (this, if already contiguous). */
  contiguous() {
    return contiguous(this);
  }
  /** A contiguous copy (differentiable). */
  clone() {
    return clone(this);
  }
  /** Split into chunks of `size` (or the given sizes) along `dim` (views). */
  split(size, dim = 0) {
    return split(this, size, dim);
  }
  /** Split into `n` nearly equal chunks along `dim` (views). */
  chunk(n, dim = 0) {
    return chunk(this, n, dim);
  }
  // ------------------------------------------------------------------ indexing
  /** PyTorch `gather`: `out[..i..] = x[..index[..i..]..]` along `dim`. */
  gather(dim, index) {
    return gather(this, dim, index);
  }
  /** Rows (or slices along `dim`) picked by a 1-D int32 index. */
  indexSelect(dim, index) {
    return indexSelect(this, dim, index);
  }
  /** Out-of-place scatter-add: `out = this; out[..index..] += src` along `dim`. */
  scatterAdd(dim, index, src) {
    return scatterAdd(this, dim, index, src);
  }
  // ------------------------------------------------------------------ nn helpers
  /** Dropout with probability `p` (identity when `training` is false). */
  dropout(p, training = true, generator) {
    return dropout(this, p, training, generator);
  }
};
function flatArgs(args) {
  return args.length === 1 && Array.isArray(args[0]) ? [...args[0]] : args;
}
function nest(values, shape) {
  if (shape.length === 0) return values[0];
  let pos = 0;
  const build = (d) => {
    const out = [];
    for (let i = 0; i < shape[d]; i++) {
      if (d === shape.length - 1) out.push(values[pos++]);
      else out.push(build(d + 1));
    }
    return out;
  };
  return build(0);
}
function fromStorage(storage, shape) {
  return new Tensor3(new Slab(storage), [...shape], contiguousStrides(shape), 0);
}
function allocTensor(backend, shape, dtype) {
  if (!backend.supportsDType(dtype)) throw new Error(`allocate: backend ${backend.name} does not support dtype ${dtype}`);
  return fromStorage(backend.allocate(numel(shape), dtype), shape);
}
function makeView(base, shape, strides, offset) {
  base.assertAlive("view");
  return new Tensor3(base._slab.retain(), [...shape], [...strides], offset);
}
var engineOps = {
  add: (a, b) => add(a, b),
  share: (t) => makeView(t, t.shape, t.strides, t.offset),
  onesLike: (t) => {
    const o = allocTensor(t.backend, t.shape, t.dtype);
    t.backend.fill(o._slab.storage, 1);
    return o;
  },
  accumulateLeaf: (leaf, g) => {
    if (leaf.isDisposed) {
      g.dispose();
      throw new Error(`backward: leaf tensor ${leaf.name ?? `#${leaf.id}`} ${fmtShape(leaf.shape)} was disposed before backward`);
    }
    let gc = g.isContiguous ? g : contiguous(g);
    if (gc.dtype !== leaf.dtype) {
      const cast2 = cast(gc, leaf.dtype);
      if (gc !== g) gc.dispose();
      gc = cast2;
    }
    if (gc !== g) g.dispose();
    untrack(gc);
    if (leaf.grad) {
      const sum2 = add(leaf.grad, gc);
      untrack(sum2);
      leaf.grad.dispose();
      gc.dispose();
      leaf.grad = sum2;
    } else {
      leaf.grad = gc;
    }
  },
  fmt: fmtShape
};

// ../../packages/tensor/src/cpu/special.ts
var ERF_A = [3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315];
var ERF_B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
var ERF_C = [
  0.5641884969886701,
  8.883149794388377,
  66.11919063714163,
  298.6351381974001,
  881.952221241769,
  1712.0476126340707,
  2051.0783778260716,
  1230.3393547979972,
  21531153547440383e-24
];
var ERF_D = [
  15.744926110709835,
  117.6939508913125,
  537.1811018620099,
  1621.3895745666903,
  3290.7992357334597,
  4362.619090143247,
  3439.3676741437216,
  1230.3393548037495
];
var ERF_P = [0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 6587491615298378e-19, 0.016315387137302097];
var ERF_Q = [2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918];
var INV_SQRT_PI = 0.5641895835477563;
function erfcPositive(y) {
  let r;
  if (y <= 4) {
    let num = ERF_C[8] * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + ERF_C[i]) * y;
      den = (den + ERF_D[i]) * y;
    }
    r = (num + ERF_C[7]) / (den + ERF_D[7]);
  } else {
    if (y >= 26.543) return 0;
    const z2 = 1 / (y * y);
    let num = ERF_P[5] * z2;
    let den = z2;
    for (let i = 0; i < 4; i++) {
      num = (num + ERF_P[i]) * z2;
      den = (den + ERF_Q[i]) * z2;
    }
    r = z2 * (num + ERF_P[4]) / (den + ERF_Q[4]);
    r = (INV_SQRT_PI - r) / y;
  }
  const ysq = Math.trunc(y * 16) / 16;
  const del = (y - ysq) * (y + ysq);
  return Math.exp(-ysq * ysq) * Math.exp(-del) * r;
}
function erfSmall(x) {
  const y = Math.abs(x);
  const z2 = y > 111e-18 ? y * y : 0;
  let num = ERF_A[4] * z2;
  let den = z2;
  for (let i = 0; i < 3; i++) {
    num = (num + ERF_A[i]) * z2;
    den = (den + ERF_B[i]) * z2;
  }
  return x * (num + ERF_A[3]) / (den + ERF_B[3]);
}
function erf(x) {
  if (x !== x) return x;
  const y = Math.abs(x);
  if (y <= 0.46875) return erfSmall(x);
  const r = 0.5 - erfcPositive(y) + 0.5;
  return x < 0 ? -r : r;
}
function erfc(x) {
  if (x !== x) return x;
  const y = Math.abs(x);
  if (y <= 0.46875) return 1 - erfSmall(x);
  const r = erfcPositive(y);
  return x < 0 ? 2 - r : r;
}
function sigmoid(x) {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
var SQRT1_2 = Math.SQRT1_2;
var INV_SQRT_2PI = 0.3989422804014327;
var GELU_TANH_BETA = Math.sqrt(2 / Math.PI);
var GELU_TANH_KAPPA = 0.044715;
function gelu(x) {
  return 0.5 * x * erfc(-x * SQRT1_2);
}
function geluDeriv(x) {
  return 0.5 * erfc(-x * SQRT1_2) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}
function geluTanh(x) {
  const inner = GELU_TANH_BETA * (x + GELU_TANH_KAPPA * x * x * x);
  return 0.5 * x * (1 + Math.tanh(inner));
}
function geluTanhDeriv(x) {
  const x2 = x * x;
  const t = Math.tanh(GELU_TANH_BETA * (x + GELU_TANH_KAPPA * x2 * x));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_TANH_BETA * (1 + 3 * GELU_TANH_KAPPA * x2);
}
function softplus(x) {
  return (x > 0 ? x : 0) + Math.log1p(Math.exp(-Math.abs(x)));
}
function roundHalfEven(x) {
  const f = Math.floor(x);
  const d = x - f;
  let r = f;
  if (d > 0.5 || d === 0.5 && f % 2 !== 0) r = f + 1;
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r;
}
function powC(x, y) {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}
function powInt(x, y) {
  if (y < 0) {
    if (x === 1) return 1;
    if (x === -1) return y % 2 === 0 ? 1 : -1;
    throw new Error(`pow: integers to negative integer powers are not allowed (base ${x}, exponent ${y})`);
  }
  let result = 1;
  let base = x | 0;
  let e = y;
  while (e > 0) {
    if (e & 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
    e = Math.floor(e / 2);
  }
  return result;
}

// ../../packages/tensor/src/cpu/elementwise.ts
var TWO_OVER_SQRT_PI = 1.1283791670955126;
var UNARY_OPS = /* @__PURE__ */ new Set([
  "neg",
  "abs",
  "sign",
  "exp",
  "log",
  "sqrt",
  "rsqrt",
  "reciprocal",
  "square",
  "sin",
  "cos",
  "tanh",
  "erf",
  "sigmoid",
  "relu",
  "gelu",
  "gelu_tanh",
  "silu",
  "softplus",
  "floor",
  "ceil",
  "round",
  "not",
  "add_scalar",
  "mul_scalar",
  "rsub_scalar",
  "rdiv_scalar",
  "pow_scalar",
  "rpow_scalar",
  "clamp",
  "isnan",
  "isinf"
]);
var BINARY_OPS = /* @__PURE__ */ new Set([
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "maximum",
  "minimum",
  "atan2",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "and",
  "or",
  "relu_grad",
  "gelu_grad",
  "gelu_tanh_grad",
  "silu_grad",
  "softplus_grad",
  "sigmoid_grad",
  "tanh_grad",
  "erf_grad"
]);
function unaryRow(op, x, xo, xs, out, o, n, a, b, intMode) {
  const end = o + n;
  switch (op) {
    case "neg":
      for (; o < end; o++, xo += xs) out[o] = -x[xo];
      return;
    case "abs":
      for (; o < end; o++, xo += xs) out[o] = Math.abs(x[xo]);
      return;
    case "sign":
      for (; o < end; o++, xo += xs) {
        const v = x[xo];
        out[o] = v > 0 ? 1 : v < 0 ? -1 : 0;
      }
      return;
    case "exp":
      for (; o < end; o++, xo += xs) out[o] = Math.exp(x[xo]);
      return;
    case "log":
      for (; o < end; o++, xo += xs) out[o] = Math.log(x[xo]);
      return;
    case "sqrt":
      for (; o < end; o++, xo += xs) out[o] = Math.sqrt(x[xo]);
      return;
    case "rsqrt":
      for (; o < end; o++, xo += xs) out[o] = 1 / Math.sqrt(x[xo]);
      return;
    case "reciprocal":
      for (; o < end; o++, xo += xs) out[o] = 1 / x[xo];
      return;
    case "square":
      if (intMode) {
        for (; o < end; o++, xo += xs) out[o] = Math.imul(x[xo], x[xo]);
      } else {
        for (; o < end; o++, xo += xs) {
          const v = x[xo];
          out[o] = v * v;
        }
      }
      return;
    case "sin":
      for (; o < end; o++, xo += xs) out[o] = Math.sin(x[xo]);
      return;
    case "cos":
      for (; o < end; o++, xo += xs) out[o] = Math.cos(x[xo]);
      return;
    case "tanh":
      for (; o < end; o++, xo += xs) out[o] = Math.tanh(x[xo]);
      return;
    case "erf":
      for (; o < end; o++, xo += xs) out[o] = erf(x[xo]);
      return;
    case "sigmoid":
      for (; o < end; o++, xo += xs) out[o] = sigmoid(x[xo]);
      return;
    case "relu":
      for (; o < end; o++, xo += xs) {
        const v = x[xo];
        out[o] = v > 0 || v !== v ? v : 0;
      }
      return;
    case "gelu":
      for (; o < end; o++, xo += xs) out[o] = gelu(x[xo]);
      return;
    case "gelu_tanh":
      for (; o < end; o++, xo += xs) out[o] = geluTanh(x[xo]);
      return;
    case "silu":
      for (; o < end; o++, xo += xs) {
        const v = x[xo];
        out[o] = v * sigmoid(v);
      }
      return;
    case "softplus":
      for (; o < end; o++, xo += xs) out[o] = softplus(x[xo]);
      return;
    case "floor":
      for (; o < end; o++, xo += xs) out[o] = Math.floor(x[xo]);
      return;
    case "ceil":
      for (; o < end; o++, xo += xs) out[o] = Math.ceil(x[xo]);
      return;
    case "round":
      for (; o < end; o++, xo += xs) out[o] = roundHalfEven(x[xo]);
      return;
    case "not":
      for (; o < end; o++, xo += xs) out[o] = x[xo] === 0 ? 1 : 0;
      return;
    case "add_scalar":
      for (; o < end; o++, xo += xs) out[o] = x[xo] + a;
      return;
    case "mul_scalar":
      if (intMode && Number.isInteger(a)) {
        for (; o < end; o++, xo += xs) out[o] = Math.imul(x[xo], a);
      } else {
        for (; o < end; o++, xo += xs) out[o] = x[xo] * a;
      }
      return;
    case "rsub_scalar":
      for (; o < end; o++, xo += xs) out[o] = a - x[xo];
      return;
    case "rdiv_scalar":
      for (; o < end; o++, xo += xs) out[o] = a / x[xo];
      return;
    case "pow_scalar":
      if (intMode && Number.isInteger(a)) {
        for (; o < end; o++, xo += xs) out[o] = powInt(x[xo], a);
      } else if (a === 2) {
        for (; o < end; o++, xo += xs) {
          const v = x[xo];
          out[o] = v * v;
        }
      } else if (a === 0.5) {
        for (; o < end; o++, xo += xs) out[o] = powC(x[xo], 0.5);
      } else {
        for (; o < end; o++, xo += xs) out[o] = powC(x[xo], a);
      }
      return;
    case "rpow_scalar":
      if (intMode && Number.isInteger(a)) {
        for (; o < end; o++, xo += xs) out[o] = powInt(a, x[xo]);
      } else {
        for (; o < end; o++, xo += xs) out[o] = powC(a, x[xo]);
      }
      return;
    case "clamp":
      for (; o < end; o++, xo += xs) {
        let v = x[xo];
        if (v < a) v = a;
        if (v > b) v = b;
        out[o] = v;
      }
      return;
    case "isnan":
      for (; o < end; o++, xo += xs) {
        const v = x[xo];
        out[o] = v !== v ? 1 : 0;
      }
      return;
    case "isinf":
      for (; o < end; o++, xo += xs) {
        const v = x[xo];
        out[o] = v === Infinity || v === -Infinity ? 1 : 0;
      }
      return;
    default:
      throw new Error(`unary: unknown op '${String(op)}'`);
  }
}
function binaryRow(op, a, ao, as, b, bo, bs, out, o, n, intMode) {
  const end = o + n;
  switch (op) {
    case "add":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] + b[bo];
      return;
    case "sub":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] - b[bo];
      return;
    case "mul":
      if (intMode) {
        for (; o < end; o++, ao += as, bo += bs) out[o] = Math.imul(a[ao], b[bo]);
      } else {
        for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] * b[bo];
      }
      return;
    case "div":
      if (intMode) {
        for (; o < end; o++, ao += as, bo += bs) {
          const d = b[bo];
          if (d === 0) throw new Error(`div: integer division by zero (dividend ${a[ao]})`);
          out[o] = Math.trunc(a[ao] / d);
        }
      } else {
        for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] / b[bo];
      }
      return;
    case "pow":
      if (intMode) {
        for (; o < end; o++, ao += as, bo += bs) out[o] = powInt(a[ao], b[bo]);
      } else {
        for (; o < end; o++, ao += as, bo += bs) out[o] = powC(a[ao], b[bo]);
      }
      return;
    case "maximum":
      for (; o < end; o++, ao += as, bo += bs) {
        const x = a[ao];
        const y = b[bo];
        out[o] = x > y || x !== x ? x : y;
      }
      return;
    case "minimum":
      for (; o < end; o++, ao += as, bo += bs) {
        const x = a[ao];
        const y = b[bo];
        out[o] = x < y || x !== x ? x : y;
      }
      return;
    case "atan2":
      for (; o < end; o++, ao += as, bo += bs) out[o] = Math.atan2(a[ao], b[bo]);
      return;
    case "eq":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] === b[bo] ? 1 : 0;
      return;
    case "ne":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] !== b[bo] ? 1 : 0;
      return;
    case "lt":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] < b[bo] ? 1 : 0;
      return;
    case "le":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] <= b[bo] ? 1 : 0;
      return;
    case "gt":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] > b[bo] ? 1 : 0;
      return;
    case "ge":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] >= b[bo] ? 1 : 0;
      return;
    case "and":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] !== 0 && b[bo] !== 0 ? 1 : 0;
      return;
    case "or":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] !== 0 || b[bo] !== 0 ? 1 : 0;
      return;
    case "relu_grad":
      for (; o < end; o++, ao += as, bo += bs) out[o] = a[ao] > 0 ? b[bo] : 0;
      return;
    case "gelu_grad":
      for (; o < end; o++, ao += as, bo += bs) out[o] = b[bo] * geluDeriv(a[ao]);
      return;
    case "gelu_tanh_grad":
      for (; o < end; o++, ao += as, bo += bs) out[o] = b[bo] * geluTanhDeriv(a[ao]);
      return;
    case "silu_grad":
      for (; o < end; o++, ao += as, bo += bs) {
        const x = a[ao];
        const s = sigmoid(x);
        out[o] = b[bo] * s * (1 + x * (1 - s));
      }
      return;
    case "softplus_grad":
      for (; o < end; o++, ao += as, bo += bs) out[o] = b[bo] * sigmoid(a[ao]);
      return;
    case "sigmoid_grad":
      for (; o < end; o++, ao += as, bo += bs) {
        const y = a[ao];
        out[o] = b[bo] * y * (1 - y);
      }
      return;
    case "tanh_grad":
      for (; o < end; o++, ao += as, bo += bs) {
        const y = a[ao];
        out[o] = b[bo] * (1 - y * y);
      }
      return;
    case "erf_grad":
      for (; o < end; o++, ao += as, bo += bs) {
        const x = a[ao];
        out[o] = b[bo] * TWO_OVER_SQRT_PI * Math.exp(-x * x);
      }
      return;
    default:
      throw new Error(`binary: unknown op '${String(op)}'`);
  }
}
function whereRow(c, co, cs, a, ao, as, b, bo, bs, out, o, n) {
  const end = o + n;
  for (; o < end; o++, co += cs, ao += as, bo += bs) out[o] = c[co] !== 0 ? a[ao] : b[bo];
}
function copyRow(src, so, ss, dst, d, ds, n) {
  if (ss === 1 && ds === 1) {
    dst.set(src.subarray(so, so + n), d);
    return;
  }
  if (ss === 0) {
    const v = src[so];
    for (let i = 0; i < n; i++, d += ds) dst[d] = v;
    return;
  }
  for (let i = 0; i < n; i++, so += ss, d += ds) dst[d] = src[so];
}

// ../../packages/tensor/src/cpu/indexing.ts
function gatherHost(x, index, out) {
  const [O, Dj, I] = index.shape;
  const Dx = x.shape[1];
  const [sx0, sx1, sx2] = x.strides;
  const [si0, si1, si2] = index.strides;
  const xd = x.data;
  const id = index.data;
  let q = 0;
  for (let o = 0; o < O; o++) {
    for (let j = 0; j < Dj; j++) {
      let pi = index.offset + o * si0 + j * si1;
      let px = x.offset + o * sx0;
      for (let i = 0; i < I; i++, pi += si2, px += sx2, q++) {
        const t = id[pi];
        if (!(t >= 0 && t < Dx)) throw new Error(`gather: index ${t} out of range for dimension of size ${Dx}`);
        out[q] = xd[px + t * sx1];
      }
    }
  }
}
function scatterAddHost(target, targetSize, index, src) {
  const [O, Dj, I] = index.shape;
  if (O * Dj * I === 0) return;
  const Dt = targetSize / (O * I);
  if (!Number.isInteger(Dt)) {
    throw new Error(`scatterAdd: target of ${targetSize} elements is not [${O}, D, ${I}] for index shape [${O},${Dj},${I}]`);
  }
  const [si0, si1, si2] = index.strides;
  const [ss0, ss1, ss2] = src.strides;
  const id = index.data;
  const sd = src.data;
  for (let o = 0; o < O; o++) {
    for (let j = 0; j < Dj; j++) {
      let pi = index.offset + o * si0 + j * si1;
      for (let i = 0; i < I; i++, pi += si2) {
        const t = id[pi];
        if (!(t >= 0 && t < Dt)) throw new Error(`scatterAdd: index ${t} out of range for dimension of size ${Dt}`);
      }
    }
  }
  const intOut = target instanceof Int32Array;
  for (let o = 0; o < O; o++) {
    const tb = o * Dt * I;
    for (let j = 0; j < Dj; j++) {
      let pi = index.offset + o * si0 + j * si1;
      let ps = src.offset + o * ss0 + j * ss1;
      for (let i = 0; i < I; i++, pi += si2, ps += ss2) {
        const q = tb + id[pi] * I + i;
        target[q] = intOut ? target[q] + sd[ps] | 0 : target[q] + sd[ps];
      }
    }
  }
}

// ../../packages/tensor/src/cpu/iterate.ts
function planRows(shape, strides) {
  const k = strides.length;
  let size = 1;
  for (const d of shape) size *= d;
  const dims = [];
  const st = strides.map(() => []);
  if (size === 0) return { outer: [], outerStrides: st, len: 0, inner: strides.map(() => 0), size: 0 };
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d];
    if (n === 1) continue;
    const last = dims.length - 1;
    if (last >= 0) {
      let mergeable = true;
      for (let j = 0; j < k; j++) {
        if (strides[j][d] !== st[j][last] * dims[last]) {
          mergeable = false;
          break;
        }
      }
      if (mergeable) {
        dims[last] = dims[last] * n;
        continue;
      }
    }
    dims.push(n);
    for (let j = 0; j < k; j++) st[j].push(strides[j][d]);
  }
  if (dims.length === 0) {
    dims.push(1);
    for (let j = 0; j < k; j++) st[j].push(0);
  }
  const len = dims[0];
  const inner = st.map((s) => s[0]);
  const outer = dims.slice(1).reverse();
  const outerStrides = st.map((s) => s.slice(1).reverse());
  return { outer, outerStrides, len, inner, size };
}
function eachRow(plan, offsets, row) {
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
  const idx = new Array(r).fill(0);
  for (; ; ) {
    row(offs);
    let d = r - 1;
    for (; d >= 0; d--) {
      const i = ++idx[d];
      if (i < outer[d]) {
        for (let j = 0; j < k; j++) offs[j] += st[j][d];
        break;
      }
      idx[d] = 0;
      for (let j = 0; j < k; j++) offs[j] -= st[j][d] * (outer[d] - 1);
    }
    if (d < 0) return;
  }
}
function contiguousStridesOf2(shape) {
  const s = new Array(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

// ../../packages/tensor/src/cpu/wasm/emitter.ts
var ValType = { i32: 127, i64: 126, f32: 125, f64: 124, v128: 123 };
function uleb(value) {
  if (!Number.isInteger(value) || value < 0 || value > 4294967295) throw new Error(`wasm emitter: uleb expects a u32, got ${value}`);
  const out = [];
  let v = value;
  do {
    let byte = v & 127;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 128;
    out.push(byte);
  } while (v !== 0);
  return out;
}
function sleb(value) {
  if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) throw new Error(`wasm emitter: sleb expects an i32, got ${value}`);
  const out = [];
  let v = value | 0;
  for (; ; ) {
    const byte = v & 127;
    v >>= 7;
    const done = v === 0 && (byte & 64) === 0 || v === -1 && (byte & 64) !== 0;
    out.push(done ? byte : byte | 128);
    if (done) return out;
  }
}
function name(s) {
  const bytes = Array.from(new TextEncoder().encode(s));
  return [...uleb(bytes.length), ...bytes];
}
function vec(items) {
  return [...uleb(items.length), ...items.flat()];
}
var SIMD = 253;
var FunctionBody = class {
  /** `params` are the function's parameter types, which occupy the first local indices. */
  constructor(params) {
    this.params = params;
  }
  params;
  code = [];
  localTypes = [];
  depth = 0;
  /** Declare a new local of type `type`; returns its index. */
  local(type) {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }
  /** Index of parameter `i` (checked). */
  param(i) {
    if (i < 0 || i >= this.params.length) throw new Error(`wasm emitter: parameter ${i} out of range (function has ${this.params.length})`);
    return i;
  }
  op(...bytes) {
    this.code.push(...bytes);
    return this;
  }
  simd(opcode, ...imm) {
    return this.op(SIMD, ...uleb(opcode), ...imm);
  }
  /** A memory immediate: log2 alignment and byte offset. */
  memarg(alignLog2, offset) {
    return [...uleb(alignLog2), ...uleb(offset)];
  }
  // control
  /** `block` with an empty result type. */
  block() {
    this.depth++;
    return this.op(2, 64);
  }
  /** `loop` with an empty result type (a branch to it jumps back to its start). */
  loop() {
    this.depth++;
    return this.op(3, 64);
  }
  /** Close the innermost `block` / `loop`. */
  end() {
    if (this.depth === 0) throw new Error("wasm emitter: end() without an open block");
    this.depth--;
    return this.op(11);
  }
  /** Unconditional branch to the `depth`-th enclosing label. */
  br(depth) {
    return this.op(12, ...uleb(depth));
  }
  /** Branch to the `depth`-th enclosing label when the popped i32 is non-zero. */
  brIf(depth) {
    return this.op(13, ...uleb(depth));
  }
  /** Call function `index`. */
  call(index) {
    return this.op(16, ...uleb(index));
  }
  /** Drop the top of the stack. */
  drop() {
    return this.op(26);
  }
  // locals
  /** `local.get`. */
  get(index) {
    return this.op(32, ...uleb(index));
  }
  /** `local.set`. */
  set(index) {
    return this.op(33, ...uleb(index));
  }
  /** `local.tee`. */
  tee(index) {
    return this.op(34, ...uleb(index));
  }
  // i32
  /** `i32.const`. */
  i32Const(value) {
    return this.op(65, ...sleb(value));
  }
  /** `i32.eqz`. */
  i32Eqz() {
    return this.op(69);
  }
  /** `i32.lt_u`. */
  i32LtU() {
    return this.op(73);
  }
  /** `i32.add`. */
  i32Add() {
    return this.op(106);
  }
  /** `i32.sub`. */
  i32Sub() {
    return this.op(107);
  }
  /** `i32.mul`. */
  i32Mul() {
    return this.op(108);
  }
  // v128
  /** `v128.load` of 16 bytes at `addr + offset` (alignment hint 16). */
  v128Load(offset = 0) {
    return this.simd(0, ...this.memarg(4, offset));
  }
  /** `v128.load32_splat`: one f32 / i32 at `addr + offset` broadcast to all four lanes. */
  v128Load32Splat(offset = 0) {
    return this.simd(9, ...this.memarg(2, offset));
  }
  /** `v128.load64_splat`: one f64 / i64 at `addr + offset` broadcast to both lanes. */
  v128Load64Splat(offset = 0) {
    return this.simd(10, ...this.memarg(3, offset));
  }
  /** `v128.store` of 16 bytes at `addr + offset`. */
  v128Store(offset = 0) {
    return this.simd(11, ...this.memarg(4, offset));
  }
  /** `f32x4.splat` of the popped f32. */
  f32x4Splat() {
    return this.simd(19);
  }
  /** `f32x4.add`. */
  f32x4Add() {
    return this.simd(228);
  }
  /** `f32x4.mul`. */
  f32x4Mul() {
    return this.simd(230);
  }
  /** `f64x2.add`. */
  f64x2Add() {
    return this.simd(240);
  }
  /** `f64x2.mul`. */
  f64x2Mul() {
    return this.simd(242);
  }
  /** The encoded body (locals run-length grouped, then code, then the final `end`). */
  encode() {
    if (this.depth !== 0) throw new Error(`wasm emitter: function body has ${this.depth} unclosed block(s)`);
    const groups = [];
    for (let i = 0; i < this.localTypes.length; ) {
      let j = i;
      while (j < this.localTypes.length && this.localTypes[j] === this.localTypes[i]) j++;
      groups.push([...uleb(j - i), this.localTypes[i]]);
      i = j;
    }
    const body = [...vec(groups), ...this.code, 11];
    return [...uleb(body.length), ...body];
  }
};
var ModuleBuilder = class {
  types = [];
  funcs = [];
  exports = [];
  memoryPages = null;
  /** Register (or reuse) the function type `params -> results`; returns its index. */
  type(params, results) {
    const enc = [96, ...uleb(params.length), ...params, ...uleb(results.length), ...results];
    const found = this.types.findIndex((t) => t.length === enc.length && t.every((b, i) => b === enc[i]));
    if (found >= 0) return found;
    this.types.push(enc);
    return this.types.length - 1;
  }
  /** Add a function of type `(params) -> results`; returns its index and its body to fill. */
  func(params, results = []) {
    const body = new FunctionBody(params);
    this.funcs.push({ type: this.type(params, results), body });
    return { index: this.funcs.length - 1, body };
  }
  /** Declare the module's own memory with `initialPages` 64 KiB pages (no maximum). */
  memory(initialPages) {
    this.memoryPages = initialPages;
  }
  /** Export function `index` under `exportName`. */
  exportFunc(exportName, index) {
    this.exports.push([...name(exportName), 0, ...uleb(index)]);
  }
  /** Export the memory under `exportName`. */
  exportMemory(exportName) {
    if (this.memoryPages === null) throw new Error("wasm emitter: exportMemory() before memory()");
    this.exports.push([...name(exportName), 2, 0]);
  }
  /** The binary module. */
  encode() {
    const section = (id, payload) => [id, ...uleb(payload.length), ...payload];
    const bytes = [0, 97, 115, 109, 1, 0, 0, 0];
    bytes.push(...section(1, vec(this.types)));
    bytes.push(...section(3, vec(this.funcs.map((f) => uleb(f.type)))));
    if (this.memoryPages !== null) bytes.push(...section(5, vec([[0, ...uleb(this.memoryPages)]])));
    if (this.exports.length > 0) bytes.push(...section(7, vec(this.exports)));
    bytes.push(...section(10, vec(this.funcs.map((f) => f.body.encode()))));
    return new Uint8Array(bytes);
  }
};

// ../../packages/tensor/src/cpu/wasm/gemm-module.ts
function elemBytes(elem) {
  return elem === "f32" ? 4 : 8;
}
var { i32, v128 } = ValType;
function gemmModuleBytes(shapes) {
  const mb = new ModuleBuilder();
  mb.memory(1);
  mb.exportMemory("memory");
  const seen = /* @__PURE__ */ new Set();
  for (const shape of shapes) {
    const { elem, mr, nr, ku } = shape;
    const lanes = 16 / elemBytes(elem);
    if (!(mr >= 1 && nr >= lanes && nr % lanes === 0 && ku >= 1) || ![mr, nr, ku].every(Number.isInteger)) {
      throw new Error(`gemmModuleBytes: bad ${elem} micro-tile mr=${mr} nr=${nr} ku=${ku} (need integers, mr >= 1, nr a positive multiple of ${lanes}, ku >= 1)`);
    }
    if (seen.has(elem)) throw new Error(`gemmModuleBytes: two ${elem} kernels requested`);
    seen.add(elem);
    emitMacro(mb, emitKernel(mb, shape), shape);
  }
  return mb.encode();
}
function emitKernel(mb, { elem, mr: MR2, nr: NR2, ku: KU }) {
  const { index, body: f } = mb.func([i32, i32, i32, i32, i32]);
  const pa = f.param(0);
  const pb = f.param(1);
  const pc = f.param(2);
  const kc = f.param(3);
  const ldc = f.param(4);
  const E = elemBytes(elem);
  const lanes = 16 / E;
  const NV = NR2 / lanes;
  const acc = [];
  for (let r = 0; r < MR2 * NV; r++) acc.push(f.local(v128));
  const bv = [];
  for (let v = 0; v < NV; v++) bv.push(f.local(v128));
  const av = f.local(v128);
  const splat = (offset) => elem === "f32" ? f.v128Load32Splat(offset) : f.v128Load64Splat(offset);
  const fma = () => elem === "f32" ? f.f32x4Mul().f32x4Add() : f.f64x2Mul().f64x2Add();
  const add2 = () => elem === "f32" ? f.f32x4Add() : f.f64x2Add();
  f.loop();
  for (let u = 0; u < KU; u++) {
    for (let v = 0; v < NV; v++) f.get(pb).v128Load((u * NR2 + lanes * v) * E).set(bv[v]);
    for (let r = 0; r < MR2; r++) {
      f.get(pa);
      splat((u * MR2 + r) * E).set(av);
      for (let v = 0; v < NV; v++) {
        const c = acc[r * NV + v];
        f.get(c).get(av).get(bv[v]);
        fma().set(c);
      }
    }
  }
  f.get(pa).i32Const(KU * MR2 * E).i32Add().set(pa);
  f.get(pb).i32Const(KU * NR2 * E).i32Add().set(pb);
  f.get(kc).i32Const(KU).i32Sub().tee(kc).brIf(0);
  f.end();
  for (let r = 0; r < MR2; r++) {
    for (let v = 0; v < NV; v++) {
      f.get(pc).get(pc).v128Load(16 * v).get(acc[r * NV + v]);
      add2().v128Store(16 * v);
    }
    if (r + 1 < MR2) f.get(pc).get(ldc).i32Add().set(pc);
  }
  return index;
}
function emitMacro(mb, kernel, { elem, mr: MR2, nr: NR2 }) {
  const E = elemBytes(elem);
  const { index, body: f } = mb.func([i32, i32, i32, i32, i32, i32, i32]);
  const pa = f.param(0);
  const pb = f.param(1);
  const pc = f.param(2);
  const mTiles = f.param(3);
  const nTiles = f.param(4);
  const kc = f.param(5);
  const ldc = f.param(6);
  const aStep = f.local(i32);
  const bStep = f.local(i32);
  const cStep = f.local(i32);
  const ai = f.local(i32);
  const ci = f.local(i32);
  const i = f.local(i32);
  f.get(kc).i32Const(MR2 * E).i32Mul().set(aStep);
  f.get(kc).i32Const(NR2 * E).i32Mul().set(bStep);
  f.get(ldc).i32Const(MR2).i32Mul().set(cStep);
  f.loop();
  {
    f.get(pa).set(ai);
    f.get(pc).set(ci);
    f.get(mTiles).set(i);
    f.loop();
    {
      f.get(ai).get(pb).get(ci).get(kc).get(ldc).call(kernel);
      f.get(ai).get(aStep).i32Add().set(ai);
      f.get(ci).get(cStep).i32Add().set(ci);
      f.get(i).i32Const(1).i32Sub().tee(i).brIf(0);
    }
    f.end();
    f.get(pb).get(bStep).i32Add().set(pb);
    f.get(pc).i32Const(NR2 * E).i32Add().set(pc);
    f.get(nTiles).i32Const(1).i32Sub().tee(nTiles).brIf(0);
  }
  f.end();
  mb.exportFunc(`gemm_${elem}`, index);
}
function simdProbeBytes() {
  const mb = new ModuleBuilder();
  mb.memory(1);
  const { body: f } = mb.func([i32, ValType.f32]);
  f.get(0).v128Load(0).get(1).f32x4Splat().f32x4Mul().drop();
  return mb.encode();
}

// ../../packages/tensor/src/cpu/wasm/wasm-api.ts
function wasmApi() {
  const wa = globalThis.WebAssembly;
  if (typeof wa !== "object" || wa === null) return null;
  if (typeof wa.validate !== "function" || typeof wa.Module !== "function" || typeof wa.Instance !== "function") return null;
  return wa;
}

// ../../packages/tensor/src/cpu/wasm/gemm.ts
var GEMM_BLOCKING = { kc: 256, mc: 64, nc: 1024, cElements: 1 << 20 };
var PAGE = 65536;
var simdSupport;
function wasmSimdSupported() {
  if (simdSupport === void 0) {
    const wa = wasmApi();
    simdSupport = wa !== null && wa.validate(simdProbeBytes());
  }
  return simdSupport;
}
var GEMM_SHAPES = [
  { elem: "f64", mr: 4, nr: 8, ku: 2 },
  { elem: "f32", mr: 4, nr: 16, ku: 2 }
];
var modules = /* @__PURE__ */ new Map();
function compiled(wa, shapes) {
  const key = shapes.map((s) => `${s.elem}:${s.mr}x${s.nr}x${s.ku}`).join(",");
  let mod = modules.get(key);
  if (mod === void 0) {
    const bytes = gemmModuleBytes(shapes);
    if (!wa.validate(bytes)) throw new Error(`WasmGemm: the generated GEMM module (${key}) does not validate although SIMD is supported (emitter bug)`);
    mod = new wa.Module(bytes);
    modules.set(key, mod);
  }
  return mod;
}
var roundUp = (x, m) => Math.ceil(x / m) * m;
var WasmGemm = class {
  /** Instantiates the module for `shapes` (throws if WebAssembly SIMD is unavailable: check `wasmSimdSupported()` first). */
  constructor(shapes = GEMM_SHAPES, blocking = GEMM_BLOCKING) {
    this.blocking = blocking;
    const wa = wasmApi();
    if (wa === null || !wasmSimdSupported()) throw new Error("WasmGemm: WebAssembly SIMD is not available in this engine");
    const { kc, mc, nc, cElements } = blocking;
    if (!(kc >= 1 && mc >= 1 && nc >= 1 && cElements >= 1)) throw new Error(`WasmGemm: bad blocking kc=${kc} mc=${mc} nc=${nc} cElements=${cElements}`);
    const inst = new wa.Instance(compiled(wa, shapes), {});
    this.memory = inst.exports["memory"];
    for (const shape of shapes) {
      const fn = inst.exports[`gemm_${shape.elem}`];
      this.kernels.set(shape.elem, { shape, fn, E: elemBytes(shape.elem), mc: roundUp(mc, shape.mr), nc: roundUp(nc, shape.nr) });
    }
    this.f32 = new Float32Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer);
  }
  blocking;
  memory;
  kernels = /* @__PURE__ */ new Map();
  f32;
  f64;
  /** Current size of the instance's memory in bytes. */
  get memoryBytes() {
    return this.memory.buffer.byteLength;
  }
  /** Grow the memory to at least `bytes`. */
  reserve(bytes) {
    const have = this.memory.buffer.byteLength;
    if (have < bytes) this.memory.grow(Math.ceil((bytes - have) / PAGE));
    if (this.f32.buffer !== this.memory.buffer) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.f64 = new Float64Array(this.memory.buffer);
    }
  }
  /**
   * `out[co + r * N + j] = sum_k A[rowOff[r] + k * sak] * B[bo + k * sbk + j * sbn]` for `r < rows`,
   * `j < N` (out is overwritten; `rows, K, N >= 1`), accumulating in `acc` (`'f64'`: float64
   * products and sums, one rounding to float32 at the end; `'f32'`: float32 products and sums).
   */
  run(acc, ad, rowOff, rows, sak, bd, bo, sbk, sbn, K, N, out, co) {
    const kernel = this.kernels.get(acc);
    if (kernel === void 0) throw new Error(`WasmGemm.run: no ${acc} kernel in this instance`);
    const { shape: { mr, nr, ku }, fn: gemm2, E, mc: MC2, nc: NC2 } = kernel;
    const KC2 = this.blocking.kc;
    const kcMax = roundUp(Math.min(KC2, K), ku);
    const ncMax = roundUp(Math.min(NC2, N), nr);
    const RC = Math.max(MC2, Math.floor(this.blocking.cElements / ncMax / MC2) * MC2);
    const mcMax = roundUp(Math.min(MC2, rows), mr);
    const rcMax = roundUp(Math.min(RC, rows), mr);
    const align = 64 / E;
    const aOff = 0;
    const bOff = roundUp(aOff + mcMax * kcMax, align);
    const cOff = roundUp(bOff + ncMax * kcMax, align);
    this.reserve((cOff + rcMax * ncMax) * E);
    const mem = acc === "f32" ? this.f32 : this.f64;
    for (let r0 = 0; r0 < rows; r0 += RC) {
      const rc = Math.min(RC, rows - r0);
      const rcp = roundUp(rc, mr);
      for (let j0 = 0; j0 < N; j0 += NC2) {
        const nc = Math.min(NC2, N - j0);
        const ncp = roundUp(nc, nr);
        mem.fill(0, cOff, cOff + rcp * ncp);
        for (let k0 = 0; k0 < K; k0 += KC2) {
          const kc = Math.min(KC2, K - k0);
          const kcp = roundUp(kc, ku);
          packB(bd, bo + k0 * sbk + j0 * sbn, sbk, sbn, kc, kcp, nc, nr, mem, bOff);
          for (let i0 = 0; i0 < rc; i0 += MC2) {
            const mc = Math.min(MC2, rc - i0);
            const mcp = roundUp(mc, mr);
            packA(ad, rowOff, r0 + i0, mc, k0 * sak, sak, kc, kcp, mr, mem, aOff);
            gemm2(aOff * E, bOff * E, (cOff + i0 * ncp) * E, mcp / mr, ncp / nr, kcp, ncp * E);
          }
        }
        for (let i = 0; i < rc; i++) {
          const src = cOff + i * ncp;
          const dst = co + (r0 + i) * N + j0;
          if (nc >= 32) out.set(mem.subarray(src, src + nc), dst);
          else for (let j = 0; j < nc; j++) out[dst + j] = mem[src + j];
        }
      }
    }
  }
};
function packA(ad, rowOff, r0, mc, kOff, sak, kc, kcp, mr, dst, off) {
  for (let ip = 0; ip < mc; ip += mr) {
    const base = off + ip * kcp;
    for (let ii = 0; ii < mr; ii++) {
      let q = base + ii;
      if (ip + ii < mc) {
        let p = rowOff[r0 + ip + ii] + kOff;
        if (sak === 1) for (let k = 0; k < kc; k++, q += mr) dst[q] = ad[p + k];
        else for (let k = 0; k < kc; k++, q += mr, p += sak) dst[q] = ad[p];
        for (let k = kc; k < kcp; k++, q += mr) dst[q] = 0;
      } else {
        for (let k = 0; k < kcp; k++, q += mr) dst[q] = 0;
      }
    }
  }
}
function packB(bd, p0, sbk, sbn, kc, kcp, nc, nr, dst, off) {
  for (let jp = 0; jp < nc; jp += nr) {
    const base = off + jp * kcp;
    if (sbn === 1 && jp + nr <= nc) {
      for (let k = 0, q = base, p = p0 + jp; k < kc; k++, q += nr, p += sbk) {
        for (let jj = 0; jj < nr; jj++) dst[q + jj] = bd[p + jj];
      }
      dst.fill(0, base + kc * nr, base + kcp * nr);
      continue;
    }
    for (let jj = 0; jj < nr; jj++) {
      let q = base + jj;
      if (jp + jj < nc) {
        let p = p0 + (jp + jj) * sbn;
        for (let k = 0; k < kc; k++, q += nr, p += sbk) dst[q] = bd[p];
        for (let k = kc; k < kcp; k++, q += nr) dst[q] = 0;
      } else {
        for (let k = 0; k < kcp; k++, q += nr) dst[q] = 0;
      }
    }
  }
}

// ../../packages/tensor/src/cpu/matmul.ts
var MR = 4;
var NR = 4;
var KC = 256;
var MC = 64;
var NC = 512;
var SMALL_WORK = 8192;
var WASM_MIN_WORK = SMALL_WORK;
var KERNELS = ["js", "wasm", "auto"];
var ACCUMULATE = ["float64", "float32"];
function parseChoice(choices, value, source) {
  if (typeof value === "string" && choices.includes(value)) return value;
  throw new Error(`setCpuMatmulKernel: ${source} must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}`);
}
var env = globalThis.process?.env;
var envKernel = env?.["UNIHETERO_CPU_MATMUL"];
var envAccumulate = env?.["UNIHETERO_CPU_MATMUL_ACCUMULATE"];
var kernelMode = envKernel ? parseChoice(KERNELS, envKernel, "UNIHETERO_CPU_MATMUL") : "auto";
var accumulate = envAccumulate ? parseChoice(ACCUMULATE, envAccumulate, "UNIHETERO_CPU_MATMUL_ACCUMULATE") : "float32";
function useWasm(M, K, N) {
  if (kernelMode === "js") return false;
  if (kernelMode === "wasm") return true;
  return M >= MR && N >= NR && M * N * K >= WASM_MIN_WORK && wasmSimdSupported();
}
var MatmulWorkspace = class {
  /** Packed A block, `MC x KC` in 4-row panels. */
  ap = new Float64Array(0);
  /** Packed B block, `KC x NC` in 4-column panels. */
  bp = new Float64Array(0);
  /** Element offset of each logical row of A. */
  rowOff = new Float64Array(0);
  /** Row accumulator of the direct path. */
  acc = new Float64Array(0);
  /** Edge tile of the micro-kernel. */
  tile = new Float64Array(MR * NR);
  /** The WASM SIMD GEMM instance (created on first use, with its own growable memory). */
  wasm = null;
  /** Grow (never shrink) the buffers to the given sizes. */
  ensure(ap, bp, rows, acc) {
    if (this.ap.length < ap) this.ap = new Float64Array(ap);
    if (this.bp.length < bp) this.bp = new Float64Array(bp);
    if (this.rowOff.length < rows) this.rowOff = new Float64Array(rows);
    if (this.acc.length < acc) this.acc = new Float64Array(acc);
  }
  /** Drop the buffers. */
  clear() {
    this.ap = new Float64Array(0);
    this.bp = new Float64Array(0);
    this.rowOff = new Float64Array(0);
    this.acc = new Float64Array(0);
    this.wasm = null;
  }
};
function matmulHost(a, b, batch, M, K, N, out, ws) {
  const total = batch * M * N;
  if (total === 0) return;
  if (K === 0) {
    out.fill(0, 0, total);
    return;
  }
  const [sa0, sa1, sa2] = a.strides;
  const [sb0, sb1, sb2] = b.strides;
  if (out instanceof Int32Array) {
    matmulInt(a.data, a.offset, sa0, sa1, sa2, b.data, b.offset, sb0, sb1, sb2, batch, M, K, N, out);
    return;
  }
  if (out instanceof Float32Array && a.data instanceof Float32Array && b.data instanceof Float32Array && useWasm(M, K, N)) {
    matmulWasm(a.data, a.offset, sa0, sa1, sa2, b.data, b.offset, sb0, sb1, sb2, batch, M, K, N, out, ws);
    return;
  }
  if (M < MR || N < NR || M * N * K < SMALL_WORK) {
    ws.ensure(0, 0, 0, N);
    for (let bi = 0; bi < batch; bi++) {
      matmulDirect(a.data, a.offset + bi * sa0, sa1, sa2, b.data, b.offset + bi * sb0, sb1, sb2, M, K, N, out, bi * M * N, ws.acc);
    }
    return;
  }
  const fold = batch > 1 && sb0 === 0;
  const rows = fold ? batch * M : M;
  const calls = fold ? 1 : batch;
  ws.ensure(MC * Math.min(KC, K), Math.min(KC, K) * (Math.ceil(Math.min(NC, N) / NR) * NR), rows, 0);
  const rowOff = ws.rowOff;
  for (let c = 0; c < calls; c++) {
    if (fold) {
      for (let bi = 0, r = 0; bi < batch; bi++) for (let i = 0; i < M; i++, r++) rowOff[r] = a.offset + bi * sa0 + i * sa1;
    } else {
      for (let i = 0; i < M; i++) rowOff[i] = a.offset + c * sa0 + i * sa1;
    }
    gemm(a.data, rowOff, sa2, b.data, b.offset + c * sb0, sb1, sb2, out, c * M * N, rows, K, N, ws);
  }
}
function matmulWasm(ad, ao, sa0, sa1, sa2, bd, bo, sb0, sb1, sb2, batch, M, K, N, out, ws) {
  const gemm2 = ws.wasm ??= new WasmGemm();
  const acc = accumulate === "float32" ? "f32" : "f64";
  const fold = batch > 1 && sb0 === 0;
  const rows = fold ? batch * M : M;
  ws.ensure(0, 0, rows, 0);
  const rowOff = ws.rowOff;
  if (fold) {
    for (let bi = 0, r = 0; bi < batch; bi++) for (let i = 0; i < M; i++, r++) rowOff[r] = ao + bi * sa0 + i * sa1;
    gemm2.run(acc, ad, rowOff, rows, sa2, bd, bo, sb1, sb2, K, N, out, 0);
    return;
  }
  for (let bi = 0; bi < batch; bi++) {
    for (let i = 0; i < M; i++) rowOff[i] = ao + bi * sa0 + i * sa1;
    gemm2.run(acc, ad, rowOff, M, sa2, bd, bo + bi * sb0, sb1, sb2, K, N, out, bi * M * N);
  }
}
function matmulInt(ad, ao, sa0, sa1, sa2, bd, bo, sb0, sb1, sb2, batch, M, K, N, out) {
  let o = 0;
  for (let bi = 0; bi < batch; bi++) {
    for (let i = 0; i < M; i++) {
      const arow = ao + bi * sa0 + i * sa1;
      for (let j = 0; j < N; j++, o++) {
        let acc = 0;
        let pa = arow;
        let pb = bo + bi * sb0 + j * sb2;
        for (let k = 0; k < K; k++, pa += sa2, pb += sb1) acc = acc + Math.imul(ad[pa], bd[pb]) | 0;
        out[o] = acc;
      }
    }
  }
}
function matmulDirect(ad, ao, sam, sak, bd, bo, sbk, sbn, M, K, N, out, co, acc) {
  if (sbk === 1 && sbn !== 1) {
    for (let i = 0; i < M; i++) {
      const arow = ao + i * sam;
      for (let j = 0; j < N; j++) {
        let s0 = 0;
        let s1 = 0;
        let pa = arow;
        let pb = bo + j * sbn;
        let k = 0;
        for (; k + 1 < K; k += 2, pa += 2 * sak, pb += 2) {
          s0 += ad[pa] * bd[pb];
          s1 += ad[pa + sak] * bd[pb + 1];
        }
        if (k < K) s0 += ad[pa] * bd[pb];
        out[co + i * N + j] = s0 + s1;
      }
    }
    return;
  }
  for (let i = 0; i < M; i++) {
    acc.fill(0, 0, N);
    let pa = ao + i * sam;
    for (let k = 0; k < K; k++, pa += sak) {
      const av = ad[pa];
      let pb = bo + k * sbk;
      for (let j = 0; j < N; j++, pb += sbn) acc[j] = acc[j] + av * bd[pb];
    }
    const ro = co + i * N;
    for (let j = 0; j < N; j++) out[ro + j] = acc[j];
  }
}
function gemm(ad, rowOff, sak, bd, bo, sbk, sbn, C, co, M, K, N, ws) {
  C.fill(0, co, co + M * N);
  const ap = ws.ap;
  const bp = ws.bp;
  const tile = ws.tile;
  for (let j0 = 0; j0 < N; j0 += NC) {
    const nc = Math.min(NC, N - j0);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = Math.min(KC, K - k0);
      packB2(bd, bo + k0 * sbk + j0 * sbn, sbk, sbn, kc, nc, bp);
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = Math.min(MC, M - i0);
        packA2(ad, rowOff, i0, k0 * sak, sak, mc, kc, ap);
        for (let jp = 0; jp < nc; jp += NR) {
          const nr = Math.min(NR, nc - jp);
          const pb = jp * kc;
          for (let ip = 0; ip < mc; ip += MR) {
            const mr = Math.min(MR, mc - ip);
            const c0 = co + (i0 + ip) * N + j0 + jp;
            if (mr === MR && nr === NR) kernel4x4(ap, ip * kc, bp, pb, kc, C, c0, N);
            else kernelEdge(ap, ip * kc, bp, pb, kc, C, c0, N, mr, nr, tile);
          }
        }
      }
    }
  }
}
function packA2(ad, rowOff, i0, kOff, sak, mc, kc, ap) {
  for (let ip = 0; ip < mc; ip += MR) {
    const base = ip * kc;
    for (let ii = 0; ii < MR; ii++) {
      let q = base + ii;
      if (ip + ii < mc) {
        let p = rowOff[i0 + ip + ii] + kOff;
        if (sak === 1) for (let k = 0; k < kc; k++, q += MR) ap[q] = ad[p + k];
        else for (let k = 0; k < kc; k++, q += MR, p += sak) ap[q] = ad[p];
      } else {
        for (let k = 0; k < kc; k++, q += MR) ap[q] = 0;
      }
    }
  }
}
function packB2(bd, p0, sbk, sbn, kc, nc, bp) {
  for (let jp = 0; jp < nc; jp += NR) {
    const base = jp * kc;
    if (jp + NR <= nc && sbn === 1) {
      for (let k = 0, q = base, p = p0 + jp; k < kc; k++, q += NR, p += sbk) {
        bp[q] = bd[p];
        bp[q + 1] = bd[p + 1];
        bp[q + 2] = bd[p + 2];
        bp[q + 3] = bd[p + 3];
      }
      continue;
    }
    for (let jj = 0; jj < NR; jj++) {
      let q = base + jj;
      if (jp + jj < nc) {
        let p = p0 + (jp + jj) * sbn;
        for (let k = 0; k < kc; k++, q += NR, p += sbk) bp[q] = bd[p];
      } else {
        for (let k = 0; k < kc; k++, q += NR) bp[q] = 0;
      }
    }
  }
}
function kernel4x4(ap, pa, bp, pb, kc, C, c0, ldc) {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let k = 0; k < kc; k++, pa += 4, pb += 4) {
    const a0 = ap[pa], a1 = ap[pa + 1], a2 = ap[pa + 2], a3 = ap[pa + 3];
    const b0 = bp[pb], b1 = bp[pb + 1], b2 = bp[pb + 2], b3 = bp[pb + 3];
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  let c = c0;
  C[c] += c00;
  C[c + 1] += c01;
  C[c + 2] += c02;
  C[c + 3] += c03;
  c += ldc;
  C[c] += c10;
  C[c + 1] += c11;
  C[c + 2] += c12;
  C[c + 3] += c13;
  c += ldc;
  C[c] += c20;
  C[c + 1] += c21;
  C[c + 2] += c22;
  C[c + 3] += c23;
  c += ldc;
  C[c] += c30;
  C[c + 1] += c31;
  C[c + 2] += c32;
  C[c + 3] += c33;
}
function kernelEdge(ap, pa, bp, pb, kc, C, c0, ldc, mr, nr, tile) {
  tile.fill(0);
  for (let k = 0; k < kc; k++, pa += 4, pb += 4) {
    for (let r = 0; r < 4; r++) {
      const av = ap[pa + r];
      const t = r * 4;
      tile[t] += av * bp[pb];
      tile[t + 1] += av * bp[pb + 1];
      tile[t + 2] += av * bp[pb + 2];
      tile[t + 3] += av * bp[pb + 3];
    }
  }
  for (let r = 0; r < mr; r++) for (let s = 0; s < nr; s++) C[c0 + r * ldc + s] += tile[r * 4 + s];
}

// ../../packages/tensor/src/cpu/reduce.ts
function sumRow(x, o, n) {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const end4 = o + (n & ~3);
  let i = o;
  for (; i < end4; i += 4) {
    s0 += x[i];
    s1 += x[i + 1];
    s2 += x[i + 2];
    s3 += x[i + 3];
  }
  const end = o + n;
  for (; i < end; i++) s0 += x[i];
  return s0 + s1 + (s2 + s3);
}
function maxRow(x, o, n) {
  let m = -Infinity;
  const end = o + n;
  for (let i = o; i < end; i++) {
    const v = x[i];
    if (v > m) m = v;
    else if (v !== v) return v;
  }
  return m;
}
function minRow(x, o, n) {
  let m = Infinity;
  const end = o + n;
  for (let i = o; i < end; i++) {
    const v = x[i];
    if (v < m) m = v;
    else if (v !== v) return v;
  }
  return m;
}
function logsumexpRow(x, o, n) {
  const m = maxRow(x, o, n);
  if (m !== m) return m;
  const shift2 = m === Infinity || m === -Infinity ? 0 : m;
  let s = 0;
  const end = o + n;
  for (let i = o; i < end; i++) s += Math.exp(x[i] - shift2);
  return Math.log(s) + shift2;
}
function reduceRows(op, x, offset, rows, cols, out) {
  if (cols === 0 && rows > 0 && (op === "max" || op === "min" || op === "argmax" || op === "argmin")) {
    throw new Error(`reduce ${op}: cannot reduce an empty row (cols = 0, rows = ${rows})`);
  }
  const intIn = x instanceof Int32Array;
  switch (op) {
    case "sum":
      for (let r = 0, o = offset; r < rows; r++, o += cols) out[r] = sumRow(x, o, cols);
      return;
    case "prod":
      for (let r = 0, o = offset; r < rows; r++, o += cols) {
        let p = 1;
        const end = o + cols;
        if (intIn) for (let i = o; i < end; i++) p = Math.imul(p, x[i]);
        else for (let i = o; i < end; i++) p *= x[i];
        out[r] = p;
      }
      return;
    case "max":
      for (let r = 0, o = offset; r < rows; r++, o += cols) out[r] = maxRow(x, o, cols);
      return;
    case "min":
      for (let r = 0, o = offset; r < rows; r++, o += cols) out[r] = minRow(x, o, cols);
      return;
    case "argmax":
      for (let r = 0, o = offset; r < rows; r++, o += cols) {
        let best = x[o];
        let bi = 0;
        if (best === best) {
          for (let i = 1; i < cols; i++) {
            const v = x[o + i];
            if (v > best) {
              best = v;
              bi = i;
            } else if (v !== v) {
              bi = i;
              break;
            }
          }
        }
        out[r] = bi;
      }
      return;
    case "argmin":
      for (let r = 0, o = offset; r < rows; r++, o += cols) {
        let best = x[o];
        let bi = 0;
        if (best === best) {
          for (let i = 1; i < cols; i++) {
            const v = x[o + i];
            if (v < best) {
              best = v;
              bi = i;
            } else if (v !== v) {
              bi = i;
              break;
            }
          }
        }
        out[r] = bi;
      }
      return;
    case "logsumexp":
      for (let r = 0, o = offset; r < rows; r++, o += cols) out[r] = logsumexpRow(x, o, cols);
      return;
    default:
      throw new Error(`reduce: unknown op '${String(op)}'`);
  }
}
function softmaxRows(x, offset, rows, cols, out, log) {
  for (let r = 0; r < rows; r++) {
    const xo = offset + r * cols;
    const oo = r * cols;
    const m = maxRow(x, xo, cols);
    let s = 0;
    if (log) {
      for (let i = 0; i < cols; i++) s += Math.exp(x[xo + i] - m);
      const lse = Math.log(s);
      for (let i = 0; i < cols; i++) out[oo + i] = x[xo + i] - m - lse;
    } else {
      for (let i = 0; i < cols; i++) {
        const e = Math.exp(x[xo + i] - m);
        out[oo + i] = e;
        s += e;
      }
      const inv = 1 / s;
      for (let i = 0; i < cols; i++) out[oo + i] = out[oo + i] * inv;
    }
  }
}
function layerNormRows(x, weight, bias, rows, cols, eps, out, mean2, rstd) {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const mu = cols > 0 ? sumRow(x, o, cols) / cols : NaN;
    let v = 0;
    for (let i = 0; i < cols; i++) {
      const d = x[o + i] - mu;
      v += d * d;
    }
    const rs = 1 / Math.sqrt(v / cols + eps);
    mean2[r] = mu;
    rstd[r] = rs;
    if (weight && bias) for (let i = 0; i < cols; i++) out[o + i] = (x[o + i] - mu) * rs * weight[i] + bias[i];
    else if (weight) for (let i = 0; i < cols; i++) out[o + i] = (x[o + i] - mu) * rs * weight[i];
    else if (bias) for (let i = 0; i < cols; i++) out[o + i] = (x[o + i] - mu) * rs + bias[i];
    else for (let i = 0; i < cols; i++) out[o + i] = (x[o + i] - mu) * rs;
  }
}
function rmsNormRows(x, weight, rows, cols, eps, out, rstd) {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let ss = 0;
    for (let i = 0; i < cols; i++) {
      const v = x[o + i];
      ss += v * v;
    }
    const rs = 1 / Math.sqrt(ss / cols + eps);
    rstd[r] = rs;
    if (weight) for (let i = 0; i < cols; i++) out[o + i] = x[o + i] * rs * weight[i];
    else for (let i = 0; i < cols; i++) out[o + i] = x[o + i] * rs;
  }
}

// ../../packages/tensor/src/cpu/fused.ts
function rowMax(x, o, n) {
  let m = -Infinity;
  for (let i = o; i < o + n; i++) {
    const v = x[i];
    if (v > m) m = v;
    else if (v !== v) return v;
  }
  return m;
}
function rowLogsumexp(x, o, n) {
  const m = rowMax(x, o, n);
  if (m !== m) return m;
  const shift2 = m === Infinity || m === -Infinity ? 0 : m;
  let s = 0;
  for (let i = o; i < o + n; i++) s += Math.exp(x[i] - shift2);
  return Math.log(s) + shift2;
}
function layerNormBackwardRows(x, mean2, rstd, weight, grad, rows, cols, dx, dweight, dbias) {
  const dw = dweight ? new Float64Array(cols) : null;
  const db = dbias ? new Float64Array(cols) : null;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const mu = mean2[r];
    const rs = rstd[r];
    let a = 0;
    let b = 0;
    for (let c = 0; c < cols; c++) {
      const xh = (x[o + c] - mu) * rs;
      const g = grad[o + c];
      const gh = weight ? g * weight[c] : g;
      a += gh;
      b += gh * xh;
      if (dw) dw[c] += g * xh;
      if (db) db[c] += g;
    }
    a /= cols;
    b /= cols;
    for (let c = 0; c < cols; c++) {
      const xh = (x[o + c] - mu) * rs;
      const gh = weight ? grad[o + c] * weight[c] : grad[o + c];
      dx[o + c] = rs * (gh - a - xh * b);
    }
  }
  if (dw) dweight.set(dw);
  if (db) dbias.set(db);
}
function rmsNormBackwardRows(x, rstd, weight, grad, rows, cols, dx, dweight) {
  const dw = dweight ? new Float64Array(cols) : null;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const rs = rstd[r];
    let b = 0;
    for (let c = 0; c < cols; c++) {
      const xh = x[o + c] * rs;
      const g = grad[o + c];
      b += (weight ? g * weight[c] : g) * xh;
      if (dw) dw[c] += g * xh;
    }
    b /= cols;
    for (let c = 0; c < cols; c++) {
      const xh = x[o + c] * rs;
      const gh = weight ? grad[o + c] * weight[c] : grad[o + c];
      dx[o + c] = rs * (gh - xh * b);
    }
  }
  if (dw) dweight.set(dw);
}
function checkTarget(t, r, cols, ignoreIndex) {
  if (t === ignoreIndex) return false;
  if (!(t >= 0 && t < cols)) throw new Error(`crossEntropy: target ${t} of row ${r} is out of range for ${cols} classes (ignoreIndex is ${ignoreIndex})`);
  return true;
}
function crossEntropyRows(logits, targets, rows, cols, ignoreIndex, smoothing, stats) {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const lse = rowLogsumexp(logits, o, cols);
    stats[rows + r] = lse;
    const t = targets[r];
    if (!checkTarget(t, r, cols, ignoreIndex)) {
      stats[r] = 0;
      continue;
    }
    let loss = (1 - smoothing) * (lse - logits[o + t]);
    if (smoothing > 0) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += logits[o + c];
      loss += smoothing * (lse - s / cols);
    }
    stats[r] = loss;
  }
}
function crossEntropyBackwardRows(logits, targets, stats, grad, rows, cols, ignoreIndex, smoothing, dx) {
  const uniform3 = smoothing / cols;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const lse = stats[rows + r];
    const t = targets[r];
    const valid = checkTarget(t, r, cols, ignoreIndex);
    const gl = valid ? grad[r] : 0;
    const gz = grad[rows + r];
    const gp = gl + gz;
    for (let c = 0; c < cols; c++) {
      const p = Math.exp(logits[o + c] - lse);
      dx[o + c] = gp * p - gl * ((c === t ? 1 - smoothing : 0) + uniform3);
    }
  }
}
function attentionHost(q, k, v, mask, scale, out, lse) {
  const [B, H, Lq, D] = q.shape;
  const [, Hkv, Lk] = k.shape;
  const Dv = v.shape[3];
  const group = H / Hkv;
  const [qs0, qs1, qs2, qs3] = q.strides;
  const [ks0, ks1, ks2, ks3] = k.strides;
  const [vs0, vs1, vs2, vs3] = v.strides;
  const ms = mask?.strides ?? [0, 0, 0, 0];
  const s = new Float64Array(Lk);
  const acc = new Float64Array(Dv);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / group);
      const kBase = k.offset + b * ks0 + kh * ks1;
      const vBase = v.offset + b * vs0 + kh * vs1;
      for (let i = 0; i < Lq; i++) {
        const qBase = q.offset + b * qs0 + h * qs1 + i * qs2;
        const mBase = mask ? mask.offset + b * ms[0] + h * ms[1] + i * ms[2] : 0;
        for (let j = 0; j < Lk; j++) {
          let dot = 0;
          const kj = kBase + j * ks2;
          for (let d = 0; d < D; d++) dot += q.data[qBase + d * qs3] * k.data[kj + d * ks3];
          s[j] = dot * scale + (mask ? mask.data[mBase + j * ms[3]] : 0);
        }
        const row = (b * H + h) * Lq + i;
        const l = rowLogsumexp(s, 0, Lk);
        lse[row] = l;
        acc.fill(0);
        if (l !== -Infinity) {
          for (let j = 0; j < Lk; j++) {
            const p = Math.exp(s[j] - l);
            const vj = vBase + j * vs2;
            for (let d = 0; d < Dv; d++) acc[d] += p * v.data[vj + d * vs3];
          }
        }
        const oo = row * Dv;
        for (let d = 0; d < Dv; d++) out[oo + d] = acc[d];
      }
    }
  }
}

// ../../packages/tensor/src/cpu/storage.ts
function arrayFor(dtype, size) {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    default:
      throw new Error(`cpu: unsupported dtype '${String(dtype)}' (expected float32, float64 or int32)`);
  }
}
function dtypeOfArray(data) {
  return data instanceof Float32Array ? "float32" : data instanceof Float64Array ? "float64" : "int32";
}
var CpuStorage = class {
  /** The backend that allocated this storage. */
  backend;
  /** Element type. */
  dtype;
  /** Number of elements. */
  size;
  _data;
  /** Wrap `data` (not copied) as a storage of `owner`. Use `CpuBackend.allocate`/`upload` instead. */
  constructor(owner, data) {
    this.backend = owner;
    this.dtype = dtypeOfArray(data);
    this.size = data.length;
    this._data = data;
  }
  /** The backing typed array (Float32Array, Float64Array or Int32Array by dtype). */
  get data() {
    const d = this._data;
    if (d === null) throw new Error(`cpu: storage used after release (${this.dtype} storage of ${this.size} elements)`);
    if (this.backend.destroyed) throw new Error("cpu: storage used after its backend was destroyed");
    return d;
  }
  /** True once the storage has been released. */
  get released() {
    return this._data === null;
  }
  /** @internal Drop the buffer (called by `CpuBackend.release`). */
  _release() {
    this._data = null;
  }
};

// ../../packages/tensor/src/cpu/cpu-backend.ts
var DTYPES = /* @__PURE__ */ new Set(["float32", "float64", "int32"]);
var REDUCE_OPS = /* @__PURE__ */ new Set(["sum", "prod", "max", "min", "argmax", "argmin", "logsumexp"]);
function fmt(shape) {
  return `[${shape.join(",")}]`;
}
function numelOf(shape) {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
function sameShape2(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
var CpuBackend = class {
  /** Always 'cpu'. */
  name = "cpu";
  /** Device description. */
  info;
  _destroyed = false;
  liveStorages = 0;
  liveBytes = 0;
  ws = new MatmulWorkspace();
  /** A new CPU backend (cheap; storages of different CpuBackends are all host memory). */
  constructor() {
    const g = globalThis;
    this.info = {
      kind: "cpu",
      description: "CPU reference backend (JavaScript typed arrays, WebAssembly SIMD matmul)",
      details: {
        runtime: g.process?.version ? `node ${g.process.version}` : "javascript",
        hardwareConcurrency: g.navigator?.hardwareConcurrency,
        threads: 1,
        dtypes: ["float32", "float64", "int32"],
        matmul: "blocked GEMM, 4x4 register micro-kernel, float64-packed panels"
      }
    };
  }
  /** True once `destroy()` was called. */
  get destroyed() {
    return this._destroyed;
  }
  /** float32, float64 and int32 are all supported. */
  supportsDType(dtype) {
    return DTYPES.has(dtype);
  }
  // ---------------------------------------------------------------- memory
  /** A new zero-filled storage of `size` elements. */
  allocate(size, dtype) {
    this.alive("allocate");
    if (!Number.isInteger(size) || size < 0) throw new Error(`cpu: allocate: size must be a non-negative integer, got ${size}`);
    return this.track(arrayFor(dtype, size));
  }
  /** A new storage holding a copy of `data` converted to `dtype`. */
  upload(data, dtype) {
    this.alive("upload");
    const arr = arrayFor(dtype, data.length);
    arr.set(data);
    return this.track(arr);
  }
  /** Release a storage; any later use of it throws. Releasing twice is an error. */
  release(storage) {
    const s = this.own(storage, "release");
    if (s.released) throw new Error(`cpu: storage used after release (released twice: ${s.dtype} storage of ${s.size} elements)`);
    if (s.backend !== this) throw new Error("cpu: release: the storage belongs to another CpuBackend");
    s._release();
    if (!this._destroyed) {
      this.liveStorages--;
      this.liveBytes -= s.size * dtypeBytes(s.dtype);
    }
  }
  /** A copy of the storage's contents. */
  read(storage) {
    try {
      return Promise.resolve(this.arr(storage, "read").slice());
    } catch (e) {
      return Promise.reject(e);
    }
  }
  /** A copy of the storage's contents, synchronously. */
  readSync(storage) {
    return this.arr(storage, "readSync").slice();
  }
  /** Overwrite the whole storage from `data` (same length; converted to the storage's dtype). */
  write(storage, data) {
    const d = this.arr(storage, "write");
    if (data.length !== d.length) throw new Error(`cpu: write: data has ${data.length} elements but the storage holds ${d.length}`);
    d.set(data);
  }
  /** Live storages and bytes (no pool: `bytesPooled` is 0). */
  memory() {
    return { storages: this.liveStorages, bytesInUse: this.liveBytes, bytesPooled: 0 };
  }
  /** No-op (kernels run synchronously). */
  flush() {
  }
  /** Resolves at once (kernels run synchronously). */
  sync() {
    return Promise.resolve();
  }
  /** Mark the backend destroyed: every storage it allocated becomes unusable and the counters drop to zero. */
  destroy() {
    this._destroyed = true;
    this.liveStorages = 0;
    this.liveBytes = 0;
    this.ws.clear();
  }
  // ---------------------------------------------------------------- kernels
  /** Set every element of `out` to `value` (cast to its dtype). */
  fill(out, value) {
    this.arr(out, "fill").fill(value);
  }
  /** Copy a strided view into another strided view of equal shape, casting between dtypes. */
  copy(src, dst) {
    const sd = this.view(src, "copy", "src");
    const dd = this.view(dst, "copy", "dst");
    if (!sameShape2(src.shape, dst.shape)) throw new Error(`copy: shapes differ: ${fmt(src.shape)} -> ${fmt(dst.shape)}`);
    const plan = planRows(src.shape, [src.strides, dst.strides]);
    const n = plan.len;
    const ss = plan.inner[0];
    const ds = plan.inner[1];
    eachRow(plan, [src.offset, dst.offset], (o) => copyRow(sd, o[0], ss, dd, o[1], ds, n));
  }
  /**
   * Elementwise `out = op(x)` into contiguous `out`. not/isnan/isinf write 0/1 (normally into an
   * int32 `out`; any output dtype receives the same 0/1 values).
   */
  unary(op, x, out, params) {
    if (!UNARY_OPS.has(op)) throw new Error(`unary: unknown op '${String(op)}'`);
    const xd = this.view(x, `unary ${op}`, "x");
    const od = this.out(out, numelOf(x.shape), `unary ${op}`);
    let a = params?.a ?? NaN;
    let b = params?.b ?? NaN;
    if (op === "clamp") {
      a = params?.a ?? -Infinity;
      b = params?.b ?? Infinity;
    } else if (op.endsWith("_scalar") && params?.a === void 0) {
      throw new Error(`unary ${op}: missing parameter a`);
    }
    const intMode = x.storage.dtype === "int32" && out.dtype === "int32";
    const plan = planRows(x.shape, [x.strides, contiguousStridesOf2(x.shape)]);
    const n = plan.len;
    const xs = plan.inner[0];
    eachRow(plan, [x.offset, 0], (o) => unaryRow(op, xd, o[0], xs, od, o[1], n, a, b, intMode));
  }
  /**
   * Elementwise `out = op(a, b)`; both views have out's shape (stride-0 broadcast) and one dtype.
   * Comparisons and logical ops write 0/1 in `out`'s dtype (int32 normally; float masks are allowed).
   */
  binary(op, a, b, out) {
    if (!BINARY_OPS.has(op)) throw new Error(`binary: unknown op '${String(op)}'`);
    const ad = this.view(a, `binary ${op}`, "a");
    const bd = this.view(b, `binary ${op}`, "b");
    if (!sameShape2(a.shape, b.shape)) throw new Error(`binary ${op}: operand shapes differ: ${fmt(a.shape)} and ${fmt(b.shape)}`);
    if (a.storage.dtype !== b.storage.dtype) throw new Error(`binary ${op}: operand dtypes differ: ${a.storage.dtype} and ${b.storage.dtype}`);
    const od = this.out(out, numelOf(a.shape), `binary ${op}`);
    const intMode = a.storage.dtype === "int32" && out.dtype === "int32";
    const plan = planRows(a.shape, [a.strides, b.strides, contiguousStridesOf2(a.shape)]);
    const n = plan.len;
    const as = plan.inner[0];
    const bs = plan.inner[1];
    eachRow(plan, [a.offset, b.offset, 0], (o) => binaryRow(op, ad, o[0], as, bd, o[1], bs, od, o[2], n, intMode));
  }
  /** `out = cond != 0 ? a : b`; all three views have out's shape. */
  where(cond, a, b, out) {
    const cd = this.view(cond, "where", "cond");
    const ad = this.view(a, "where", "a");
    const bd = this.view(b, "where", "b");
    if (!sameShape2(cond.shape, a.shape) || !sameShape2(cond.shape, b.shape)) {
      throw new Error(`where: shapes differ: cond ${fmt(cond.shape)}, a ${fmt(a.shape)}, b ${fmt(b.shape)}`);
    }
    const od = this.out(out, numelOf(cond.shape), "where");
    const plan = planRows(cond.shape, [cond.strides, a.strides, b.strides, contiguousStridesOf2(cond.shape)]);
    const n = plan.len;
    const [cs, as, bs] = plan.inner;
    eachRow(plan, [cond.offset, a.offset, b.offset, 0], (o) => whereRow(cd, o[0], cs, ad, o[1], as, bd, o[2], bs, od, o[3], n));
  }
  /** Reduce each row of contiguous `x [rows, cols]` (from `offset`) into `out [rows]`. */
  reduce(op, x, offset, rows, cols, out) {
    if (!REDUCE_OPS.has(op)) throw new Error(`reduce: unknown op '${String(op)}'`);
    const xd = this.rows(x, offset, rows, cols, `reduce ${op}`);
    const od = this.out(out, rows, `reduce ${op}`);
    if ((op === "argmax" || op === "argmin") && out.dtype !== "int32") throw new Error(`reduce ${op}: output must be int32, got ${out.dtype}`);
    reduceRows(op, xd, offset, rows, cols, od);
  }
  /** Softmax (or log-softmax) of each row of contiguous `x [rows, cols]` into `out [rows, cols]`. */
  softmax(x, offset, rows, cols, out, log) {
    const name2 = log ? "logSoftmax" : "softmax";
    const xd = this.rows(x, offset, rows, cols, name2);
    const od = this.out(out, rows * cols, name2);
    softmaxRows(xd, offset, rows, cols, od, log);
  }
  /** Batched matmul of views `a [B, M, K]` and `b [B, K, N]` into contiguous `out [B, M, N]`. */
  matmul(a, b, out) {
    const ad = this.view(a, "matmul", "a");
    const bd = this.view(b, "matmul", "b");
    if (a.shape.length !== 3 || b.shape.length !== 3) throw new Error(`matmul: expected rank-3 views, got ${fmt(a.shape)} @ ${fmt(b.shape)}`);
    const [B, M, K] = a.shape;
    const [B2, K2, N] = b.shape;
    if (K !== K2) throw new Error(`matmul: inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
    if (B !== B2) throw new Error(`matmul: batch sizes differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
    const od = this.out(out, B * M * N, "matmul");
    matmulHost({ data: ad, offset: a.offset, strides: a.strides }, { data: bd, offset: b.offset, strides: b.strides }, B, M, K, N, od, this.ws);
  }
  /** `out[o, j, i] = x[o, index[o, j, i], i]`; throws on an index outside `[0, Dx)`. */
  gather(x, index, out) {
    const xd = this.view(x, "gather", "x");
    const id = this.view(index, "gather", "index");
    if (x.shape.length !== 3 || index.shape.length !== 3) throw new Error(`gather: expected rank-3 views, got x ${fmt(x.shape)}, index ${fmt(index.shape)}`);
    if (index.storage.dtype !== "int32") throw new Error(`gather: index must be int32, got ${index.storage.dtype}`);
    if (x.shape[0] !== index.shape[0] || x.shape[2] !== index.shape[2]) {
      throw new Error(`gather: x ${fmt(x.shape)} and index ${fmt(index.shape)} must agree outside the middle axis`);
    }
    const od = this.out(out, numelOf(index.shape), "gather");
    gatherHost(this.r3(x, xd), this.r3(index, id), od);
  }
  /** `target[o, index[o, j, i], i] += src[o, j, i]` for contiguous `target [O, Dt, I]`. */
  scatterAdd(target, index, src) {
    const td = this.arr(target, "scatterAdd");
    const id = this.view(index, "scatterAdd", "index");
    const sd = this.view(src, "scatterAdd", "src");
    if (index.shape.length !== 3 || !sameShape2(index.shape, src.shape)) {
      throw new Error(`scatterAdd: index ${fmt(index.shape)} and src ${fmt(src.shape)} must be equal rank-3 shapes`);
    }
    if (index.storage.dtype !== "int32") throw new Error(`scatterAdd: index must be int32, got ${index.storage.dtype}`);
    if (target.dtype !== src.storage.dtype) throw new Error(`scatterAdd: target dtype ${target.dtype} differs from src dtype ${src.storage.dtype}`);
    scatterAddHost(td, target.size, this.r3(index, id), this.r3(src, sd));
  }
  /** Fused LayerNorm forward over contiguous `x [rows, cols]`; writes `out`, `mean [rows]` and `rstd [rows]`. */
  layerNorm(x, weight, bias, rows, cols, eps, out, mean2, rstd) {
    const xd = this.rows(x, 0, rows, cols, "layerNorm");
    const wd = weight ? this.out(weight, cols, "layerNorm weight") : null;
    const bd = bias ? this.out(bias, cols, "layerNorm bias") : null;
    layerNormRows(xd, wd, bd, rows, cols, eps, this.out(out, rows * cols, "layerNorm"), this.out(mean2, rows, "layerNorm mean"), this.out(rstd, rows, "layerNorm rstd"));
  }
  /** Fused RMSNorm forward over contiguous `x [rows, cols]`: `out = x * rstd * weight`; writes `rstd [rows]`. */
  rmsNorm(x, weight, rows, cols, eps, out, rstd) {
    const xd = this.rows(x, 0, rows, cols, "rmsNorm");
    const wd = weight ? this.out(weight, cols, "rmsNorm weight") : null;
    rmsNormRows(xd, wd, rows, cols, eps, this.out(out, rows * cols, "rmsNorm"), this.out(rstd, rows, "rmsNorm rstd"));
  }
  /** Fused LayerNorm backward: `dx`, and `dweight` / `dbias` when given (see `FusedKernels.layerNormBackward`). */
  layerNormBackward(x, mean2, rstd, weight, grad, rows, cols, dx, dweight, dbias) {
    const op = "layerNormBackward";
    layerNormBackwardRows(
      this.rows(x, 0, rows, cols, op),
      this.out(mean2, rows, `${op} mean`),
      this.out(rstd, rows, `${op} rstd`),
      weight ? this.out(weight, cols, `${op} weight`) : null,
      this.rows(grad, 0, rows, cols, `${op} grad`),
      rows,
      cols,
      this.out(dx, rows * cols, `${op} dx`),
      dweight ? this.out(dweight, cols, `${op} dweight`) : null,
      dbias ? this.out(dbias, cols, `${op} dbias`) : null
    );
  }
  /** Fused RMSNorm backward: `dx`, and `dweight` when given (see `FusedKernels.rmsNormBackward`). */
  rmsNormBackward(x, rstd, weight, grad, rows, cols, dx, dweight) {
    const op = "rmsNormBackward";
    rmsNormBackwardRows(
      this.rows(x, 0, rows, cols, op),
      this.out(rstd, rows, `${op} rstd`),
      weight ? this.out(weight, cols, `${op} weight`) : null,
      this.rows(grad, 0, rows, cols, `${op} grad`),
      rows,
      cols,
      this.out(dx, rows * cols, `${op} dx`),
      dweight ? this.out(dweight, cols, `${op} dweight`) : null
    );
  }
  /** Cross-entropy rows: losses then logsumexps into `stats [2 * rows]`; throws on a target out of range. */
  crossEntropy(logits, targets, rows, cols, ignoreIndex, labelSmoothing, stats) {
    const op = "crossEntropy";
    if (targets.dtype !== "int32") throw new Error(`${op}: targets must be int32, got ${targets.dtype}`);
    crossEntropyRows(this.rows(logits, 0, rows, cols, op), this.out(targets, rows, `${op} targets`), rows, cols, ignoreIndex, labelSmoothing, this.out(stats, 2 * rows, `${op} stats`));
  }
  /** Gradient of the cross-entropy rows with respect to the logits, from `grad [2 * rows]`. */
  crossEntropyBackward(logits, targets, stats, grad, rows, cols, ignoreIndex, labelSmoothing, dx) {
    const op = "crossEntropyBackward";
    if (targets.dtype !== "int32") throw new Error(`${op}: targets must be int32, got ${targets.dtype}`);
    crossEntropyBackwardRows(
      this.rows(logits, 0, rows, cols, op),
      this.out(targets, rows, `${op} targets`),
      this.out(stats, 2 * rows, `${op} stats`),
      this.out(grad, 2 * rows, `${op} grad`),
      rows,
      cols,
      ignoreIndex,
      labelSmoothing,
      this.out(dx, rows * cols, `${op} dx`)
    );
  }
  /** Scaled dot-product attention forward (see `FusedKernels.attention`); always runs (returns true). */
  attention(q, k, v, mask, scale, out, lse) {
    const op = "attention";
    const h4 = (w, what) => {
      if (w.shape.length !== 4) throw new Error(`${op}: ${what} must be a rank-4 view, got ${fmt(w.shape)}`);
      return { data: this.view(w, op, what), offset: w.offset, shape: w.shape, strides: w.strides };
    };
    const qv = h4(q, "q");
    const kv = h4(k, "k");
    const vv = h4(v, "v");
    const mv = mask ? h4(mask, "mask") : null;
    const [B, H, Lq, D] = q.shape;
    const [B2, Hkv, Lk, D2] = k.shape;
    const Dv = v.shape[3];
    if (B2 !== B || D2 !== D || Hkv === 0 || H % Hkv !== 0 || !sameShape2(v.shape.slice(0, 3), k.shape.slice(0, 3))) {
      throw new Error(`${op}: incompatible q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}`);
    }
    if (mask && !sameShape2(mask.shape, [B, H, Lq, Lk])) throw new Error(`${op}: mask view ${fmt(mask.shape)} must be [${B},${H},${Lq},${Lk}]`);
    attentionHost(qv, kv, vv, mv, scale, this.out(out, B * H * Lq * Dv, `${op} out`), this.out(lse, B * H * Lq, `${op} lse`));
    return true;
  }
  // ---------------------------------------------------------------- helpers
  alive(op) {
    if (this._destroyed) throw new Error(`cpu: ${op}: backend used after destroy`);
  }
  track(arr) {
    this.liveStorages++;
    this.liveBytes += arr.length * dtypeBytes(dtypeOfArray(arr));
    return new CpuStorage(this, arr);
  }
  own(storage, op) {
    this.alive(op);
    if (!(storage instanceof CpuStorage)) {
      throw new Error(`cpu: ${op}: expected a CpuStorage, got a storage of backend '${storage?.backend?.name ?? String(storage)}'`);
    }
    return storage;
  }
  /** The live typed array of a storage (throws after release). */
  arr(storage, op) {
    const s = this.own(storage, op);
    if (s.released) throw new Error(`cpu: storage used after release (in ${op}: ${s.dtype} storage of ${s.size} elements)`);
    return s.data;
  }
  /** Validate an output storage of at least `n` elements. */
  out(storage, n, op) {
    const d = this.arr(storage, op);
    if (d.length < n) throw new Error(`${op}: output storage holds ${d.length} elements, needs ${n}`);
    return d;
  }
  /** Validate `offset + rows * cols <= size` for a contiguous input. */
  rows(storage, offset, rows, cols, op) {
    const d = this.arr(storage, op);
    if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0 && Number.isInteger(offset) && offset >= 0)) {
      throw new Error(`${op}: invalid geometry: offset ${offset}, rows ${rows}, cols ${cols}`);
    }
    if (offset + rows * cols > d.length) {
      throw new Error(`${op}: rows ${rows} x cols ${cols} from offset ${offset} exceed the storage of ${d.length} elements`);
    }
    return d;
  }
  /** Validate a view (rank match, non-negative strides, in bounds) and return its typed array. */
  view(v, op, what) {
    const d = this.arr(v.storage, `${op} (${what})`);
    const { shape, strides, offset } = v;
    if (shape.length !== strides.length) throw new Error(`${op}: ${what} has shape ${fmt(shape)} but strides ${fmt(strides)}`);
    let max = offset;
    let empty2 = false;
    for (let i = 0; i < shape.length; i++) {
      const n = shape[i];
      const s = strides[i];
      if (!Number.isInteger(n) || n < 0 || !Number.isInteger(s) || s < 0) {
        throw new Error(`${op}: ${what} has invalid shape ${fmt(shape)} / strides ${fmt(strides)}`);
      }
      if (n === 0) empty2 = true;
      else max += (n - 1) * s;
    }
    if (!Number.isInteger(offset) || offset < 0) throw new Error(`${op}: ${what} has invalid offset ${offset}`);
    if (!empty2 && max >= d.length) {
      throw new Error(
        `${op}: ${what} view ${fmt(shape)} strides ${fmt(strides)} offset ${offset} reaches element ${max} of a storage of ${d.length}`
      );
    }
    return d;
  }
  r3(v, data) {
    return { data, offset: v.offset, shape: v.shape, strides: v.strides };
  }
};

// ../../packages/tensor/src/default-backend.ts
var current = null;
function getDefaultBackend() {
  if (!current) current = new CpuBackend();
  return current;
}

// ../../packages/tensor/src/creation.ts
function finalize(t, opts) {
  if (opts?.requiresGrad) t.requiresGrad_(true);
  return t;
}
function hostArray(dtype, n) {
  return dtype === "int32" ? new Int32Array(n) : dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
}
function upload(values, shape, dtype, opts) {
  const backend = opts?.backend ?? getDefaultBackend();
  if (!backend.supportsDType(dtype)) throw new Error(`tensor: backend ${backend.name} does not support dtype ${dtype}`);
  const data = values.constructor === hostArray(dtype, 0).constructor ? values : convert(values, dtype);
  return finalize(fromStorage(backend.upload(data, dtype), shape), opts);
}
function convert(values, dtype) {
  const out = hostArray(dtype, values.length);
  if (dtype === "int32") for (let i = 0; i < values.length; i++) out[i] = Math.trunc(values[i]);
  else out.set(values);
  return out;
}
function inferShape(v, shape = []) {
  if (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length > 0) inferShape(v[0], shape);
  }
  return shape;
}
function flattenInto(v, shape, depth, out) {
  if (depth === shape.length) {
    if (Array.isArray(v)) throw new Error(`tensor: ragged nested array: expected a number at depth ${depth}, got an array`);
    out.push(typeof v === "boolean" ? v ? 1 : 0 : v);
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[depth]) {
    throw new Error(`tensor: ragged nested array: expected length ${shape[depth]} at depth ${depth}, got ${Array.isArray(v) ? v.length : typeof v}`);
  }
  for (const e of v) flattenInto(e, shape, depth + 1, out);
}
function tensor(values, opts = {}) {
  let flat;
  let shape;
  if (ArrayBuffer.isView(values)) {
    flat = values;
    shape = opts.shape ? [...opts.shape] : [flat.length];
  } else if (opts.shape && Array.isArray(values) && values.every((v) => typeof v === "number")) {
    flat = values;
    shape = [...opts.shape];
  } else {
    shape = inferShape(values);
    const out = [];
    flattenInto(values, shape, 0, out);
    flat = out;
    if (opts.shape && numel(opts.shape) === out.length) shape = [...opts.shape];
  }
  checkShape("tensor", shape);
  if (numel(shape) !== flat.length) throw new Error(`tensor: ${flat.length} values do not fill shape ${fmtShape(shape)} (${numel(shape)} elements)`);
  const dtype = opts.dtype ?? (values instanceof Int32Array ? "int32" : "float32");
  const host = ArrayBuffer.isView(flat) && flat.constructor === hostArray(dtype, 0).constructor ? flat.slice() : convert(flat, dtype);
  return upload(host, shape, dtype, opts);
}
function full(shape, value, opts = {}) {
  checkShape("full", shape);
  const backend = opts.backend ?? getDefaultBackend();
  const t = allocTensor(backend, shape, opts.dtype ?? "float32");
  if (t.size > 0) backend.fill(t._slab.storage, value);
  return finalize(t, opts);
}
function zeros(shape, opts = {}) {
  return full(shape, 0, opts);
}
function likeOpts(t, opts) {
  return { dtype: opts.dtype ?? t.dtype, backend: opts.backend ?? t.backend, requiresGrad: opts.requiresGrad };
}
function zerosLike(t, opts = {}) {
  return full(t.shape, 0, likeOpts(t, opts));
}
function randomHost(shape, dtype, fill) {
  const host = hostArray(dtype, numel(shape));
  for (let i = 0; i < host.length; i++) host[i] = fill(i);
  return host;
}
function randn(shape, opts = {}) {
  checkShape("randn", shape);
  const g = opts.generator ?? getDefaultGenerator();
  const dtype = opts.dtype ?? "float32";
  return upload(randomHost(shape, dtype, () => g.normal()), shape, dtype, opts);
}

// ../../packages/nn/src/module.ts
var StateDictError = class extends Error {
  /** The full report. */
  report;
  constructor(op, report2) {
    super(`${op}: ${describeReport(report2)}`);
    this.name = "StateDictError";
    this.report = report2;
  }
};
function describeReport(r) {
  const parts = [];
  if (r.missing.length) parts.push(`missing keys [${r.missing.join(", ")}]`);
  if (r.unexpected.length) parts.push(`unexpected keys [${r.unexpected.join(", ")}]`);
  if (r.mismatched.length) {
    parts.push(`shape mismatches [${r.mismatched.map((m) => `${m.key}: module ${fmtShape(m.expected)} vs state dict ${fmtShape(m.got)}`).join(", ")}]`);
  }
  return parts.length ? parts.join("; ") : "no problems";
}
var IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
var RESERVED = /* @__PURE__ */ new Set(["training", "constructor"]);
function checkName(op, name2) {
  if (typeof name2 !== "string" || name2.length === 0) throw new Error(`${op}: name must be a non-empty string, got ${JSON.stringify(name2)}`);
  if (name2.includes(".")) throw new Error(`${op}: name must not contain '.', got '${name2}'`);
}
var Module = class _Module {
  /** True in training mode (dropout active); set with `train()` / `eval()`. */
  training = true;
  /** @internal parameters by name (null = registered but absent, as PyTorch's `bias=None`). */
  _parameters = /* @__PURE__ */ new Map();
  /** @internal buffers by name. */
  _buffers = /* @__PURE__ */ new Map();
  /** @internal names of buffers excluded from the state dict. */
  _nonPersistent = /* @__PURE__ */ new Set();
  /** @internal submodules by name. */
  _modules = /* @__PURE__ */ new Map();
  /** The computation; subclasses override it with their own signature. */
  forward(..._args) {
    throw new Error(`${this.constructor.name}.forward: not implemented (subclasses must override forward)`);
  }
  /** Alias of `forward(...)` (PyTorch's `module(x)`). */
  call(...args) {
    return this.forward(...args);
  }
  // ------------------------------------------------------------------ registration
  /** Register a trainable parameter (sets `requiresGrad`); `null` registers an absent one. Returns it. */
  registerParameter(name2, t) {
    checkName("registerParameter", name2);
    if (this._buffers.has(name2) || this._modules.has(name2)) throw new Error(`registerParameter: '${name2}' is already registered as a ${this._buffers.has(name2) ? "buffer" : "module"} of ${this.constructor.name}`);
    if (t !== null) {
      if (!(t instanceof Tensor3)) throw new Error(`registerParameter: '${name2}' must be a Tensor or null, got ${typeof t}`);
      if (t.dtype === "int32") throw new Error(`registerParameter: '${name2}' must be a floating tensor, got int32`);
      if (!t.isLeaf) throw new Error(`registerParameter: '${name2}' must be a leaf tensor (detach() it first)`);
      if (!t.requiresGrad) t.requiresGrad_(true);
    }
    this._parameters.set(name2, t);
    this.defineAccessor(name2);
    return t;
  }
  /** Register a non-trained tensor (running stats, EMA copies, masks). Returns it. */
  registerBuffer(name2, t, options = {}) {
    checkName("registerBuffer", name2);
    if (this._parameters.has(name2) || this._modules.has(name2)) throw new Error(`registerBuffer: '${name2}' is already registered as a ${this._parameters.has(name2) ? "parameter" : "module"} of ${this.constructor.name}`);
    if (t !== null && !(t instanceof Tensor3)) throw new Error(`registerBuffer: '${name2}' must be a Tensor or null, got ${typeof t}`);
    this._buffers.set(name2, t);
    if (options.persistent === false) this._nonPersistent.add(name2);
    else this._nonPersistent.delete(name2);
    this.defineAccessor(name2);
    return t;
  }
  /** Register a submodule (its parameters appear under `name.`). Returns it. */
  registerModule(name2, m) {
    checkName("registerModule", name2);
    if (this._parameters.has(name2) || this._buffers.has(name2)) throw new Error(`registerModule: '${name2}' is already registered as a ${this._parameters.has(name2) ? "parameter" : "buffer"} of ${this.constructor.name}`);
    if (m !== null && !(m instanceof _Module)) throw new Error(`registerModule: '${name2}' must be a Module or null, got ${typeof m}`);
    this._modules.set(name2, m);
    this.defineAccessor(name2);
    return m;
  }
  /** Make `this.name` read and write the registry entry, unless it would shadow a method or other member. */
  defineAccessor(name2) {
    if (!IDENT.test(name2) || RESERVED.has(name2) || name2.startsWith("_")) return;
    const own = Object.getOwnPropertyDescriptor(this, name2);
    if (own) {
      const ok = own.get !== void 0 || own.value === void 0 || own.value === null || own.value instanceof Tensor3 || own.value instanceof _Module;
      if (!ok || own.configurable === false) return;
    } else if (name2 in this) {
      return;
    }
    Object.defineProperty(this, name2, {
      configurable: true,
      enumerable: false,
      get: () => this._parameters.get(name2) ?? this._buffers.get(name2) ?? this._modules.get(name2) ?? null,
      set: (v) => this.setMember(name2, v)
    });
  }
  /** Replace a registered member by name (through `this.name = v`). */
  setMember(name2, v) {
    if (this._parameters.has(name2)) {
      if (v !== null && !(v instanceof Tensor3)) throw new Error(`${this.constructor.name}.${name2}: a parameter can only be set to a Tensor or null`);
      this.registerParameter(name2, v);
    } else if (this._buffers.has(name2)) {
      if (v !== null && !(v instanceof Tensor3)) throw new Error(`${this.constructor.name}.${name2}: a buffer can only be set to a Tensor or null`);
      this._buffers.set(name2, v);
    } else {
      if (v !== null && !(v instanceof _Module)) throw new Error(`${this.constructor.name}.${name2}: a submodule can only be set to a Module or null`);
      this._modules.set(name2, v);
    }
  }
  /** Register public fields holding a Module or a grad-requiring Tensor that were assigned without registration. */
  discover() {
    for (const key of Object.keys(this)) {
      if (key.startsWith("_") || RESERVED.has(key)) continue;
      if (this._parameters.has(key) || this._buffers.has(key) || this._modules.has(key)) continue;
      const v = this[key];
      if (v instanceof _Module) {
        this._modules.set(key, v);
        this.defineAccessor(key);
      } else if (v instanceof Tensor3 && v.requiresGrad && v.isLeaf && !v.isDisposed) {
        this._parameters.set(key, v);
        this.defineAccessor(key);
      }
    }
  }
  // ------------------------------------------------------------------ traversal
  /** Direct submodules with their names. */
  namedChildren() {
    this.discover();
    const out = [];
    for (const [n, m] of this._modules) if (m) out.push([n, m]);
    return out;
  }
  /** Direct submodules. */
  children() {
    return this.namedChildren().map(([, m]) => m);
  }
  /** This module and every descendant (each once), with dotted paths; this module's path is `prefix`. */
  namedModules(prefix = "") {
    const out = [];
    const seen = /* @__PURE__ */ new Set();
    const visit = (m, path) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([path, m]);
      for (const [n, c] of m.namedChildren()) visit(c, path ? `${path}.${n}` : n);
    };
    visit(this, prefix);
    return out;
  }
  /** This module and every descendant. */
  modules() {
    return this.namedModules().map(([, m]) => m);
  }
  /** Every parameter with its dotted path (`layers.0.attn.q_proj.weight`); shared tensors once. */
  namedParameters(prefix = "") {
    return this.namedMembers("_parameters", prefix, true);
  }
  /** Every parameter (shared tensors once). */
  parameters() {
    return this.namedParameters().map(([, t]) => t);
  }
  /** Every buffer with its dotted path (persistent or not). */
  namedBuffers(prefix = "") {
    return this.namedMembers("_buffers", prefix, true);
  }
  /** Every buffer. */
  buffers() {
    return this.namedBuffers().map(([, t]) => t);
  }
  namedMembers(kind, prefix, dedupe) {
    const out = [];
    const seen = /* @__PURE__ */ new Set();
    for (const [path, m] of this.namedModules(prefix)) {
      m.discover();
      for (const [n, t] of m[kind]) {
        if (!t) continue;
        if (dedupe) {
          if (seen.has(t)) continue;
          seen.add(t);
        }
        out.push([path ? `${path}.${n}` : n, t]);
      }
    }
    return out;
  }
  /** Number of parameter elements (shared tensors counted once); `trainableOnly` counts those requiring grad. */
  numParameters(trainableOnly = false) {
    let n = 0;
    for (const p of this.parameters()) if (!trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }
  /** Call `fn` on every submodule (children first) and then on this module; returns this. */
  apply(fn) {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }
  // ------------------------------------------------------------------ modes and gradients
  /** Set training mode (default on) on this module and every descendant; returns this. */
  train(on = true) {
    for (const m of this.modules()) m.training = on;
    return this;
  }
  /** Evaluation mode (`train(false)`); returns this. */
  eval() {
    return this.train(false);
  }
  /** Switch gradient tracking of every parameter (freezing with `false`); returns this. */
  requiresGrad_(on = true) {
    for (const p of this.parameters()) p.requiresGrad_(on);
    return this;
  }
  /** Drop every parameter's gradient (sets `.grad` to null, disposing it). */
  zeroGrad() {
    for (const p of this.parameters()) p.zeroGrad();
  }
  // ------------------------------------------------------------------ state
  /**
   * Parameters and persistent buffers by dotted key, in registration order. The values are the
   * module's own tensors (not copies): read them, do not dispose them. Tied tensors appear under
   * every key that holds them (as in PyTorch).
   */
  stateDict(prefix = "") {
    const out = /* @__PURE__ */ new Map();
    for (const [path, m] of this.namedModules(prefix)) {
      m.discover();
      const p = path ? `${path}.` : "";
      for (const [n, t] of m._parameters) if (t) out.set(p + n, t);
      for (const [n, t] of m._buffers) if (t && !m._nonPersistent.has(n)) out.set(p + n, t);
    }
    return out;
  }
  /** Compare a state dict against this module's keys and shapes without loading anything. */
  checkStateDict(sd) {
    const own = this.stateDict();
    const given = toMap(sd);
    const report2 = { missing: [], unexpected: [], mismatched: [] };
    for (const [k, t] of own) {
      const v = given.get(k);
      if (!v) report2.missing.push(k);
      else if (!sameShape3(t.shape, v.shape)) report2.mismatched.push({ key: k, expected: [...t.shape], got: [...v.shape] });
    }
    for (const k of given.keys()) if (!own.has(k)) report2.unexpected.push(k);
    return report2;
  }
  /**
   * Copy values from a state dict into this module's tensors in place (casting dtype; the values
   * must be on the same backend). Strict (default): any missing, unexpected or mismatched key
   * throws one `StateDictError` naming them all, and nothing is loaded. Non-strict: loads the
   * matching keys and returns the report.
   */
  loadStateDict(sd, options = {}) {
    const strict = options.strict ?? true;
    const report2 = this.checkStateDict(sd);
    const bad = report2.missing.length + report2.unexpected.length + report2.mismatched.length;
    if (strict && bad > 0) throw new StateDictError(`${this.constructor.name}.loadStateDict`, report2);
    const own = this.stateDict();
    const given = toMap(sd);
    const skip = new Set(report2.mismatched.map((m) => m.key));
    noGrad(() => {
      for (const [k, t] of own) {
        const v = given.get(k);
        if (!v || skip.has(k)) continue;
        if (v.backend !== t.backend) throw new Error(`loadStateDict: '${k}' is on backend ${v.backend.name} but the module's tensor is on ${t.backend.name}`);
        if (v !== t) t.assign(v);
      }
    });
    return report2;
  }
  // ------------------------------------------------------------------ devices and lifetime
  /** The backend of the first parameter or buffer, or undefined for an empty module. */
  get backend() {
    const t = this.parameters()[0] ?? this.buffers()[0];
    return t?.backend;
  }
  /**
   * Move every parameter and buffer to `backend` (copies, then disposes the old tensors;
   * `requiresGrad` is kept, gradients are dropped). Shared tensors stay shared. Create
   * optimizers and EMAs after moving (they hold the tensors). Returns this.
   */
  async toBackend(backend) {
    const moved = /* @__PURE__ */ new Map();
    const all = [];
    for (const m of this.modules()) {
      m.discover();
      for (const kind of ["_parameters", "_buffers"]) for (const [name2, t] of m[kind]) if (t) all.push({ m, kind, name: name2, t });
    }
    for (const { t } of all) {
      if (moved.has(t) || t.backend === backend) continue;
      const n = await t.toBackend(backend);
      if (t.requiresGrad) n.requiresGrad_(true);
      if (t.name) n.name = t.name;
      moved.set(t, n);
    }
    for (const { m, kind, name: name2, t } of all) {
      const n = moved.get(t);
      if (!n) continue;
      m[kind].set(name2, n);
      m.replaceFields(t, n);
    }
    for (const t of moved.keys()) t.dispose();
    return this;
  }
  /** Point own data fields holding `old` at `next` (for fields that are not registry accessors). */
  replaceFields(old, next) {
    for (const key of Object.keys(this)) {
      const d = Object.getOwnPropertyDescriptor(this, key);
      if (d && "value" in d && d.value === old && d.writable) this[key] = next;
    }
  }
  /** Dispose every parameter, buffer and gradient of this module and its descendants. */
  dispose() {
    for (const m of this.modules()) {
      for (const t of m._parameters.values()) t?.dispose();
      for (const t of m._buffers.values()) t?.dispose();
    }
  }
  /** `using model = new Net()` support. */
  [Symbol.dispose]() {
    this.dispose();
  }
  /** A short multi-line description of the module tree. */
  toString() {
    const lines = [];
    const visit = (m, name2, depth) => {
      const pad = "  ".repeat(depth);
      const own = [...m._parameters].filter(([, t]) => t).map(([n, t]) => `${n}${fmtShape(t.shape)}`);
      lines.push(`${pad}${name2 ? `(${name2}): ` : ""}${m.extraRepr() || m.constructor.name}${own.length ? ` {${own.join(", ")}}` : ""}`);
      for (const [n, c] of m.namedChildren()) visit(c, n, depth + 1);
    };
    visit(this, "", 0);
    return lines.join("\n");
  }
  /** One-line description used by `toString` (override to show hyperparameters). */
  extraRepr() {
    return this.constructor.name;
  }
};
function sameShape3(a, b) {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
function toMap(sd) {
  return sd instanceof Map ? sd : new Map(Object.entries(sd));
}
var ModuleList = class extends Module {
  /** Build from modules. */
  constructor(modules2 = []) {
    super();
    for (const m of modules2) this.append(m);
  }
  /** Number of modules. */
  get length() {
    return this._modules.size;
  }
  /** Add a module at the end; returns this. */
  append(m) {
    this.registerModule(String(this._modules.size), m);
    return this;
  }
  /** The module at index `i` (negative counts from the end). */
  at(i) {
    const n = this._modules.size;
    const j = i < 0 ? n + i : i;
    if (!Number.isInteger(j) || j < 0 || j >= n) throw new Error(`ModuleList.at: index ${i} out of range for length ${n}`);
    return this._modules.get(String(j));
  }
  /** Iterate the modules in order. */
  *[Symbol.iterator]() {
    for (const m of this._modules.values()) yield m;
  }
  /** ModuleList has no forward; iterate it in the parent's forward. */
  forward() {
    throw new Error("ModuleList.forward: a ModuleList is a container; iterate over it in the parent forward");
  }
};
var Sequential = class extends Module {
  /** Build from modules (each takes and returns one tensor). */
  constructor(...modules2) {
    super();
    modules2.forEach((m, i) => this.registerModule(String(i), m));
  }
  /** Number of modules. */
  get length() {
    return this._modules.size;
  }
  /** Add a module at the end; returns this. */
  append(m) {
    this.registerModule(String(this._modules.size), m);
    return this;
  }
  /** The module at index `i`. */
  at(i) {
    const n = this._modules.size;
    const j = i < 0 ? n + i : i;
    if (!Number.isInteger(j) || j < 0 || j >= n) throw new Error(`Sequential.at: index ${i} out of range for length ${n}`);
    return this._modules.get(String(j));
  }
  /** Iterate the modules in order. */
  *[Symbol.iterator]() {
    for (const m of this._modules.values()) if (m) yield m;
  }
  /** Feed `x` through every module in order. Intermediates are disposed; the result is new. */
  forward(x) {
    let h = x;
    for (const m of this) {
      const next = m.forward(h);
      if (h !== x) h.dispose();
      h = next;
    }
    return h === x ? x.mul(1) : h;
  }
};

// ../../packages/nn/src/init.ts
function calculateGain(nonlinearity, param) {
  switch (nonlinearity) {
    case "linear":
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new Error(`calculateGain: negative slope ${slope} is not a finite number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}
function calculateFanInAndFanOut(t) {
  const shape = t instanceof Tensor3 ? t.shape : t;
  if (shape.length < 2) throw new Error(`calculateFanInAndFanOut: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got ${fmtShape(shape)}`);
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i];
  return [shape[1] * receptive, shape[0] * receptive];
}
function fanOf(t, mode) {
  const [fi, fo] = calculateFanInAndFanOut(t);
  if (mode !== "fan_in" && mode !== "fan_out") throw new Error(`init: mode must be 'fan_in' or 'fan_out', got '${String(mode)}'`);
  return mode === "fan_in" ? fi : fo;
}
function fillFrom(t, op, f) {
  t.assertAlive(op);
  if (t.dtype === "int32") throw new Error(`${op}: expected a floating tensor, got int32 ${fmtShape(t.shape)}`);
  const host = t.dtype === "float64" ? new Float64Array(t.size) : new Float32Array(t.size);
  for (let i = 0; i < host.length; i++) host[i] = f(i);
  noGrad(() => {
    const v = tensor(host, { shape: [...t.shape], dtype: t.dtype, backend: t.backend });
    try {
      t.assign(v);
    } finally {
      v.dispose();
    }
  });
  return t;
}
function gen(g) {
  return g ?? getDefaultGenerator();
}
function uniform_(t, a = 0, b = 1, generator) {
  if (!(a <= b)) throw new Error(`uniform_: need a <= b, got a=${a} b=${b}`);
  const g = gen(generator);
  return fillFrom(t, "uniform_", () => a + (b - a) * g.uniform());
}
function normal_(t, mean2 = 0, std = 1, generator) {
  if (!(std >= 0)) throw new Error(`normal_: std must be >= 0, got ${std}`);
  const g = gen(generator);
  return fillFrom(t, "normal_", () => mean2 + std * g.normal());
}
function truncNormal_(t, mean2 = 0, std = 1, a = -2, b = 2, generator) {
  if (!(std >= 0) || !(a < b)) throw new Error(`truncNormal_: need std >= 0 and a < b, got std=${std} a=${a} b=${b}`);
  if (mean2 + 8 * std < a || mean2 - 8 * std > b) throw new Error(`truncNormal_: mean ${mean2} is more than 8 std from [${a}, ${b}]`);
  const g = gen(generator);
  return fillFrom(t, "truncNormal_", () => {
    for (; ; ) {
      const v = mean2 + std * g.normal();
      if (v >= a && v <= b) return v;
    }
  });
}
function constant_(t, value) {
  return fillFrom(t, "constant_", () => value);
}
function zeros_(t) {
  return constant_(t, 0);
}
function ones_(t) {
  return constant_(t, 1);
}
function eye_(t) {
  if (t.rank !== 2) throw new Error(`eye_: only 2-D tensors are supported, got ${fmtShape(t.shape)}`);
  const cols = t.shape[1];
  return fillFrom(t, "eye_", (i) => Math.floor(i / cols) === i % cols ? 1 : 0);
}
function xavierUniform_(t, gain = 1, generator) {
  const [fi, fo] = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fi + fo));
  return uniform_(t, -a, a, generator);
}
function xavierNormal_(t, gain = 1, generator) {
  const [fi, fo] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fi + fo)), generator);
}
function kaimingUniform_(t, options = {}) {
  const fan = fanOf(t, options.mode ?? "fan_in");
  if (fan === 0) return t;
  const gain = calculateGain(options.nonlinearity ?? "leaky_relu", options.a ?? 0);
  const bound = Math.sqrt(3) * (gain / Math.sqrt(fan));
  return uniform_(t, -bound, bound, options.generator);
}
function kaimingNormal_(t, options = {}) {
  const fan = fanOf(t, options.mode ?? "fan_in");
  if (fan === 0) return t;
  const gain = calculateGain(options.nonlinearity ?? "leaky_relu", options.a ?? 0);
  return normal_(t, 0, gain / Math.sqrt(fan), options.generator);
}
function linearDefault_(weight, bias, generator) {
  kaimingUniform_(weight, { a: Math.sqrt(5), generator });
  if (bias) {
    const [fi] = calculateFanInAndFanOut(weight);
    const bound = fi > 0 ? 1 / Math.sqrt(fi) : 0;
    uniform_(bias, -bound, bound, generator);
  }
}
var init = {
  calculateGain,
  calculateFanInAndFanOut,
  uniform_,
  normal_,
  truncNormal_,
  constant_,
  zeros_,
  ones_,
  eye_,
  xavierUniform_,
  xavierNormal_,
  kaimingUniform_,
  kaimingNormal_,
  linearDefault_
};

// ../../packages/nn/src/layers.ts
function empty(shape, o) {
  return zeros(shape, { backend: o.backend, dtype: o.dtype ?? "float32" });
}
function checkDim(op, what, v) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${what} must be a positive integer, got ${v}`);
}
var Linear = class extends Module {
  /** A linear map from `inFeatures` to `outFeatures`. */
  constructor(inFeatures, outFeatures, options = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    checkDim("Linear", "inFeatures", inFeatures);
    checkDim("Linear", "outFeatures", outFeatures);
    const o = { backend: options.backend, dtype: options.dtype };
    this.registerParameter("weight", empty([outFeatures, inFeatures], o));
    this.registerParameter("bias", options.bias === false ? null : empty([outFeatures], o));
    const init2 = options.init ?? "default";
    const g = options.generator;
    if (typeof init2 === "function") init2(this.weight, this.bias, g);
    else if (init2 === "default") linearDefault_(this.weight, this.bias, g);
    else if (init2 === "xavier_uniform") {
      xavierUniform_(this.weight, 1, g);
      if (this.bias) zeros_(this.bias);
    } else if (init2 === "zeros") {
      zeros_(this.weight);
      if (this.bias) zeros_(this.bias);
    } else if (typeof init2 === "object" && typeof init2.normal === "number") {
      normal_(this.weight, 0, init2.normal, g);
      if (this.bias) zeros_(this.bias);
    } else throw new Error(`Linear: unknown init ${JSON.stringify(init2)}`);
  }
  inFeatures;
  outFeatures;
  /** `x [..., in] -> [..., out]`. */
  forward(x) {
    const last = x.shape[x.rank - 1];
    if (x.rank === 0 || last !== this.inFeatures) throw new Error(`Linear.forward: expected input [..., ${this.inFeatures}], got ${fmtShape(x.shape)}`);
    let y;
    if (x.rank === 1) y = this.weight.matmul(x);
    else {
      const xt = x.transpose(-2, -1);
      const yt = this.weight.matmul(xt);
      xt.dispose();
      y = yt.transpose(-2, -1);
      yt.dispose();
    }
    if (!this.bias) return y;
    const out = y.add(this.bias);
    y.dispose();
    return out;
  }
  extraRepr() {
    return `Linear(in=${this.inFeatures}, out=${this.outFeatures}, bias=${this.bias !== null})`;
  }
};
var Embedding = class extends Module {
  /** A table of `numEmbeddings` vectors of size `embeddingDim`, initialised N(0, std^2). */
  constructor(numEmbeddings, embeddingDim, options = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    checkDim("Embedding", "numEmbeddings", numEmbeddings);
    checkDim("Embedding", "embeddingDim", embeddingDim);
    const w = this.registerParameter("weight", empty([numEmbeddings, embeddingDim], { backend: options.backend, dtype: options.dtype }));
    normal_(w, 0, options.std ?? 1, options.generator);
    const pad = options.paddingIdx;
    if (pad !== void 0) {
      const idx = pad < 0 ? numEmbeddings + pad : pad;
      if (!Number.isInteger(idx) || idx < 0 || idx >= numEmbeddings) throw new Error(`Embedding: paddingIdx ${pad} out of range for ${numEmbeddings} embeddings`);
      const row = noGrad(() => w.narrow(0, idx, 1));
      zeros_(row);
      row.dispose();
    }
  }
  numEmbeddings;
  embeddingDim;
  /** `ids [...]` (int32) -> `[..., dim]`. */
  forward(ids) {
    if (ids.dtype !== "int32") throw new Error(`Embedding.forward: ids must be int32, got ${ids.dtype} ${fmtShape(ids.shape)}`);
    return embedding(ids, this.weight);
  }
  extraRepr() {
    return `Embedding(${this.numEmbeddings}, ${this.embeddingDim})`;
  }
};
var LayerNorm = class extends Module {
  /** Trailing shape normalised over. */
  normalizedShape;
  /** Variance epsilon. */
  eps;
  /** Normalise over the last dims `normalizedShape` (a number means one dim). */
  constructor(normalizedShape, options = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0) throw new Error("LayerNorm: normalizedShape must have at least one dim");
    for (const d of this.normalizedShape) checkDim("LayerNorm", "normalizedShape entries", d);
    this.eps = options.eps ?? 1e-5;
    const affine = options.elementwiseAffine ?? true;
    const o = { backend: options.backend, dtype: options.dtype };
    this.registerParameter("weight", affine ? ones_(empty(this.normalizedShape, o)) : null);
    this.registerParameter("bias", affine && options.bias !== false ? zeros_(empty(this.normalizedShape, o)) : null);
  }
  /** Normalise `x [..., *normalizedShape]`. */
  forward(x) {
    const n = this.normalizedShape.length;
    const tail = x.shape.slice(x.rank - n);
    if (x.rank < n || tail.some((s, i) => s !== this.normalizedShape[i])) {
      throw new Error(`LayerNorm.forward: input ${fmtShape(x.shape)} does not end with the normalized shape ${fmtShape(this.normalizedShape)}`);
    }
    return layerNorm(x, this.weight, this.bias, this.eps, n);
  }
  extraRepr() {
    return `LayerNorm(${fmtShape(this.normalizedShape)}, eps=${this.eps})`;
  }
};
var RMSNorm = class extends Module {
  /** Normalise vectors of size `dim`. */
  constructor(dim, options = {}) {
    super();
    this.dim = dim;
    checkDim("RMSNorm", "dim", dim);
    this.eps = options.eps ?? 1e-6;
    this.registerParameter("weight", options.elementwiseAffine === false ? null : ones_(empty([dim], { backend: options.backend, dtype: options.dtype })));
  }
  dim;
  /** Variance epsilon. */
  eps;
  /** Normalise `x [..., dim]`. */
  forward(x) {
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.dim) throw new Error(`RMSNorm.forward: expected input [..., ${this.dim}], got ${fmtShape(x.shape)}`);
    return rmsNorm(x, this.weight, this.eps);
  }
  extraRepr() {
    return `RMSNorm(${this.dim}, eps=${this.eps})`;
  }
};
var Dropout = class extends Module {
  /** Dropout with probability `p` in [0, 1]. */
  constructor(p = 0.5, options = {}) {
    super();
    this.p = p;
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
    this.generator = options.generator;
  }
  p;
  /** Mask stream (undefined: the global generator). */
  generator;
  /** Apply dropout (a fresh tensor either way). */
  forward(x) {
    return x.dropout(this.p, this.training, this.generator);
  }
  extraRepr() {
    return `Dropout(p=${this.p})`;
  }
};
function activation(name2, x) {
  switch (name2) {
    case "gelu":
      return x.gelu();
    case "gelu_tanh":
      return x.gelu("tanh");
    case "relu":
      return x.relu();
    case "silu":
      return x.silu();
    case "tanh":
      return x.tanh();
    case "sigmoid":
      return x.sigmoid();
    case "identity":
      return x.mul(1);
    default:
      throw new Error(`activation: unknown activation '${String(name2)}' (expected gelu, gelu_tanh, relu, silu, tanh, sigmoid or identity)`);
  }
}
var Activation = class extends Module {
  /** Apply `name` elementwise. */
  constructor(kind) {
    super();
    this.kind = kind;
    activationCheck(kind);
  }
  kind;
  /** The activation of x. */
  forward(x) {
    return activation(this.kind, x);
  }
  extraRepr() {
    return `Activation(${this.kind})`;
  }
};
function activationCheck(kind) {
  if (!["gelu", "gelu_tanh", "relu", "silu", "tanh", "sigmoid", "identity"].includes(kind)) {
    throw new Error(`activation: unknown activation '${kind}' (expected gelu, gelu_tanh, relu, silu, tanh, sigmoid or identity)`);
  }
}
var SiLU = class extends Activation {
  /** SiLU (swish). */
  constructor() {
    super("silu");
  }
};
var MLP = class extends Module {
  /** Build the MLP for layer sizes `dims` (at least two entries). */
  constructor(dims, options = {}) {
    super();
    this.dims = dims;
    if (!Array.isArray(dims) || dims.length < 2) throw new Error(`MLP: dims needs at least two sizes (input and output), got [${String(dims)}]`);
    this.activation = options.activation ?? "gelu";
    activationCheck(this.activation);
    const layers = new ModuleList();
    for (let i = 0; i + 1 < dims.length; i++) {
      layers.append(new Linear(dims[i], dims[i + 1], { bias: options.bias, init: options.init, generator: options.generator, backend: options.backend, dtype: options.dtype }));
    }
    this.registerModule("layers", layers);
    const p = options.dropout ?? 0;
    this.registerModule("drop", p > 0 ? new Dropout(p, { generator: options.generator }) : null);
  }
  dims;
  /** Activation between layers. */
  activation;
  /** `x [..., dims[0]] -> [..., dims[n]]`. */
  forward(x) {
    let h = x;
    const n = this.layers.length;
    for (let i = 0; i < n; i++) {
      let next = this.layers.at(i).forward(h);
      if (h !== x) h.dispose();
      if (i + 1 < n) {
        const a = activation(this.activation, next);
        next.dispose();
        next = a;
        if (this.drop) {
          const d = this.drop.forward(next);
          next.dispose();
          next = d;
        }
      }
      h = next;
    }
    return h;
  }
  extraRepr() {
    return `MLP([${this.dims.join(", ")}], ${this.activation})`;
  }
};

// ../../packages/nn/src/optim.ts
function isGroupList(x) {
  return Array.isArray(x) && x.length > 0 && !(x[0] instanceof Tensor3) && typeof x[0] === "object" && x[0] !== null && "params" in x[0];
}
function checkFinite(op, name2, v, min = 0) {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) throw new Error(`${op}: ${name2} must be a finite number >= ${min}, got ${String(v)}`);
}
var Optimizer = class {
  constructor(opName, params, defaults) {
    this.opName = opName;
    this.defaults = defaults;
    const specs = isGroupList(params) ? params : [{ params: [...params] }];
    const seen = /* @__PURE__ */ new Set();
    this.paramGroups = specs.map((spec, gi) => {
      const ps = [...spec.params];
      for (const p of ps) {
        if (!(p instanceof Tensor3)) throw new Error(`${opName}: group ${gi} contains a non-tensor parameter`);
        if (seen.has(p)) throw new Error(`${opName}: parameter ${p.name ?? `#${p.id}`} ${fmtShape(p.shape)} appears in more than one group`);
        if (p.dtype === "int32") throw new Error(`${opName}: parameter ${p.name ?? `#${p.id}`} is int32; only floating tensors can be optimized`);
        seen.add(p);
      }
      const g = { ...defaults, ...spec, params: ps };
      this.validateGroup(g, gi);
      return g;
    });
    if (seen.size === 0) throw new Error(`${opName}: got an empty parameter list`);
  }
  opName;
  /** The parameter groups; set `paramGroups[i].lr` to change a group's learning rate. */
  paramGroups;
  /** Defaults applied to groups that do not set a hyperparameter. */
  defaults;
  /** @internal per-parameter state. */
  state = /* @__PURE__ */ new Map();
  /** Throw on invalid hyperparameters (subclasses extend). */
  validateGroup(g, gi) {
    checkFinite(`${this.opName} group ${gi}`, "lr", g.lr);
    checkFinite(`${this.opName} group ${gi}`, "weightDecay", g.weightDecay);
  }
  /** Every parameter, in group order. */
  params() {
    return this.paramGroups.flatMap((g) => g.params);
  }
  /** Set the learning rate of every group. */
  setLr(lr) {
    checkFinite(this.opName, "lr", lr);
    for (const g of this.paramGroups) g.lr = lr;
  }
  /** Drop every parameter's gradient (sets `.grad` to null). */
  zeroGrad() {
    for (const p of this.params()) p.zeroGrad();
  }
  /** Apply one update to every parameter that has a gradient. */
  step() {
    noGrad(() => {
      for (const g of this.paramGroups) {
        for (const p of g.params) {
          if (!p.grad) continue;
          if (p.grad.backend !== p.backend) throw new Error(`${this.opName}.step: gradient of ${p.name ?? `#${p.id}`} is on ${p.grad.backend.name}, parameter on ${p.backend.name}`);
          let st = this.state.get(p);
          if (!st) {
            st = { step: 0, tensors: {} };
            this.state.set(p, st);
          }
          st.step += 1;
          const s = st;
          tidy(() => this.update(p, p.grad, s, g));
        }
      }
    });
  }
  /** @internal a persistent zero state tensor like `p` (created outside any tidy scope). */
  stateTensor(state, name2, p, init2) {
    let t = state.tensors[name2];
    if (!t) {
      t = init2 ? init2.clone() : zerosLike(p);
      keep(t);
      state.tensors[name2] = t;
    }
    return t;
  }
  /** The optimizer state for a parameter (undefined before its first update). */
  getState(p) {
    return this.state.get(p);
  }
  /** State by parameter index and group hyperparameters (tensors are references, as PyTorch). */
  stateDict() {
    const index = /* @__PURE__ */ new Map();
    this.params().forEach((p, i) => index.set(p, i));
    const state = /* @__PURE__ */ new Map();
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i !== void 0) state.set(i, { step: st.step, tensors: { ...st.tensors } });
    }
    const paramGroups = this.paramGroups.map((g) => {
      const out = { params: g.params.map((p) => index.get(p)) };
      for (const [k, v] of Object.entries(g)) if (k !== "params") out[k] = Array.isArray(v) ? [...v] : v;
      return out;
    });
    return { state, paramGroups };
  }
  /**
   * Restore a state dict: group hyperparameters (lr included) and per-parameter step counts and
   * tensors, copied onto each parameter's backend and dtype. The group layout must match.
   */
  loadStateDict(sd) {
    const op = `${this.opName}.loadStateDict`;
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${op}: state dict has ${sd.paramGroups.length} parameter groups, optimizer has ${this.paramGroups.length}`);
    }
    sd.paramGroups.forEach((g, gi) => {
      const n = this.paramGroups[gi].params.length;
      if (g.params.length !== n) throw new Error(`${op}: group ${gi} has ${g.params.length} parameters in the state dict, ${n} in the optimizer`);
    });
    const params = this.params();
    for (const [i, st] of sd.state) {
      const p = params[i];
      if (!p) throw new Error(`${op}: state for parameter index ${i}, but the optimizer has ${params.length} parameters`);
      for (const [name2, t] of Object.entries(st.tensors)) {
        if (t.shape.length !== p.shape.length || t.shape.some((s, k) => s !== p.shape[k])) {
          throw new Error(`${op}: state '${name2}' of parameter ${i} has shape ${fmtShape(t.shape)}, parameter has ${fmtShape(p.shape)}`);
        }
      }
    }
    sd.paramGroups.forEach((g, gi) => {
      const target = this.paramGroups[gi];
      for (const [k, v] of Object.entries(g)) if (k !== "params") target[k] = Array.isArray(v) ? [...v] : v;
      this.validateGroup(target, gi);
    });
    const next = /* @__PURE__ */ new Map();
    for (const [i, st] of sd.state) {
      const p = params[i];
      const tensors = {};
      for (const [name2, t] of Object.entries(st.tensors)) tensors[name2] = copyLike(t, p);
      next.set(p, { step: st.step, tensors });
    }
    for (const old of this.state.values()) for (const t of Object.values(old.tensors)) t.dispose();
    this.state.clear();
    for (const [p, st] of next) this.state.set(p, st);
  }
  /** Free every state tensor (the parameters are not touched). */
  dispose() {
    for (const st of this.state.values()) for (const t of Object.values(st.tensors)) t.dispose();
    this.state.clear();
  }
};
function copyLike(t, p) {
  const out = noGrad(() => {
    if (t.backend === p.backend) {
      const z2 = zeros([...p.shape], { backend: p.backend, dtype: p.dtype });
      z2.assign(t);
      return z2;
    }
    if (!t.backend.readSync) throw new Error(`loadStateDict: state tensor on ${t.backend.name} cannot be copied synchronously to ${p.backend.name}; create it on the parameter's backend`);
    return tensor(t.dataSync(), { shape: [...p.shape], dtype: p.dtype, backend: p.backend });
  });
  keep(out);
  return out;
}
var AdamBase = class extends Optimizer {
  validateGroup(g, gi) {
    super.validateGroup(g, gi);
    const [b1, b2] = g.betas ?? [];
    if (!Array.isArray(g.betas) || g.betas.length !== 2 || !(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) {
      throw new Error(`${this.opName} group ${gi}: betas must be two numbers in [0, 1), got ${JSON.stringify(g.betas)}`);
    }
    checkFinite(`${this.opName} group ${gi}`, "eps", g.eps);
  }
  update(p, grad0, st, g) {
    const [b1, b2] = g.betas;
    let grad = g.maximize ? grad0.neg() : grad0;
    if (g.weightDecay !== 0) {
      if (this.decoupled) p.assign(p.mul(1 - g.lr * g.weightDecay));
      else grad = grad.add(p.mul(g.weightDecay));
    }
    const m = this.stateTensor(st, "exp_avg", p);
    const v = this.stateTensor(st, "exp_avg_sq", p);
    m.assign(m.mul(b1).add(grad.mul(1 - b1)));
    v.assign(v.mul(b2).add(grad.square().mul(1 - b2)));
    const bc1 = 1 - Math.pow(b1, st.step);
    const bc2 = 1 - Math.pow(b2, st.step);
    const stepSize = g.lr / bc1;
    let vv = v;
    if (g.amsgrad) {
      const vmax = this.stateTensor(st, "max_exp_avg_sq", p);
      vmax.assign(vmax.maximum(v));
      vv = vmax;
    }
    const denom = vv.sqrt().div(Math.sqrt(bc2)).add(g.eps);
    p.assign(p.sub(m.div(denom).mul(stepSize)));
  }
};
var AdamW = class extends AdamBase {
  decoupled = true;
  /** AdamW over `params` (a list or groups). */
  constructor(params, options = {}) {
    super("AdamW", params, { lr: options.lr ?? 1e-3, betas: options.betas ?? [0.9, 0.999], eps: options.eps ?? 1e-8, weightDecay: options.weightDecay ?? 0.01, amsgrad: options.amsgrad ?? false, maximize: options.maximize ?? false });
  }
};
function paramGroupsNoDecay(module, options = {}) {
  const decay = [];
  const noDecay = [];
  for (const [name2, p] of module.namedParameters()) {
    if (!p.requiresGrad) continue;
    const skip = p.rank < 2 || name2 === "bias" || name2.endsWith(".bias") || (options.noDecay?.(name2, p) ?? false);
    (skip ? noDecay : decay).push(p);
  }
  const groups = [];
  if (decay.length) groups.push({ params: decay, weightDecay: options.weightDecay ?? 0.01 });
  if (noDecay.length) groups.push({ params: noDecay, weightDecay: 0 });
  return groups;
}
function clipGradNorm(params, maxNorm, normType = 2) {
  if (!(maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be >= 0, got ${maxNorm}`);
  if (!(normType === 2 || normType === 1 || normType === Infinity)) throw new Error(`clipGradNorm: normType must be 1, 2 or Infinity, got ${normType}`);
  const list = isModule(params) ? params.parameters() : [...params];
  const grads = list.map((p) => p.grad).filter((g) => g !== null);
  if (grads.length === 0) {
    const b = list[0]?.backend;
    return zeros([], b ? { backend: b } : {});
  }
  return noGrad(() => {
    const total = tidy(() => {
      if (normType === Infinity) {
        let m = null;
        for (const g of grads) {
          const gm = g.abs().max();
          m = m ? m.maximum(gm) : gm;
        }
        return m;
      }
      let s = null;
      for (const g of grads) {
        const part = normType === 2 ? g.square().sum() : g.abs().sum();
        s = s ? s.add(part) : part;
      }
      return normType === 2 ? s.sqrt() : s;
    });
    tidy(() => {
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(void 0, 1);
      for (const g of grads) g.assign(g.mul(coef));
    });
    return total;
  });
}
function isModule(x) {
  return typeof x === "object" && x !== null && typeof x.parameters === "function" && typeof x.namedParameters === "function";
}

// ../../packages/nn/src/schedule.ts
function checkNum(op, name2, v, min = 0) {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) throw new Error(`${op}: ${name2} must be a finite number >= ${min}, got ${String(v)}`);
}
function checkWarmup(op, o) {
  const lr = o.lr ?? 1;
  const minLr = o.minLr ?? 0;
  checkNum(op, "lr", lr);
  checkNum(op, "minLr", minLr);
  if (!Number.isInteger(o.warmupSteps) || o.warmupSteps < 0) throw new Error(`${op}: warmupSteps must be a non-negative integer, got ${o.warmupSteps}`);
  if (!Number.isInteger(o.totalSteps) || o.totalSteps < o.warmupSteps) throw new Error(`${op}: totalSteps must be an integer >= warmupSteps (${o.warmupSteps}), got ${o.totalSteps}`);
  if (minLr > lr) throw new Error(`${op}: minLr ${minLr} exceeds lr ${lr}`);
  return { lr, minLr };
}
function linearWarmupCosine(options) {
  const { lr, minLr } = checkWarmup("linearWarmupCosine", options);
  const { warmupSteps: w, totalSteps: T } = options;
  return (step) => {
    if (step < w) return lr * (step + 1) / w;
    if (step >= T || T === w) return minLr;
    const progress = (step - w) / (T - w);
    return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
  };
}
var LRScheduler = class {
  /** Attach `schedule` to `optimizer`, starting at `startStep` (default 0). */
  constructor(optimizer, schedule, startStep = 0) {
    this.optimizer = optimizer;
    this.schedule = schedule;
    this.currentStep = startStep;
    this.apply();
  }
  optimizer;
  schedule;
  /** Index of the step whose lr is currently set (starts at 0). */
  currentStep;
  /** The lr of the current step before group scaling. */
  getLr() {
    return this.schedule(this.currentStep);
  }
  /** Advance one step and set the new lrs. */
  step() {
    this.currentStep += 1;
    this.apply();
  }
  /** Jump to `step` (for resuming) and set its lrs. */
  setStep(step) {
    if (!Number.isInteger(step) || step < 0) throw new Error(`LRScheduler.setStep: step must be a non-negative integer, got ${step}`);
    this.currentStep = step;
    this.apply();
  }
  apply() {
    const lr = this.schedule(this.currentStep);
    if (!Number.isFinite(lr) || lr < 0) throw new Error(`LRScheduler: schedule returned lr ${lr} at step ${this.currentStep}`);
    for (const g of this.optimizer.paramGroups) g.lr = lr * (g.lrScale ?? 1);
  }
  /** `{ currentStep }` for checkpoints. */
  stateDict() {
    return { currentStep: this.currentStep };
  }
  /** Restore from `stateDict()`. */
  loadStateDict(sd) {
    this.setStep(sd.currentStep);
  }
};

// ../../packages/nn/src/ema.ts
var ExponentialMovingAverage = class extends Module {
  /** Decay factor. */
  decay;
  /** Whether the warmup rule is used. */
  warmup;
  /** Updates applied so far. */
  numUpdates = 0;
  _source;
  _names;
  _stored = null;
  /** Track the parameters of `source` (a Module or a list of tensors), starting from their current values. */
  constructor(source, options = {}) {
    super();
    const decay = options.decay ?? 0.999;
    if (!(decay >= 0 && decay <= 1)) throw new Error(`ExponentialMovingAverage: decay must be in [0, 1], got ${decay}`);
    this.decay = decay;
    this.warmup = options.warmup ?? false;
    this._source = Array.isArray(source) ? [...source] : source;
    const tracked = this.tracked();
    if (tracked.length === 0) throw new Error("ExponentialMovingAverage: nothing to track (no parameters)");
    this._names = tracked.map(([n]) => n);
    noGrad(() => {
      for (const [name2, p] of tracked) {
        const shadow = keep(p.clone());
        this.registerAt(name2, shadow);
      }
    });
    this.training = false;
  }
  /** Register a buffer at a dotted path, creating plain container modules along it. */
  registerAt(path, t) {
    const parts = path.split(".");
    let m = this;
    for (const seg of parts.slice(0, -1)) {
      let c = m._modules.get(seg);
      if (!c) c = m.registerModule(seg, new Module());
      m = c;
    }
    m.registerBuffer(parts[parts.length - 1], t);
  }
  /** `[name, live parameter]` pairs of the source. */
  tracked() {
    return Array.isArray(this._source) ? this._source.map((t, i) => [String(i), t]) : this._source.namedParameters();
  }
  /** The averaged tensors by name (the EMA's own buffers; do not dispose). */
  shadows() {
    return new Map(this.namedBuffers());
  }
  /** The decay the next `update()` will use. */
  currentDecay() {
    return this.warmup ? Math.min(this.decay, (1 + this.numUpdates) / (10 + this.numUpdates)) : this.decay;
  }
  /** Fold the source's current parameters into the averages. */
  update() {
    const d = this.currentDecay();
    const shadows = this.shadows();
    const live = this.liveByName("update");
    noGrad(() => {
      for (const name2 of this._names) {
        const s = shadows.get(name2);
        const p = live.get(name2);
        tidy(() => {
          s.assign(s.mul(d).add(p.mul(1 - d)));
        });
      }
    });
    this.numUpdates += 1;
  }
  liveByName(op) {
    const live = new Map(this.tracked());
    const shadows = this.shadows();
    for (const name2 of this._names) {
      const p = live.get(name2);
      if (!p) throw new Error(`ExponentialMovingAverage.${op}: the source no longer has parameter '${name2}'`);
      const s = shadows.get(name2);
      if (s && p.shape.join() !== s.shape.join()) throw new Error(`ExponentialMovingAverage.${op}: '${name2}' has shape ${fmtShape(p.shape)} but its average has ${fmtShape(s.shape)}`);
    }
    return live;
  }
  /**
   * Write the averages into `target`'s parameters (by name; default: the tracked source). A
   * target module must have every tracked name with the same shape.
   */
  copyTo(target) {
    const shadows = this.shadows();
    const dest = target === void 0 ? this.liveByName("copyTo") : Array.isArray(target) ? new Map(target.map((t, i) => [String(i), t])) : new Map(target.namedParameters());
    const missing = this._names.filter((n) => !dest.has(n));
    if (missing.length) throw new Error(`ExponentialMovingAverage.copyTo: target lacks parameters [${missing.join(", ")}]`);
    noGrad(() => {
      for (const name2 of this._names) {
        const p = dest.get(name2);
        const s = shadows.get(name2);
        if (p.shape.join() !== s.shape.join()) throw new Error(`ExponentialMovingAverage.copyTo: '${name2}' has shape ${fmtShape(p.shape)} in the target but ${fmtShape(s.shape)} in the average`);
        p.assign(s);
      }
    });
  }
  /** Save copies of the source's current parameters (for `restore()`), e.g. before `copyTo()` for evaluation. */
  store() {
    this.disposeStored();
    const live = this.liveByName("store");
    this._stored = noGrad(() => this._names.map((n) => keep(live.get(n).detach().clone())));
  }
  /** Put back the parameters saved by `store()` and free the copies. */
  restore() {
    if (!this._stored) throw new Error("ExponentialMovingAverage.restore: nothing stored (call store() first)");
    const live = this.liveByName("restore");
    const stored = this._stored;
    noGrad(() => this._names.forEach((n, i) => live.get(n).assign(stored[i])));
    this.disposeStored();
  }
  disposeStored() {
    if (this._stored) for (const t of this._stored) t.dispose();
    this._stored = null;
  }
  /** The EMA is not callable. */
  forward() {
    throw new Error("ExponentialMovingAverage.forward: an EMA holds averages; copyTo() a module and call that");
  }
  /** Free the averages and any stored copies. */
  dispose() {
    this.disposeStored();
    super.dispose();
  }
  extraRepr() {
    return `ExponentialMovingAverage(decay=${this.decay}, updates=${this.numUpdates})`;
  }
};

// ../../packages/safetensors/src/errors.ts
var SafetensorsError = class extends Error {
  /** Stable category of the problem. */
  code;
  constructor(code2, message) {
    super(message);
    this.name = "SafetensorsError";
    this.code = code2;
  }
};

// ../../packages/safetensors/src/dtypes.ts
var WIDTH = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1
};
function isDType(name2) {
  return typeof name2 === "string" && Object.prototype.hasOwnProperty.call(WIDTH, name2);
}
function dtypeWidth(dtype) {
  return WIDTH[dtype];
}
var CTOR = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
  BOOL: Uint8Array
};
var LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function viewAs(dtype, bytes) {
  const C = CTOR[dtype];
  const w = C.BYTES_PER_ELEMENT;
  const n = bytes.byteLength / w;
  if (LITTLE_ENDIAN && bytes.byteOffset % w === 0) return new C(bytes.buffer, bytes.byteOffset, n);
  const copy = new Uint8Array(bytes.byteLength);
  if (LITTLE_ENDIAN || w === 1) copy.set(bytes);
  else for (let i = 0; i < n; i++) for (let j = 0; j < w; j++) copy[i * w + j] = bytes[i * w + (w - 1 - j)];
  return new C(copy.buffer, 0, n);
}
function bytesOf(data) {
  const view2 = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return view2;
  const w = data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(view2.length);
  for (let i = 0; i < data.length; i++) for (let j = 0; j < w; j++) out[i * w + j] = view2[i * w + (w - 1 - j)];
  return out;
}
var f32 = new Float32Array(1);
var u32 = new Uint32Array(f32.buffer);
function f16ToNumber(h) {
  const sign = h & 32768 ? -1 : 1;
  const exp = h >> 10 & 31;
  const frac = h & 1023;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
function numberToF16(x) {
  f32[0] = x;
  const bits = u32[0];
  const sign = bits >>> 16 & 32768;
  const exp = bits >>> 23 & 255;
  let mant = bits & 8388607;
  if (exp === 255) return sign | 31744 | (mant ? 512 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 31744;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 8388608;
    const shift2 = 14 - e;
    const half = 1 << shift2 - 1;
    let r2 = mant >>> shift2;
    const rem2 = mant & (1 << shift2) - 1;
    if (rem2 > half || rem2 === half && r2 & 1) r2++;
    return sign | r2;
  }
  let r = mant >>> 13;
  const rem = mant & 8191;
  if (rem > 4096 || rem === 4096 && r & 1) {
    r++;
    if (r === 1024) {
      r = 0;
      e++;
      if (e >= 31) return sign | 31744;
    }
  }
  return sign | e << 10 | r;
}
function bf16ToNumber(h) {
  u32[0] = (h & 65535) << 16;
  return f32[0];
}
function numberToBf16(x) {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 2139095040) === 2139095040 && bits & 8388607) return (bits >>> 16 | 64) & 65535;
  const lsb = bits >>> 16 & 1;
  return bits + 32767 + lsb >>> 16 & 65535;
}
function toFloat32(dtype, raw) {
  if (dtype === "F32") return raw;
  const out = new Float32Array(raw.length);
  if (dtype === "F16") for (let i = 0; i < raw.length; i++) out[i] = f16ToNumber(raw[i]);
  else if (dtype === "BF16") for (let i = 0; i < raw.length; i++) out[i] = bf16ToNumber(raw[i]);
  else if (dtype === "I64" || dtype === "U64") for (let i = 0; i < raw.length; i++) out[i] = Number(raw[i]);
  else for (let i = 0; i < raw.length; i++) out[i] = raw[i];
  return out;
}

// ../../packages/safetensors/src/header.ts
var MAX_HEADER_LENGTH = 1e8;
var utf8 = new TextDecoder("utf-8", { fatal: true });
function readHeaderLength(prefix, fileLength) {
  if (fileLength < 8) throw new SafetensorsError("too-short", `safetensors: file is ${fileLength} bytes, shorter than the 8-byte header length`);
  const dv = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_LENGTH)) throw new SafetensorsError("header-length", `safetensors: header length ${n} exceeds the ${MAX_HEADER_LENGTH}-byte limit`);
  const len = Number(n);
  if (len < 2) throw new SafetensorsError("header-length", `safetensors: header length ${len} is too small for a JSON object`);
  if (8 + len > fileLength) throw new SafetensorsError("header-length", `safetensors: header length ${len} is larger than the file allows (${fileLength - 8} bytes after the length)`);
  return len;
}
function topLevelKeys(text) {
  const keys = [];
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (k < text.length && /\s/.test(text[k])) k++;
        if (text[k] === ":") keys.push(JSON.parse(text.slice(i, j + 1)));
      }
      i = j + 1;
      continue;
    }
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    i++;
  }
  return keys;
}
function isIndex(x) {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}
function parseHeader(json, dataLength) {
  let text;
  try {
    text = utf8.decode(json);
  } catch {
    throw new SafetensorsError("header-encoding", "safetensors: header is not valid UTF-8");
  }
  if (text[0] !== "{") throw new SafetensorsError("header-json", `safetensors: header must start with '{', found ${JSON.stringify(text.slice(0, 8))}`);
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError("header-json", `safetensors: header is not valid JSON (${err.message})`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new SafetensorsError("header-structure", "safetensors: header JSON is not an object");
  const keys = topLevelKeys(text);
  const seen = /* @__PURE__ */ new Set();
  for (const k of keys) {
    if (seen.has(k)) throw new SafetensorsError("duplicate-name", `safetensors: tensor name '${k}' appears more than once in the header`);
    seen.add(k);
  }
  const obj2 = parsed;
  let metadata = null;
  const entries = [];
  for (const name2 of Object.keys(obj2)) {
    const v = obj2[name2];
    if (name2 === "__metadata__") {
      if (v === null || typeof v !== "object" || Array.isArray(v)) throw new SafetensorsError("metadata", "safetensors: __metadata__ must be an object of strings");
      metadata = {};
      for (const [mk, mv] of Object.entries(v)) {
        if (typeof mv !== "string") throw new SafetensorsError("metadata", `safetensors: __metadata__['${mk}'] is ${JSON.stringify(mv)}, not a string`);
        metadata[mk] = mv;
      }
      continue;
    }
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new SafetensorsError("bad-entry", `safetensors: entry '${name2}' is not an object`);
    const e = v;
    if (!isDType(e.dtype)) throw new SafetensorsError("unknown-dtype", `safetensors: tensor '${name2}' has unknown dtype ${JSON.stringify(e.dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every(isIndex)) throw new SafetensorsError("bad-shape", `safetensors: tensor '${name2}' has invalid shape ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !isIndex(off[0]) || !isIndex(off[1]) || off[0] > off[1]) {
      throw new SafetensorsError("bad-offsets", `safetensors: tensor '${name2}' has invalid data_offsets ${JSON.stringify(off)}`);
    }
    if (off[1] > dataLength) throw new SafetensorsError("bad-offsets", `safetensors: tensor '${name2}' data_offsets [${off[0]},${off[1]}] go past the end of the ${dataLength}-byte data buffer`);
    const shape = e.shape;
    let numel2 = 1;
    for (const s of shape) numel2 *= s;
    const want = numel2 * dtypeWidth(e.dtype);
    if (!Number.isSafeInteger(want) || want !== off[1] - off[0]) {
      throw new SafetensorsError("size-mismatch", `safetensors: tensor '${name2}' is ${e.dtype} [${shape.join(",")}] = ${want} bytes, but data_offsets [${off[0]},${off[1]}] span ${off[1] - off[0]}`);
    }
    entries.push([name2, { dtype: e.dtype, shape: Object.freeze([...shape]), dataOffsets: Object.freeze([off[0], off[1]]) }]);
  }
  const sorted = entries.slice().sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let cursor = 0;
  let prev = "";
  for (const [name2, info] of sorted) {
    const [b, e] = info.dataOffsets;
    if (b === e) continue;
    if (b < cursor) throw new SafetensorsError("overlap", `safetensors: tensor '${name2}' [${b},${e}] overlaps '${prev}' which ends at ${cursor}`);
    if (b > cursor) throw new SafetensorsError("gap", `safetensors: bytes [${cursor},${b}) of the data buffer belong to no tensor (before '${name2}')`);
    cursor = e;
    prev = name2;
  }
  if (cursor !== dataLength) throw new SafetensorsError("gap", `safetensors: the data buffer has ${dataLength} bytes but the tensors cover only ${cursor}`);
  return { headerLength: json.byteLength, tensors: new Map(sorted), metadata, dataLength };
}

// ../../packages/safetensors/src/file.ts
var SafetensorsFile = class {
  /** The validated header. */
  header;
  data;
  /** Use `parseSafetensors` (bytes) or `readSafetensorsFile` (a path). */
  constructor(bytes) {
    const n = readHeaderLength(bytes, bytes.byteLength);
    const json = bytes.subarray(8, 8 + n);
    this.data = bytes.subarray(8 + n);
    this.header = parseHeader(json, this.data.byteLength);
  }
  /** The `__metadata__` map (null when the file has none). */
  get metadata() {
    return this.header.metadata;
  }
  /** Tensor names in file order. */
  names() {
    return [...this.header.tensors.keys()];
  }
  /** Whether the file holds a tensor called `name`. */
  has(name2) {
    return this.header.tensors.has(name2);
  }
  /** dtype, shape and byte range of `name`. */
  info(name2) {
    const info = this.header.tensors.get(name2);
    if (!info) throw new SafetensorsError("not-found", `safetensors: no tensor named '${name2}' (the file has ${this.header.tensors.size}: ${this.names().slice(0, 8).join(", ")}${this.header.tensors.size > 8 ? ", ..." : ""})`);
    return info;
  }
  /** The raw bytes of `name` (a view into the file). */
  bytes(name2) {
    const [b, e] = this.info(name2).dataOffsets;
    return this.data.subarray(b, e);
  }
  /** `name` as its stored dtype's typed array. */
  get(name2) {
    const info = this.info(name2);
    return { dtype: info.dtype, shape: info.shape, data: viewAs(info.dtype, this.bytes(name2)) };
  }
  /** `name` converted to float32 (F16 and BF16 decoded exactly; a view for aligned F32). */
  getFloat32(name2) {
    const { dtype, data } = this.get(name2);
    return toFloat32(dtype, data);
  }
};
function parseSafetensors(bytes) {
  return new SafetensorsFile(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
}

// ../../packages/safetensors/src/serialize.ts
var ARRAY_FOR = {
  F64: (n) => new Float64Array(n),
  F32: (n) => new Float32Array(n),
  I32: (n) => new Int32Array(n),
  I16: (n) => new Int16Array(n),
  I8: (n) => new Int8Array(n),
  U32: (n) => new Uint32Array(n),
  U16: (n) => new Uint16Array(n),
  U8: (n) => new Uint8Array(n),
  BOOL: (n) => new Uint8Array(n)
};
function encodeData(name2, e, numel2) {
  const { dtype, data } = e;
  if (data.length !== numel2) throw new SafetensorsError("size-mismatch", `serializeSafetensors: tensor '${name2}' has shape [${e.shape.join(",")}] (${numel2} elements) but ${data.length} values`);
  if (dtype === "F16" || dtype === "BF16") {
    if (data instanceof Uint16Array) return bytesOf(data);
    const out2 = new Uint16Array(numel2);
    const conv = dtype === "F16" ? numberToF16 : numberToBf16;
    for (let i = 0; i < numel2; i++) out2[i] = conv(Number(data[i]));
    return bytesOf(out2);
  }
  if (dtype === "I64" || dtype === "U64") {
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) return bytesOf(data);
    const out2 = dtype === "I64" ? new BigInt64Array(numel2) : new BigUint64Array(numel2);
    for (let i = 0; i < numel2; i++) {
      const v = Number(data[i]);
      if (!Number.isInteger(v)) throw new SafetensorsError("bad-entry", `serializeSafetensors: tensor '${name2}' (${dtype}) has non-integer value ${v} at ${i}`);
      out2[i] = BigInt(v);
    }
    return bytesOf(out2);
  }
  const make = ARRAY_FOR[dtype];
  const probe = make(0);
  if (probe.constructor === data.constructor) return bytesOf(data);
  const out = make(numel2);
  for (let i = 0; i < numel2; i++) {
    const v = Number(data[i]);
    if (dtype === "BOOL" && v !== 0 && v !== 1) throw new SafetensorsError("bad-entry", `serializeSafetensors: tensor '${name2}' (BOOL) has value ${v} at ${i}; use 0 or 1`);
    out[i] = v;
  }
  return bytesOf(out);
}
function serializeSafetensors(tensors, metadata) {
  const list = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const seen = /* @__PURE__ */ new Set();
  const encoded = [];
  for (const [name2, entry2] of list) {
    if (name2 === "__metadata__") throw new SafetensorsError("bad-entry", "serializeSafetensors: '__metadata__' is reserved and cannot name a tensor");
    if (seen.has(name2)) throw new SafetensorsError("duplicate-name", `serializeSafetensors: tensor name '${name2}' given twice`);
    seen.add(name2);
    if (!isDType(entry2.dtype)) throw new SafetensorsError("unknown-dtype", `serializeSafetensors: tensor '${name2}' has unknown dtype ${JSON.stringify(entry2.dtype)}`);
    if (!Array.isArray(entry2.shape) || !entry2.shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      throw new SafetensorsError("bad-shape", `serializeSafetensors: tensor '${name2}' has invalid shape ${JSON.stringify(entry2.shape)}`);
    }
    const numel2 = entry2.shape.reduce((a, b) => a * b, 1);
    encoded.push({ name: name2, entry: entry2, bytes: encodeData(name2, entry2, numel2) });
  }
  encoded.sort((a, b) => dtypeWidth(b.entry.dtype) - dtypeWidth(a.entry.dtype) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header = {};
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new SafetensorsError("metadata", `serializeSafetensors: metadata '${k}' is ${JSON.stringify(v)}, not a string`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const { name: name2, entry: entry2, bytes } of encoded) {
    header[name2] = { dtype: entry2.dtype, shape: [...entry2.shape], data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(32);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let at = 8 + json.byteLength;
  for (const { bytes } of encoded) {
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return out;
}

// ../../packages/safetensors/src/node-io.ts
async function readSafetensorsFile(path) {
  const { readFile: readFile3 } = await import("node:fs/promises");
  let bytes;
  try {
    bytes = await readFile3(path);
  } catch (err) {
    throw new SafetensorsError("io", `readSafetensorsFile: cannot read '${path}': ${err.message}`);
  }
  try {
    return new SafetensorsFile(bytes);
  } catch (err) {
    if (err instanceof SafetensorsError) err.message = `${err.message} (in '${path}')`;
    throw err;
  }
}
async function writeFileAtomic(path, bytes) {
  const fs = await import("node:fs/promises");
  const { dirname: dirname2, basename, join: join3 } = await import("node:path");
  const dir = dirname2(path);
  const tmp = join3(dir, `.${basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  let fh = null;
  try {
    fh = await fs.open(tmp, "wx");
    await fh.writeFile(bytes);
    await fh.sync();
    await fh.close();
    fh = null;
    await fs.rename(tmp, path);
  } catch (err) {
    if (fh) await fh.close().catch(() => {
    });
    await fs.rm(tmp, { force: true }).catch(() => {
    });
    throw new SafetensorsError("io", `writeFileAtomic: cannot write '${path}': ${err.message}`);
  }
  try {
    const d = await fs.open(dir, "r");
    await d.sync().catch(() => {
    });
    await d.close();
  } catch {
  }
}
async function writeSafetensorsFile(path, tensors, metadata) {
  const bytes = serializeSafetensors(tensors, metadata);
  await writeFileAtomic(path, bytes);
}

// ../../packages/nn/src/checkpoint.ts
var CHECKPOINT_METADATA_KEY = "unihetero.checkpoint";
var FORMAT_VERSION = 1;
var ST_DTYPE = { float32: "F32", int32: "I32", float64: "F64" };
async function entryOf(t) {
  const data = await t.data();
  return { dtype: ST_DTYPE[t.dtype], shape: [...t.shape], data };
}
async function moduleEntries(m, prefix, out) {
  for (const [k, t] of m.stateDict()) out[prefix + k] = await entryOf(t);
}
function rngJson(rng) {
  if (rng instanceof Generator) return { single: rng.getState() };
  const named = {};
  for (const [k, g] of Object.entries(rng)) {
    if (!(g instanceof Generator)) throw new Error(`saveCheckpoint: rng.${k} is not a Generator`);
    named[k] = g.getState();
  }
  return { named };
}
async function checkpointToSafetensors(options) {
  const { model, optimizer, ema, scheduler } = options;
  if (!(model instanceof Module)) throw new Error("saveCheckpoint: options.model must be a Module");
  const step = options.step ?? 0;
  if (!Number.isInteger(step) || step < 0) throw new Error(`saveCheckpoint: step must be a non-negative integer, got ${step}`);
  const tensors = {};
  await moduleEntries(model, "model.", tensors);
  const json = { version: FORMAT_VERSION, step };
  if (optimizer) {
    const sd = optimizer.stateDict();
    const steps = {};
    const names = {};
    for (const [i, st] of sd.state) {
      steps[i] = st.step;
      names[i] = Object.keys(st.tensors);
      for (const [n, t] of Object.entries(st.tensors)) tensors[`optim.state.${i}.${n}`] = await entryOf(t);
    }
    json.optimizer = { paramGroups: sd.paramGroups, steps, tensors: names };
  }
  if (ema) {
    await moduleEntries(ema, "ema.", tensors);
    json.ema = { numUpdates: ema.numUpdates, decay: ema.decay };
  }
  if (scheduler) json.scheduler = scheduler.stateDict();
  if (options.rng) json.rng = rngJson(options.rng);
  if (options.extra !== void 0) json.extra = options.extra;
  let text;
  try {
    text = JSON.stringify(json);
  } catch (err) {
    throw new Error(`saveCheckpoint: extra is not JSON-serialisable: ${err.message}`);
  }
  const metadata = { ...options.metadata ?? {}, format: "pt", [CHECKPOINT_METADATA_KEY]: text };
  return { tensors, metadata };
}
async function saveCheckpoint(path, options) {
  const { tensors, metadata } = await checkpointToSafetensors(options);
  await writeSafetensorsFile(path, tensors, metadata);
}
function checkpointJson(file, where2) {
  const raw = file.metadata?.[CHECKPOINT_METADATA_KEY];
  if (raw === void 0) throw new Error(`loadCheckpoint: ${where2} has no '${CHECKPOINT_METADATA_KEY}' metadata; it is not a unihetero checkpoint (use loadSafetensors for plain weight files)`);
  let json;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new Error(`loadCheckpoint: ${where2} has invalid checkpoint metadata JSON: ${err.message}`);
  }
  if (json.version !== FORMAT_VERSION) throw new Error(`loadCheckpoint: ${where2} has checkpoint format version ${json.version}, this build reads ${FORMAT_VERSION}`);
  return json;
}
function tensorFromFile(file, name2, dtype, backend) {
  const info = file.info(name2);
  const shape = [...info.shape];
  let data;
  if (dtype === "int32") {
    const raw = file.get(name2).data;
    if (raw instanceof Int32Array) data = raw;
    else {
      data = new Int32Array(raw.length);
      for (let i = 0; i < raw.length; i++) data[i] = Number(raw[i]);
    }
  } else if (dtype === "float64" && info.dtype === "F64") {
    data = file.get(name2).data;
  } else {
    data = file.getFloat32(name2);
  }
  return noGrad(() => tensor(data, { shape, dtype, backend }));
}
function shapesEqual(a, b) {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
async function openFile(source) {
  if (typeof source === "string") return await readSafetensorsFile(source);
  if (source instanceof Uint8Array) return parseSafetensors(source);
  return source;
}
function planLoad(module, file, op, options) {
  const prefix = options.prefix ?? "";
  const own = module.stateDict();
  const mapped = /* @__PURE__ */ new Map();
  const report2 = { missing: [], unexpected: [], mismatched: [] };
  for (const fileKey of file.names()) {
    if (!fileKey.startsWith(prefix)) continue;
    const stripped = fileKey.slice(prefix.length);
    const key = options.remap ? options.remap(stripped) : stripped;
    if (key === null) continue;
    if (typeof key !== "string") throw new Error(`${op}: remap('${stripped}') returned ${String(key)}, expected a string or null`);
    const prev = mapped.get(key);
    if (prev !== void 0) throw new Error(`${op}: file keys '${prev}' and '${fileKey}' both map to '${key}'`);
    mapped.set(key, fileKey);
    const t = own.get(key);
    if (!t) report2.unexpected.push(key);
    else {
      const shape = file.info(fileKey).shape;
      if (!shapesEqual(shape, t.shape)) report2.mismatched.push({ key, expected: [...t.shape], got: [...shape] });
    }
  }
  for (const k of own.keys()) if (!mapped.has(k)) report2.missing.push(k);
  return { report: report2, mapped };
}
function hasProblems(r) {
  return r.missing.length + r.unexpected.length + r.mismatched.length > 0;
}
function loadIntoModule(module, file, op, options) {
  const { report: report2, mapped } = planLoad(module, file, op, options);
  if ((options.strict ?? true) && hasProblems(report2)) throw new StateDictError(op, report2);
  const skip = new Set(report2.mismatched.map((m) => m.key));
  for (const [key, t] of module.stateDict()) {
    const fileKey = mapped.get(key);
    if (fileKey === void 0 || skip.has(key)) continue;
    const v = tensorFromFile(file, fileKey, t.dtype, t.backend);
    try {
      noGrad(() => t.assign(v));
    } finally {
      v.dispose();
    }
  }
  return report2;
}
async function loadCheckpoint(path, options) {
  const { model, optimizer, ema, scheduler } = options;
  const where2 = typeof path === "string" ? `'${path}'` : "the checkpoint bytes";
  const file = await openFile(path);
  const json = checkpointJson(file, where2);
  if (optimizer && !json.optimizer) throw new Error(`loadCheckpoint: ${where2} has no optimizer state, but an optimizer was given`);
  if (ema && !json.ema) throw new Error(`loadCheckpoint: ${where2} has no EMA state, but an EMA was given`);
  if (options.rng) checkRng(options.rng, json, where2);
  const strict = options.strict ?? true;
  if (strict) {
    const mr = planLoad(model, file, `loadCheckpoint: model in ${where2}`, { prefix: "model." }).report;
    if (hasProblems(mr)) throw new StateDictError(`loadCheckpoint: model in ${where2}`, mr);
    if (ema) {
      const er = planLoad(ema, file, `loadCheckpoint: EMA in ${where2}`, { prefix: "ema." }).report;
      if (hasProblems(er)) throw new StateDictError(`loadCheckpoint: EMA in ${where2}`, er);
    }
  }
  if (optimizer) {
    const { sd, created } = optimizerStateFrom(file, json.optimizer, optimizer, where2);
    try {
      optimizer.loadStateDict(sd);
    } finally {
      for (const t of created) t.dispose();
    }
  }
  const report2 = loadIntoModule(model, file, `loadCheckpoint: model in ${where2}`, { strict, prefix: "model." });
  if (ema) {
    loadIntoModule(ema, file, `loadCheckpoint: EMA in ${where2}`, { strict, prefix: "ema." });
    ema.numUpdates = json.ema.numUpdates;
    ema.decay = json.ema.decay;
  }
  if (scheduler && json.scheduler) scheduler.loadStateDict(json.scheduler);
  if (options.rng) restoreRng(options.rng, json);
  return { step: json.step ?? 0, extra: json.extra, report: report2, metadata: { ...file.metadata ?? {} } };
}
function checkRng(rng, json, where2) {
  if (!json.rng) throw new Error(`loadCheckpoint: ${where2} has no generator state, but rng was given`);
  if (rng instanceof Generator) {
    if (!("single" in json.rng)) throw new Error(`loadCheckpoint: ${where2} saved named generators [${Object.keys(json.rng.named).join(", ")}], but one Generator was given`);
    return;
  }
  if (!("named" in json.rng)) throw new Error(`loadCheckpoint: ${where2} saved one Generator, but named generators were given`);
  const named = json.rng.named;
  const missing = Object.keys(rng).filter((k) => !(k in named));
  if (missing.length) throw new Error(`loadCheckpoint: ${where2} has no state for generators [${missing.join(", ")}]`);
}
function restoreRng(rng, json) {
  if (rng instanceof Generator) rng.setState(json.rng.single);
  else for (const [k, g] of Object.entries(rng)) g.setState(json.rng.named[k]);
}
function optimizerStateFrom(file, o, optimizer, where2) {
  const params = optimizer.params();
  const state = /* @__PURE__ */ new Map();
  const created = [];
  const available = new Set(file.names());
  try {
    for (const [idx, names] of Object.entries(o.tensors)) {
      const i = Number(idx);
      const p = params[i];
      if (!p) throw new Error(`loadCheckpoint: ${where2} has optimizer state for parameter ${i}, but the optimizer has ${params.length} parameters`);
      const tensors = {};
      for (const n of names) {
        const key = `optim.state.${i}.${n}`;
        if (!available.has(key)) throw new Error(`loadCheckpoint: ${where2} lacks tensor '${key}'`);
        const t = tensorFromFile(file, key, p.dtype, p.backend);
        created.push(t);
        tensors[n] = t;
      }
      state.set(i, { step: o.steps[idx] ?? 0, tensors });
    }
  } catch (err) {
    for (const t of created) t.dispose();
    throw err;
  }
  return { sd: { state, paramGroups: o.paramGroups }, created };
}
async function stateDictToSafetensors(module, metadata) {
  const tensors = {};
  await moduleEntries(module, "", tensors);
  return serializeSafetensors(tensors, { format: "pt", ...metadata ?? {} });
}
async function loadSafetensors(module, source, options = {}) {
  const file = await openFile(source);
  const where2 = typeof source === "string" ? ` '${source}'` : "";
  return loadIntoModule(module, file, `loadSafetensors${where2}`, options);
}

// ../../packages/transformer/src/config.ts
function llamaIntermediateSize(hiddenSize, multipleOf = 32, ffnDimMultiplier = 1) {
  positiveInt("llamaIntermediateSize", "hiddenSize", hiddenSize);
  positiveInt("llamaIntermediateSize", "multipleOf", multipleOf);
  const base = Math.floor(Math.floor(2 * 4 * hiddenSize / 3) * ffnDimMultiplier);
  return multipleOf * Math.ceil(base / multipleOf);
}
function positiveInt(op, field, v) {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${field} must be a positive integer, got ${String(v)}`);
}
function positiveNumber(op, field, v) {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new Error(`${op}: ${field} must be a positive finite number, got ${String(v)}`);
}
var QK_NORMS = ["none", "layernorm-shared", "layernorm-per-head"];
var KNOWN = /* @__PURE__ */ new Set([
  "vocabSize",
  "hiddenSize",
  "intermediateSize",
  "numHiddenLayers",
  "numAttentionHeads",
  "numKeyValueHeads",
  "headDim",
  "rmsNormEps",
  "ropeTheta",
  "maxPositionEmbeddings",
  "tieWordEmbeddings",
  "qkNorm",
  "qkNormEps",
  "zLossWeight",
  "initializerRange"
]);
function defineConfig(input) {
  const op = "defineConfig";
  if (typeof input !== "object" || input === null) throw new Error(`${op}: expected a config object, got ${String(input)}`);
  for (const k of Object.keys(input)) if (!KNOWN.has(k)) throw new Error(`${op}: unknown field '${k}' (known: ${[...KNOWN].join(", ")})`);
  for (const f of ["vocabSize", "hiddenSize", "numHiddenLayers", "numAttentionHeads"]) positiveInt(op, f, input[f]);
  const heads = input.numAttentionHeads;
  const cfg = {
    vocabSize: input.vocabSize,
    hiddenSize: input.hiddenSize,
    intermediateSize: input.intermediateSize ?? llamaIntermediateSize(input.hiddenSize, 32),
    numHiddenLayers: input.numHiddenLayers,
    numAttentionHeads: heads,
    numKeyValueHeads: input.numKeyValueHeads ?? heads,
    headDim: input.headDim ?? input.hiddenSize / heads,
    rmsNormEps: input.rmsNormEps ?? 1e-5,
    ropeTheta: input.ropeTheta ?? 1e4,
    maxPositionEmbeddings: input.maxPositionEmbeddings ?? 2048,
    tieWordEmbeddings: input.tieWordEmbeddings ?? false,
    qkNorm: input.qkNorm ?? "layernorm-shared",
    qkNormEps: input.qkNormEps ?? 1e-5,
    zLossWeight: input.zLossWeight ?? 1e-5,
    initializerRange: input.initializerRange ?? 0.02
  };
  if (input.headDim === void 0 && cfg.hiddenSize % heads !== 0) {
    throw new Error(`${op}: hiddenSize ${cfg.hiddenSize} is not divisible by numAttentionHeads ${heads} (or give headDim)`);
  }
  for (const f of ["intermediateSize", "numKeyValueHeads", "headDim", "maxPositionEmbeddings"]) positiveInt(op, f, cfg[f]);
  if (heads % cfg.numKeyValueHeads !== 0) throw new Error(`${op}: numKeyValueHeads ${cfg.numKeyValueHeads} must divide numAttentionHeads ${heads}`);
  if (cfg.headDim % 2 !== 0) throw new Error(`${op}: headDim ${cfg.headDim} must be even for RoPE`);
  for (const f of ["rmsNormEps", "ropeTheta", "qkNormEps", "initializerRange"]) positiveNumber(op, f, cfg[f]);
  if (typeof cfg.zLossWeight !== "number" || !Number.isFinite(cfg.zLossWeight) || cfg.zLossWeight < 0) {
    throw new Error(`${op}: zLossWeight must be a finite number >= 0, got ${String(cfg.zLossWeight)}`);
  }
  if (typeof cfg.tieWordEmbeddings !== "boolean") throw new Error(`${op}: tieWordEmbeddings must be a boolean, got ${String(cfg.tieWordEmbeddings)}`);
  if (!QK_NORMS.includes(cfg.qkNorm)) throw new Error(`${op}: qkNorm must be one of ${QK_NORMS.join(", ")}, got '${String(cfg.qkNorm)}'`);
  return cfg;
}

// ../../packages/transformer/src/rope.ts
function ropeInverseFrequencies(headDim, theta = 1e4) {
  if (!Number.isInteger(headDim) || headDim <= 0 || headDim % 2 !== 0) throw new Error(`ropeInverseFrequencies: headDim must be a positive even integer, got ${headDim}`);
  if (!(theta > 0) || !Number.isFinite(theta)) throw new Error(`ropeInverseFrequencies: theta must be a positive finite number, got ${theta}`);
  const half = headDim / 2;
  const out = new Float64Array(half);
  for (let k = 0; k < half; k++) out[k] = Math.fround(1 / Math.fround(theta ** Math.fround(2 * k / headDim)));
  return out;
}
function ropeTables(positions, rows, length, headDim, theta, backend, dtype = "float32") {
  if (positions.length !== rows * length) throw new Error(`ropeTables: ${positions.length} positions do not fill ${rows} rows of length ${length}`);
  const inv = ropeInverseFrequencies(headDim, theta);
  const half = headDim / 2;
  const n = rows * length * headDim;
  const cos = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  const sin = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < rows * length; i++) {
    const p = positions[i];
    if (!Number.isInteger(p) || p < 0) throw new Error(`ropeTables: positions must be non-negative integers, got ${p} at index ${i}`);
    const base = i * headDim;
    for (let k = 0; k < half; k++) {
      const a = Math.fround(p * inv[k]);
      const c = Math.cos(a);
      const s = Math.sin(a);
      cos[base + k] = c;
      cos[base + half + k] = c;
      sin[base + k] = -s;
      sin[base + half + k] = s;
    }
  }
  const shape = [rows, 1, length, headDim];
  return { cos: tensor(cos, { shape, dtype, backend }), sinSigned: tensor(sin, { shape, dtype, backend }) };
}
function swapHalves(x) {
  const d = x.shape[x.rank - 1];
  const h = d / 2;
  const a = x.narrow(-1, h, h);
  const b = x.narrow(-1, 0, h);
  const out = concat([a, b], -1);
  a.dispose();
  b.dispose();
  return out;
}
function applyRope(x, tables) {
  const d = x.shape[x.rank - 1];
  const td = tables.cos.shape[tables.cos.rank - 1];
  if (d !== td) throw new Error(`applyRope: head dim ${d} of x ${JSON.stringify(x.shape)} does not match the tables' ${td}`);
  const sw = swapHalves(x);
  const a = x.mul(tables.cos);
  const b = sw.mul(tables.sinSigned);
  sw.dispose();
  const out = a.add(b);
  a.dispose();
  b.dispose();
  return out;
}

// ../../packages/transformer/src/mask.ts
var MASKED_LOGIT = -1e9;
function isSpan(s) {
  return Array.isArray(s) && s.length === 2 && typeof s[0] === "number" && typeof s[1] === "number";
}
function spansPerSample(spans, batch, keyLength) {
  if (!spans || spans.length === 0) return null;
  let per;
  if (spans.every(isSpan)) per = Array.from({ length: batch }, () => spans);
  else {
    if (spans.length !== batch) throw new Error(`attention mask: spans has ${spans.length} per-sample lists, expected batch ${batch}`);
    per = spans;
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
      if (sorted[i][0] < sorted[i - 1][1]) throw new Error(`attention mask: spans [${sorted[i - 1][0]}, ${sorted[i - 1][1]}) and [${sorted[i][0]}, ${sorted[i][1]}) of sample ${b} overlap`);
    }
    return sorted;
  });
}
function chunkKeyValid(layout, batch, length) {
  const { lengths, keyPaddingMask } = layout;
  if (lengths === void 0 && keyPaddingMask === void 0) return null;
  const out = Array.from({ length: batch }, () => new Uint8Array(length).fill(1));
  if (lengths !== void 0) {
    if (lengths.length !== batch) throw new Error(`attention mask: lengths has ${lengths.length} entries, expected batch ${batch}`);
    for (let b = 0; b < batch; b++) {
      const n = lengths[b];
      if (!Number.isInteger(n) || n < 0 || n > length) throw new Error(`attention mask: lengths[${b}] = ${n} must be an integer in [0, ${length}]`);
      out[b].fill(0, n);
    }
  }
  if (keyPaddingMask !== void 0) {
    const nested = keyPaddingMask.length > 0 && typeof keyPaddingMask[0] === "object";
    if (nested) {
      const rows = keyPaddingMask;
      if (rows.length !== batch) throw new Error(`attention mask: keyPaddingMask has ${rows.length} rows, expected batch ${batch}`);
      rows.forEach((r, b) => {
        if (r.length !== length) throw new Error(`attention mask: keyPaddingMask row ${b} has ${r.length} entries, expected ${length}`);
        for (let i = 0; i < length; i++) if (!r[i]) out[b][i] = 0;
      });
    } else {
      const flat = keyPaddingMask;
      if (flat.length !== batch * length) throw new Error(`attention mask: keyPaddingMask has ${flat.length} entries, expected ${batch} x ${length} = ${batch * length}`);
      for (let b = 0; b < batch; b++) for (let i = 0; i < length; i++) if (!flat[b * length + i]) out[b][i] = 0;
    }
  }
  return out;
}
function expandMask(layout, geometry) {
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
  const perSample = pastPadded || chunkValid !== null || spans !== null && !spans.every((s) => sameSpans(s, spans[0]));
  const rows = perSample ? batch : 1;
  const allowed = new Uint8Array(rows * lq * lk);
  const spanId = new Int32Array(lk);
  const valid = new Uint8Array(lk);
  for (let r = 0; r < rows; r++) {
    spanId.fill(-1);
    spans?.[r].forEach(([a, e], i) => spanId.fill(i, a, e));
    valid.fill(1);
    if (pastValid) valid.set(pastValid[r], 0);
    if (chunkValid) valid.set(chunkValid[r], past);
    for (let q = 0; q < lq; q++) {
      const qa = past + q;
      const sq = spanId[qa];
      const base = (r * lq + q) * lk;
      for (let k = 0; k < lk; k++) allowed[base + k] = valid[k] && (k <= qa || sq >= 0 && spanId[k] === sq) ? 1 : 0;
    }
  }
  const newKeyValid = chunkValid ?? Array.from({ length: batch }, () => new Uint8Array(lq).fill(1));
  return { allowed, rows, queryLength: lq, keyLength: lk, newKeyValid, allAllowed: !allowed.includes(0) };
}
function sameSpans(a, b) {
  return a.length === b.length && a.every((s, i) => s[0] === b[i][0] && s[1] === b[i][1]);
}
function attentionBias(mask, backend, dtype = "float32") {
  if (mask.allAllowed) return null;
  const n = mask.allowed.length;
  const values = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = mask.allowed[i] ? 0 : MASKED_LOGIT;
  return tensor(values, { shape: [mask.rows, 1, mask.queryLength, mask.keyLength], dtype, backend });
}

// ../../packages/transformer/src/cache.ts
var KVCache = class {
  /** Number of cached positions. */
  length = 0;
  /** Batch size. */
  batch;
  /** Layers. */
  numLayers;
  /** Key/value heads. */
  numKeyValueHeads;
  /** Head width. */
  headDim;
  /** Buffer backend. */
  backend;
  /** Buffer dtype. */
  dtype;
  cap;
  keys = [];
  values = [];
  valid;
  disposed = false;
  /** An empty cache. */
  constructor(options) {
    for (const f of ["numLayers", "batch", "numKeyValueHeads", "headDim"]) {
      const v = options[f];
      if (!Number.isInteger(v) || v <= 0) throw new Error(`KVCache: ${f} must be a positive integer, got ${v}`);
    }
    this.batch = options.batch;
    this.numLayers = options.numLayers;
    this.numKeyValueHeads = options.numKeyValueHeads;
    this.headDim = options.headDim;
    this.backend = options.backend;
    this.dtype = options.dtype ?? "float32";
    this.cap = Math.max(1, options.capacity ?? 64);
    if (!Number.isInteger(this.cap)) throw new Error(`KVCache: capacity must be a positive integer, got ${options.capacity}`);
    this.valid = Array.from({ length: this.batch }, () => new Uint8Array(this.cap));
    this.allocate(this.cap, 0);
  }
  /** Positions the buffers hold before they grow. */
  get capacity() {
    return this.cap;
  }
  allocate(cap, copy) {
    const shape = [this.batch, this.numKeyValueHeads, cap, this.headDim];
    const make = (old) => {
      const t = keep(zeros(shape, { backend: this.backend, dtype: this.dtype }));
      if (old && copy > 0) {
        noGrad(() => {
          const dst = t.narrow(2, 0, copy);
          const src = old.narrow(2, 0, copy);
          dst.assign(src);
          dst.dispose();
          src.dispose();
        });
      }
      old?.dispose();
      return t;
    };
    this.keys = Array.from({ length: this.numLayers }, (_, i) => make(this.keys[i]));
    this.values = Array.from({ length: this.numLayers }, (_, i) => make(this.values[i]));
    this.valid = this.valid.map((v) => {
      const n = new Uint8Array(cap);
      n.set(v.subarray(0, Math.min(v.length, cap)));
      return n;
    });
    this.cap = cap;
  }
  assertAlive(op) {
    if (this.disposed) throw new Error(`KVCache.${op}: the cache was disposed`);
  }
  /** Make room for `total` positions (grows by doubling; keeps the cached ones). */
  reserve(total) {
    this.assertAlive("reserve");
    if (total <= this.cap) return;
    this.allocate(Math.max(total, 2 * this.cap), this.length);
  }
  /** Validity (1 = real token) of the cached keys, one row per sample. */
  pastKeyValid() {
    return this.valid.map((v) => v.slice(0, this.length));
  }
  /**
   * Write layer `layer`'s new keys/values `[B, H_kv, L, d_h]` at positions `length ..
   * length+L-1` and return keys/values for positions `0 .. length+L-1` (the caller disposes
   * them). When `kNew`/`vNew` carry gradients the result is `concat(past, new)`, so gradients
   * reach the new chunk (never the past entries).
   */
  update(layer, kNew, vNew) {
    this.assertAlive("update");
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.numLayers) throw new Error(`KVCache.update: layer ${layer} out of range [0, ${this.numLayers})`);
    const n = kNew.shape[2] ?? 0;
    for (const [name2, t] of [["keys", kNew], ["values", vNew]]) {
      const want = [this.batch, this.numKeyValueHeads, n, this.headDim];
      if (t.rank !== 4 || t.shape.some((s, i) => s !== want[i])) {
        throw new Error(`KVCache.update: new ${name2} ${JSON.stringify(t.shape)} must be [${this.batch}, ${this.numKeyValueHeads}, L, ${this.headDim}] (batch, kv heads, chunk, head dim)`);
      }
    }
    const total = this.length + n;
    if (total > this.cap) throw new Error(`KVCache.update: ${total} positions exceed the capacity ${this.cap} (call reserve first)`);
    const kb = this.keys[layer];
    const vb = this.values[layer];
    noGrad(() => {
      for (const [buf, t] of [[kb, kNew], [vb, vNew]]) {
        const dst = buf.narrow(2, this.length, n);
        dst.assign(t);
        dst.dispose();
      }
    });
    if (kNew.requiresGrad || vNew.requiresGrad) {
      const pk = kb.narrow(2, 0, this.length);
      const pv = vb.narrow(2, 0, this.length);
      const k = this.length > 0 ? concat([pk, kNew], 2) : kNew.mul(1);
      const v = this.length > 0 ? concat([pv, vNew], 2) : vNew.mul(1);
      pk.dispose();
      pv.dispose();
      return { k, v };
    }
    return { k: kb.narrow(2, 0, total), v: vb.narrow(2, 0, total) };
  }
  /** Keep the last written chunk: `length += n`, recording its key validity. */
  advance(n, newKeyValid) {
    this.assertAlive("advance");
    if (this.length + n > this.cap) throw new Error(`KVCache.advance: ${this.length + n} positions exceed the capacity ${this.cap}`);
    for (let b = 0; b < this.batch; b++) {
      const row = newKeyValid?.[b];
      if (row && row.length !== n) throw new Error(`KVCache.advance: key validity row ${b} has ${row.length} entries, expected ${n}`);
      if (row) this.valid[b].set(row, this.length);
      else this.valid[b].fill(1, this.length, this.length + n);
    }
    this.length += n;
  }
  /** Drop every position from `length` on (e.g. the image span of a MAR step). */
  crop(length) {
    this.assertAlive("crop");
    if (!Number.isInteger(length) || length < 0 || length > this.length) throw new Error(`KVCache.crop: length ${length} must be an integer in [0, ${this.length}]`);
    this.length = length;
  }
  /** Free the buffers. */
  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of [...this.keys, ...this.values]) t.dispose();
    this.keys = [];
    this.values = [];
  }
  /** `using cache = ...` support. */
  [Symbol.dispose]() {
    this.dispose();
  }
};

// ../../packages/transformer/src/layers.ts
function project(x, weight) {
  const xt = x.transpose(0, 1);
  const yt = weight.matmul(xt);
  xt.dispose();
  const y = yt.transpose(0, 1);
  yt.dispose();
  return y;
}
function linear(inF, outF, cfg, o) {
  return new Linear(inF, outF, { bias: false, init: { normal: cfg.initializerRange }, generator: o.generator, backend: o.backend, dtype: o.dtype });
}
var HeadNorm = class extends Module {
  /** A qk-norm over `heads` heads of width `headDim`. */
  constructor(heads, headDim, mode, eps = 1e-5, options = {}) {
    super();
    this.heads = heads;
    this.headDim = headDim;
    this.mode = mode;
    this.eps = eps;
    if (mode !== "layernorm-shared" && mode !== "layernorm-per-head") throw new Error(`HeadNorm: mode must be 'layernorm-shared' or 'layernorm-per-head', got '${String(mode)}'`);
    const shape = mode === "layernorm-shared" ? [headDim] : [heads, headDim];
    const o = { backend: options.backend, dtype: options.dtype ?? "float32" };
    this.registerParameter("weight", ones_(zeros(shape, o)));
    this.registerParameter("bias", zeros_(zeros(shape, o)));
  }
  heads;
  headDim;
  mode;
  eps;
  /** Normalise `x [B, heads, L, d_h]` per head vector. */
  forward(x) {
    if (x.rank !== 4 || x.shape[1] !== this.heads || x.shape[3] !== this.headDim) {
      throw new Error(`HeadNorm.forward: expected [B, ${this.heads}, L, ${this.headDim}], got ${JSON.stringify(x.shape)}`);
    }
    if (this.mode === "layernorm-shared") return layerNorm(x, this.weight, this.bias, this.eps);
    return tidy(() => {
      const w = this.weight.reshape(this.heads, 1, this.headDim);
      const b = this.bias.reshape(this.heads, 1, this.headDim);
      return layerNorm(x, null, null, this.eps).mul(w).add(b);
    });
  }
  extraRepr() {
    return `HeadNorm(${this.mode}, heads=${this.heads}, headDim=${this.headDim}, eps=${this.eps})`;
  }
};
var Attention = class extends Module {
  /** The attention of one decoder layer. */
  constructor(config, options = {}) {
    super();
    this.config = config;
    const c = config;
    this.heads = c.numAttentionHeads;
    this.kvHeads = c.numKeyValueHeads;
    this.headDim = c.headDim;
    this.registerModule("q_proj", linear(c.hiddenSize, this.heads * this.headDim, c, options));
    this.registerModule("k_proj", linear(c.hiddenSize, this.kvHeads * this.headDim, c, options));
    this.registerModule("v_proj", linear(c.hiddenSize, this.kvHeads * this.headDim, c, options));
    this.registerModule("o_proj", linear(this.heads * this.headDim, c.hiddenSize, c, options));
    const qk = c.qkNorm;
    this.registerModule("q_norm", qk === "none" ? null : new HeadNorm(this.heads, this.headDim, qk, c.qkNormEps, options));
    this.registerModule("k_norm", qk === "none" ? null : new HeadNorm(this.kvHeads, this.headDim, qk, c.qkNormEps, options));
  }
  config;
  /** `H`. */
  heads;
  /** `H_kv`. */
  kvHeads;
  /** `d_h`. */
  headDim;
  /** `x [B, L, d] -> [B, L, d]`; `layer` indexes the cache. */
  forward(x, ctx, layer = 0) {
    const d = this.config.hiddenSize;
    if (x.rank !== 3 || x.shape[2] !== d) throw new Error(`Attention.forward: expected [B, L, ${d}], got ${JSON.stringify(x.shape)}`);
    const [B, L] = x.shape;
    const H = this.heads;
    const Hkv = this.kvHeads;
    const dh = this.headDim;
    const g = H / Hkv;
    return tidy(() => {
      const x2 = x.reshape(B * L, d);
      const heads = (w, n) => project(x2, w).reshape(B, L, n, dh).permute(0, 2, 1, 3);
      let q = heads(this.q_proj.weight, H);
      let k = heads(this.k_proj.weight, Hkv);
      let v = heads(this.v_proj.weight, Hkv);
      if (this.q_norm) q = this.q_norm.forward(q);
      if (this.k_norm) k = this.k_norm.forward(k);
      q = applyRope(q, ctx.ropeQ);
      k = applyRope(k, ctx.ropeK);
      if (ctx.cache) ({ k, v } = ctx.cache.update(layer, k, v));
      const Lk = k.shape[2];
      let scores = q.reshape(B, Hkv, g * L, dh).matmul(k.transpose(-2, -1)).reshape(B, H, L, Lk);
      if (ctx.bias) scores = scores.add(ctx.bias);
      const p = scores.softmax(-1).reshape(B, Hkv, g * L, Lk);
      const o = p.matmul(v).reshape(B, H, L, dh).permute(0, 2, 1, 3).reshape(B * L, H * dh);
      return project(o, this.o_proj.weight).reshape(B, L, d);
    });
  }
};
var GatedMLP = class extends Module {
  /** The MLP of one decoder layer. */
  constructor(config, options = {}) {
    super();
    this.config = config;
    const c = config;
    this.registerModule("gate_proj", linear(c.hiddenSize, c.intermediateSize, c, options));
    this.registerModule("up_proj", linear(c.hiddenSize, c.intermediateSize, c, options));
    this.registerModule("down_proj", linear(c.intermediateSize, c.hiddenSize, c, options));
  }
  config;
  /** `x [..., d] -> [..., d]`. */
  forward(x) {
    const d = this.config.hiddenSize;
    if (x.rank === 0 || x.shape[x.rank - 1] !== d) throw new Error(`GatedMLP.forward: expected [..., ${d}], got ${JSON.stringify(x.shape)}`);
    return tidy(() => {
      const xt = x.reshape(-1, d).transpose(0, 1);
      const ht = this.gate_proj.weight.matmul(xt).silu().mul(this.up_proj.weight.matmul(xt));
      return this.down_proj.weight.matmul(ht).transpose(0, 1).reshape([...x.shape]);
    });
  }
};
var DecoderLayer = class extends Module {
  /** One decoder layer. */
  constructor(config, options = {}) {
    super();
    this.config = config;
    const no = { eps: config.rmsNormEps, backend: options.backend, dtype: options.dtype };
    this.registerModule("self_attn", new Attention(config, options));
    this.registerModule("mlp", new GatedMLP(config, options));
    this.registerModule("input_layernorm", new RMSNorm(config.hiddenSize, no));
    this.registerModule("post_attention_layernorm", new RMSNorm(config.hiddenSize, no));
  }
  config;
  /** `x [B, L, d] -> [B, L, d]`. */
  forward(x, ctx, layer = 0) {
    return tidy(() => {
      const h = x.add(this.self_attn.forward(this.input_layernorm.forward(x), ctx, layer));
      return h.add(this.mlp.forward(this.post_attention_layernorm.forward(h)));
    });
  }
};

// ../../packages/transformer/src/loss.ts
function textLoss(logits, labels, options = {}) {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const lambda = options.zLossWeight ?? 1e-5;
  const shift2 = options.shift ?? true;
  if (labels.dtype !== "int32") throw new Error(`textLoss: labels must be int32, got ${labels.dtype}`);
  if (logits.rank !== labels.rank + 1 || labels.shape.some((s, i) => s !== logits.shape[i])) {
    throw new Error(`textLoss: logits ${JSON.stringify(logits.shape)} must be labels ${JSON.stringify(labels.shape)} plus a vocabulary dim`);
  }
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new Error(`textLoss: zLossWeight must be a finite number >= 0, got ${lambda}`);
  if (shift2 && labels.rank < 1) throw new Error("textLoss: shift needs labels with a sequence dim");
  return tidy(() => {
    const V = logits.shape[logits.rank - 1];
    let lg = logits;
    let lb = labels;
    if (shift2) {
      const seqDim = labels.rank - 1;
      const L = labels.shape[seqDim];
      lg = logits.narrow(seqDim, 0, Math.max(0, L - 1));
      lb = labels.narrow(seqDim, 1, Math.max(0, L - 1));
    }
    const n = lb.size;
    const flatLogits = lg.reshape(n, V);
    const flatLabels = lb.reshape(n);
    const valid = flatLabels.ne(ignoreIndex);
    const safe = where(valid, flatLabels, 0);
    const logZ = flatLogits.logsumexp(-1);
    const picked = flatLogits.gather(-1, safe.reshape(n, 1)).reshape(n);
    const count = valid.float().sum();
    const denom = count.maximum(1);
    const ce = where(valid, logZ.sub(picked), 0).sum().div(denom);
    const z2 = lambda > 0 ? where(valid, logZ.square(), 0).sum().div(denom).mul(lambda) : ce.mul(0).detach();
    return { loss: ce.add(z2), crossEntropy: ce, zLoss: z2, count };
  });
}

// ../../packages/transformer/src/model.ts
function flatPositions(p, batch, length) {
  const nested = p.length > 0 && typeof p[0] === "object";
  if (nested) {
    const rows = p;
    if (rows.length !== batch) throw new Error(`forward: positionIds has ${rows.length} rows, expected batch ${batch}`);
    const out = new Int32Array(batch * length);
    rows.forEach((r, b) => {
      if (r.length !== length) throw new Error(`forward: positionIds row ${b} has ${r.length} entries, expected ${length}`);
      for (let i = 0; i < length; i++) out[b * length + i] = r[i];
    });
    return { values: out, rows: batch };
  }
  const flat = p;
  if (flat.length === length) return { values: flat, rows: 1 };
  if (flat.length === batch * length) return { values: flat, rows: batch };
  throw new Error(`forward: positionIds has ${flat.length} entries, expected ${length} (shared) or ${batch} x ${length}`);
}
function hostMask(m, batch, length) {
  if (m instanceof Tensor3) {
    if (!m.backend.readSync) throw new Error(`forward: a packed inputsEmbeds needs embedsMask on the host (or on a CPU tensor), got a tensor on ${m.backend.name}`);
    if (m.size !== batch * length) throw new Error(`forward: embedsMask ${JSON.stringify(m.shape)} must be [${batch}, ${length}]`);
    return Uint8Array.from(m.dataSync(), (v) => v ? 1 : 0);
  }
  const nested = m.length > 0 && typeof m[0] === "object";
  const out = new Uint8Array(batch * length);
  if (nested) {
    const rows = m;
    if (rows.length !== batch || rows.some((r) => r.length !== length)) throw new Error(`forward: embedsMask must be ${batch} rows of ${length}`);
    rows.forEach((r, b) => {
      for (let i = 0; i < length; i++) out[b * length + i] = r[i] ? 1 : 0;
    });
  } else {
    const flat = m;
    if (flat.length !== batch * length) throw new Error(`forward: embedsMask has ${flat.length} entries, expected ${batch} x ${length} = ${batch * length}`);
    for (let i = 0; i < flat.length; i++) out[i] = flat[i] ? 1 : 0;
  }
  return out;
}
var TransformerModel = class extends Module {
  /** The validated configuration. */
  config;
  /** A decoder with weights drawn N(0, initializerRange^2) from `options.generator` (METHOD.md 1.5). */
  constructor(config, options = {}) {
    super();
    const c = defineConfig(config);
    this.config = c;
    const lo = { generator: options.generator, backend: options.backend, dtype: options.dtype };
    this.registerModule("embed_tokens", new Embedding(c.vocabSize, c.hiddenSize, { ...lo, std: c.initializerRange }));
    const layers = new ModuleList();
    for (let i = 0; i < c.numHiddenLayers; i++) layers.append(new DecoderLayer(c, options));
    this.registerModule("layers", layers);
    this.registerModule("norm", new RMSNorm(c.hiddenSize, { eps: c.rmsNormEps, backend: options.backend, dtype: options.dtype }));
  }
  /** Backend of the parameters. */
  get backend() {
    return this.embed_tokens.weight.backend;
  }
  /** dtype of the parameters. */
  get dtype() {
    return this.embed_tokens.weight.dtype;
  }
  /** Input embeddings `[B, L, d]` from ids, embeddings, or their mix (see `ForwardInput`). */
  embed(input) {
    const d = this.config.hiddenSize;
    const { inputIds: ids, inputsEmbeds: emb, embedsMask } = input;
    if (ids) {
      if (ids.dtype !== "int32" || ids.rank !== 2) throw new Error(`forward: inputIds must be int32 [B, L], got ${ids.dtype} ${JSON.stringify(ids.shape)}`);
    }
    if (emb) {
      if (emb.shape[emb.rank - 1] !== d || emb.rank !== 3 && emb.rank !== 2) throw new Error(`forward: inputsEmbeds must be [B, L, ${d}] (or packed [M, ${d}]), got ${JSON.stringify(emb.shape)}`);
      if (emb.backend !== this.backend) throw new Error(`forward: inputsEmbeds is on ${emb.backend.name}, the model on ${this.backend.name}`);
    }
    if (!ids && !emb) throw new Error("forward: give inputIds, inputsEmbeds, or both with embedsMask");
    if (!ids) {
      if (emb.rank !== 3) throw new Error(`forward: inputsEmbeds alone must be [B, L, ${d}], got ${JSON.stringify(emb.shape)}`);
      if (embedsMask !== void 0) throw new Error("forward: embedsMask needs inputIds for the positions it does not cover");
      return emb.mul(1);
    }
    if (!emb) {
      if (embedsMask !== void 0) throw new Error("forward: embedsMask was given without inputsEmbeds");
      return this.embed_tokens.forward(ids);
    }
    if (embedsMask === void 0) throw new Error("forward: inputIds and inputsEmbeds together need embedsMask (1 = take the embedding)");
    const [B, L] = ids.shape;
    return tidy(() => {
      const tok = this.embed_tokens.forward(ids);
      if (emb.rank === 3) {
        if (emb.shape[0] !== B || emb.shape[1] !== L) throw new Error(`forward: inputsEmbeds ${JSON.stringify(emb.shape)} must match inputIds [${B}, ${L}]`);
        const m = embedsMask instanceof Tensor3 ? embedsMask : tensor(Int32Array.from(hostMask(embedsMask, B, L)), { shape: [B, L], dtype: "int32", backend: this.backend });
        if (m.size !== B * L) throw new Error(`forward: embedsMask ${JSON.stringify(m.shape)} must be [${B}, ${L}]`);
        return where(m.reshape(B, L, 1), emb, tok);
      }
      const mask = hostMask(embedsMask, B, L);
      let count = 0;
      const index = new Int32Array(B * L);
      for (let i = 0; i < B * L; i++) index[i] = mask[i] ? B * L + count++ : i;
      if (count !== emb.shape[0]) throw new Error(`forward: packed inputsEmbeds has ${emb.shape[0]} rows but embedsMask sets ${count} positions`);
      const all = concat([tok.reshape(B * L, d), emb], 0);
      return all.indexSelect(0, tensor(index, { dtype: "int32", backend: this.backend })).reshape(B, L, d);
    });
  }
  /** Shared per-forward state: RoPE tables and the additive mask, built once for every layer. */
  context(input, batch, length) {
    const c = this.config;
    const cache = input.cache ?? null;
    if (cache) {
      if (cache.batch !== batch) throw new Error(`forward: cache batch ${cache.batch} does not match input batch ${batch}`);
      if (cache.numLayers !== c.numHiddenLayers || cache.numKeyValueHeads !== c.numKeyValueHeads || cache.headDim !== c.headDim) {
        throw new Error(`forward: cache (${cache.numLayers} layers, ${cache.numKeyValueHeads} kv heads, head dim ${cache.headDim}) does not fit this model (${c.numHiddenLayers}, ${c.numKeyValueHeads}, ${c.headDim})`);
      }
    }
    const past = cache?.length ?? 0;
    let pos;
    if (input.positionIds !== void 0) pos = flatPositions(input.positionIds, batch, length);
    else pos = { values: Int32Array.from({ length }, (_, i) => past + i), rows: 1 };
    const be = this.backend;
    const dt = this.dtype;
    const rope = (scale) => {
      const t = ropeTables(pos.values, pos.rows, length, c.headDim, c.ropeTheta, be, dt);
      if (scale === 1) return t;
      const out = { cos: t.cos.mul(scale), sinSigned: t.sinSigned.mul(scale) };
      t.cos.dispose();
      t.sinSigned.dispose();
      return out;
    };
    const mask = expandMask(input.attention ?? {}, { batch, queryLength: length, pastLength: past, pastKeyValid: cache?.pastKeyValid() });
    const ctx = { ropeQ: rope(1 / Math.sqrt(c.headDim)), ropeK: rope(1), bias: attentionBias(mask, be, dt), cache };
    return { ctx, newKeyValid: mask.newKeyValid };
  }
  /** Run the decoder: `[B, L, d]` hidden states after the final norm. */
  forward(input) {
    const c = this.config;
    return tidy(() => {
      const x0 = this.embed(input);
      const [B, L] = x0.shape;
      const { ctx, newKeyValid } = this.context(input, B, L);
      const cache = ctx.cache;
      if (cache) cache.reserve(cache.length + L);
      let x = x0;
      for (let i = 0; i < c.numHiddenLayers; i++) {
        const next = this.layers.at(i).forward(x, ctx, i);
        x.dispose();
        x = next;
      }
      if (cache && input.appendToCache !== false) cache.advance(L, newKeyValid);
      return this.norm.forward(x);
    });
  }
};
var TransformerLM = class extends Module {
  /** The validated configuration. */
  config;
  /** A causal LM with seeded N(0, initializerRange^2) weights (METHOD.md 1.5). */
  constructor(config, options = {}) {
    super();
    this.config = defineConfig(config);
    this.registerModule("model", new TransformerModel(this.config, options));
    const c = this.config;
    this.registerModule(
      "lm_head",
      c.tieWordEmbeddings ? null : new Linear(c.hiddenSize, c.vocabSize, { bias: false, init: { normal: c.initializerRange }, generator: options.generator, backend: options.backend, dtype: options.dtype })
    );
  }
  /** Backend of the parameters. */
  get backend() {
    return this.model.backend;
  }
  /** The LM head's weight `[V, d]` (the embedding table when tied). */
  get headWeight() {
    return this.lm_head ? this.lm_head.weight : this.model.embed_tokens.weight;
  }
  /** Logits `[..., V]` (contiguous) of hidden states `[..., d]`. */
  logits(hiddenStates) {
    const d = this.config.hiddenSize;
    if (hiddenStates.shape[hiddenStates.rank - 1] !== d) throw new Error(`logits: expected hidden states [..., ${d}], got ${JSON.stringify(hiddenStates.shape)}`);
    return tidy(() => project(hiddenStates.reshape(-1, d), this.headWeight).contiguous().reshape([...hiddenStates.shape.slice(0, -1), this.config.vocabSize]));
  }
  /** Run the model; logits only when `returnLogits` (they are `B*L*V` floats). */
  forward(input) {
    return tidy(() => {
      const hiddenStates = this.model.forward(input);
      return { hiddenStates, logits: input.returnLogits ? this.logits(hiddenStates) : null };
    });
  }
  /**
   * Forward plus the text loss against `labels` (see `textLoss`; z-loss weight from the config
   * unless given). Returns the loss parts, the hidden states and the logits.
   */
  computeLoss(input) {
    return tidy(() => {
      const out = this.forward({ ...input, returnLogits: true });
      const parts = textLoss(out.logits, input.labels, { zLossWeight: this.config.zLossWeight, ...input.loss });
      return { ...parts, ...out };
    });
  }
  /** An empty KV cache for `batch` sequences (capacity grows as needed). */
  createCache(batch, capacity = 64) {
    const c = this.config;
    return new KVCache({ numLayers: c.numHiddenLayers, batch, numKeyValueHeads: c.numKeyValueHeads, headDim: c.headDim, capacity, backend: this.backend, dtype: this.model.dtype });
  }
};

// ../../packages/transformer/src/sampling.ts
function checkOptions(o) {
  const t = o.temperature ?? 1;
  if (!(t >= 0) || !Number.isFinite(t)) throw new Error(`sample: temperature must be a finite number >= 0, got ${t}`);
  if (o.topK !== void 0 && (!Number.isInteger(o.topK) || o.topK <= 0)) throw new Error(`sample: topK must be a positive integer, got ${o.topK}`);
  if (o.topP !== void 0 && !(o.topP > 0 && o.topP <= 1)) throw new Error(`sample: topP must be in (0, 1], got ${o.topP}`);
}
function argmax(values) {
  if (values.length === 0) throw new Error("argmax: empty row");
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
function samplingProbabilities(logits, options = {}) {
  checkOptions(options);
  const V = logits.length;
  if (V === 0) throw new Error("samplingProbabilities: empty row");
  for (let i = 0; i < V; i++) if (Number.isNaN(logits[i])) throw new Error(`samplingProbabilities: logit ${i} is NaN`);
  const probs = new Float64Array(V);
  const t = options.temperature ?? 1;
  if (options.greedy || t === 0) {
    probs[argmax(logits)] = 1;
    return probs;
  }
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  const keep2 = Math.min(V, options.topK ?? V);
  const max = logits[order[0]] / t;
  let total = 0;
  for (let j = 0; j < keep2; j++) {
    const i = order[j];
    const e = Math.exp(logits[i] / t - max);
    probs[i] = e;
    total += e;
  }
  const topP = options.topP ?? 1;
  let kept = keep2;
  if (topP < 1) {
    let cum = 0;
    for (let j = 0; j < keep2; j++) {
      cum += probs[order[j]] / total;
      if (cum >= topP) {
        kept = j + 1;
        break;
      }
    }
    for (let j = kept; j < keep2; j++) probs[order[j]] = 0;
  }
  let norm = 0;
  for (let j = 0; j < kept; j++) norm += probs[order[j]];
  for (let j = 0; j < kept; j++) probs[order[j]] /= norm;
  return probs;
}
function sampleFromLogits(logits, options, generator) {
  const probs = samplingProbabilities(logits, options);
  if (options.greedy || options.temperature === 0) return argmax(probs);
  const u = generator.uniform();
  let cum = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] === 0) continue;
    cum += probs[i];
    last = i;
    if (u < cum) return i;
  }
  return last;
}
async function sampleTokens(logits, options, generator) {
  if (logits.rank !== 2 && logits.rank !== 3) throw new Error(`sampleTokens: logits must be [B, V] or [B, L, V], got ${JSON.stringify(logits.shape)}`);
  const last = logits.rank === 3 ? logits.select(1, logits.shape[1] - 1) : logits;
  try {
    const [B, V] = last.shape;
    const data = await last.data();
    const out = new Int32Array(B);
    for (let b = 0; b < B; b++) out[b] = sampleFromLogits(data.subarray(b * V, (b + 1) * V), options, generator);
    return out;
  } finally {
    if (last !== logits) last.dispose();
  }
}

// ../../packages/projectors/src/losses.ts
var COSINE_EPS = 1e-8;
var NORMALIZE_EPS = 1e-12;
function checkEps(op, eps) {
  if (!(eps > 0) || !Number.isFinite(eps)) throw new Error(`${op}: eps must be a positive finite number, got ${eps}`);
}
function checkPair(op, a, b) {
  if (a.rank === 0) throw new Error(`${op}: inputs need a feature dimension, got a scalar`);
  if (a.shape.join() !== b.shape.join()) throw new Error(`${op}: prediction ${fmtShape(a.shape)} and target ${fmtShape(b.shape)} differ`);
}
function clampedNorm(x, eps) {
  return tidy(() => x.square().sum(-1).maximum(eps * eps).sqrt());
}
function cosineSimilaritySafe(a, b, eps = COSINE_EPS) {
  checkPair("cosineSimilaritySafe", a, b);
  checkEps("cosineSimilaritySafe", eps);
  return tidy(() => a.mul(b).sum(-1).div(clampedNorm(a, eps).mul(clampedNorm(b, eps))));
}
function l2Normalize(x, eps = NORMALIZE_EPS) {
  if (x.rank === 0) throw new Error("l2Normalize: input needs a feature dimension, got a scalar");
  checkEps("l2Normalize", eps);
  return tidy(() => x.div(clampedNorm(x, eps).unsqueeze(-1)));
}
function maskedMean(perRow, mask) {
  if (!mask) return tidy(() => perRow.sum().div(Math.max(perRow.size, 1)));
  if (mask.shape.join() !== perRow.shape.join()) {
    throw new Error(`maskedMean: mask ${fmtShape(mask.shape)} does not match the rows ${fmtShape(perRow.shape)}`);
  }
  return tidy(() => {
    const on = mask.ne(0);
    return where(on, perRow, 0).sum().div(on.sum().maximum(1));
  });
}
function checkMask(op, x, mask) {
  if (!mask) return;
  const rows = x.shape.slice(0, -1);
  if (mask.shape.join() !== rows.join()) {
    throw new Error(`${op}: mask ${fmtShape(mask.shape)} must have the inputs' shape without the feature dim, ${fmtShape(rows)} for inputs ${fmtShape(x.shape)}`);
  }
}
function cosineLoss(eHat, t, options = {}) {
  checkPair("cosineLoss", eHat, t);
  checkMask("cosineLoss", eHat, options.mask);
  const eps = options.eps ?? COSINE_EPS;
  checkEps("cosineLoss", eps);
  return tidy(() => maskedMean(cosineSimilaritySafe(eHat, t, eps).neg().add(1), options.mask));
}
function maskedMseLoss(eHat, t, options = {}) {
  checkPair("maskedMseLoss", eHat, t);
  checkMask("maskedMseLoss", eHat, options.mask);
  return tidy(() => maskedMean(eHat.sub(t).square().mean(-1), options.mask));
}

// ../../packages/projectors/src/input-projector.ts
function projectorDepth(type) {
  if (type === "linear") return 1;
  const m = /^mlp([1-9][0-9]*)x_gelu$/.exec(type);
  if (!m) throw new Error(`InputProjector: unknown type '${type}' (expected 'linear' or 'mlp<N>x_gelu' with N >= 1, e.g. 'mlp2x_gelu')`);
  return Number(m[1]);
}
function linear2(x, w, b) {
  const y = x.rank === 1 ? w.matmul(x) : w.matmul(x.transpose(-2, -1)).transpose(-2, -1);
  return b ? y.add(b) : y;
}
var InputProjector = class extends Module {
  /** A projector from `featureDim` (d_v) to `llmDim` (d). */
  constructor(featureDim, llmDim, options = {}) {
    super();
    this.featureDim = featureDim;
    this.llmDim = llmDim;
    for (const [what, v] of [["featureDim", featureDim], ["llmDim", llmDim]]) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`InputProjector: ${what} must be a positive integer, got ${v}`);
    }
    this.type = options.type ?? "mlp2x_gelu";
    this.depth = projectorDepth(this.type);
    this.normalizeInput = options.normalizeInput ?? false;
    this.normalizeEps = options.normalizeEps ?? NORMALIZE_EPS;
    if (!(this.normalizeEps > 0)) throw new Error(`InputProjector: normalizeEps must be positive, got ${this.normalizeEps}`);
    const names = [];
    for (let i = 0; i < this.depth; i++) {
      const name2 = String(2 * i);
      names.push(name2);
      this.registerModule(
        name2,
        new Linear(i === 0 ? featureDim : llmDim, llmDim, {
          bias: options.bias,
          init: options.init,
          generator: options.generator,
          backend: options.backend,
          dtype: options.dtype
        })
      );
    }
    this.linearNames = names;
  }
  featureDim;
  llmDim;
  /** Architecture. */
  type;
  /** Number of Linears. */
  depth;
  /** Whether features are L2-normalised before the first Linear. */
  normalizeInput;
  /** `eps` of that normalisation. */
  normalizeEps;
  /** State-dict names of the Linears, in order (`'0'`, `'2'`, ...). */
  linearNames;
  /** `f [..., d_v] -> [..., d]` with this module's parameters. */
  forward(f) {
    const own = new Map(this.namedParameters());
    return this.forwardWith((name2) => own.get(name2), f, "InputProjector.forward");
  }
  /**
   * The same function with other weights, looked up by state-dict name: used to run the EMA copy
   * `P_ema` from the averaged buffers (METHOD.md 6.4) without a second module.
   */
  forwardWith(weights, f, op = "InputProjector.forwardWith") {
    if (f.rank === 0 || f.shape[f.rank - 1] !== this.featureDim) {
      throw new Error(`${op}: feature width ${f.rank === 0 ? "of a scalar" : f.shape[f.rank - 1]} does not match featureDim ${this.featureDim} (input ${fmtShape(f.shape)})`);
    }
    const layers = this.linearNames.map((name2, i) => {
      const w = weights(`${name2}.weight`);
      if (!w) throw new Error(`${op}: no weight '${name2}.weight'`);
      const want = [this.llmDim, i === 0 ? this.featureDim : this.llmDim];
      if (w.shape.join() !== want.join()) throw new Error(`${op}: '${name2}.weight' is ${fmtShape(w.shape)}, expected ${fmtShape(want)}`);
      const hasBias = this._modules.get(name2).bias !== null;
      const b = hasBias ? weights(`${name2}.bias`) : null;
      if (hasBias && !b) throw new Error(`${op}: no weight '${name2}.bias'`);
      return [w, b ?? null];
    });
    return tidy(() => {
      let h = this.normalizeInput ? l2Normalize(f, this.normalizeEps) : f;
      layers.forEach(([w, b], i) => {
        h = linear2(h, w, b);
        if (i + 1 < layers.length) h = h.gelu();
      });
      return h;
    });
  }
  extraRepr() {
    return `InputProjector(${this.featureDim} -> ${this.llmDim}, ${this.type}${this.normalizeInput ? ", normalizeInput" : ""})`;
  }
};

// ../../packages/projectors/src/invert-projector.ts
function checkWidth(op, what, v) {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${what} must be a positive integer, got ${String(v)}`);
  return v;
}
var InvertProjector = class extends Module {
  /** LLM width `d`. */
  llmDim;
  /** Semantic-feature width `d_v`. */
  featureDim;
  /** Hidden width of the head. */
  hiddenDim;
  /** `eps` of the cosine similarity. */
  eps;
  /** @internal the input projector, held without registering it (it belongs to the model). */
  _inputProjector;
  /** Validate the shared config (the projector must map `featureDim` to `llmDim`). */
  constructor(name2, config) {
    super();
    if (!config || typeof config !== "object") throw new Error(`${name2}: a config object is required, got ${String(config)}`);
    this.llmDim = checkWidth(name2, "llmDim", config.llmDim);
    this.featureDim = checkWidth(name2, "featureDim", config.featureDim);
    this.hiddenDim = checkWidth(name2, "hiddenDim", config.hiddenDim ?? config.llmDim);
    this.eps = config.eps ?? COSINE_EPS;
    if (!(this.eps > 0) || !Number.isFinite(this.eps)) throw new Error(`${name2}: eps must be a positive finite number, got ${this.eps}`);
    const p = config.inputProjector;
    if (!(p instanceof Module) || typeof p.forwardWith !== "function") {
      throw new Error(`${name2}: config.inputProjector must be an InputProjector, got ${p === void 0 ? "undefined" : p?.constructor?.name ?? typeof p}`);
    }
    if (p.featureDim !== this.featureDim || p.llmDim !== this.llmDim) {
      throw new Error(`${name2}: input projector maps ${p.featureDim} -> ${p.llmDim} but config says featureDim ${this.featureDim}, llmDim ${this.llmDim}`);
    }
    this._inputProjector = p;
  }
  /** The model's input projector `P` (not a submodule of this one). */
  get inputProjector() {
    return this._inputProjector;
  }
  /** Width of the prediction and the target (`featureDim` or `llmDim`). */
  get outDim() {
    return this.targetSpace === "feature" ? this.featureDim : this.llmDim;
  }
  /** Called after every optimizer step (the EMA update of `ema-mlp-llm-cos`; nothing for the others). */
  afterOptimizerStep() {
  }
  /** Alias of `predict`. */
  forward(z2) {
    return this.predict(z2);
  }
  /** Throw unless `x`'s last dim is `width`. */
  checkLast(op, what, x, width, name2) {
    if (!(x instanceof Tensor3)) throw new Error(`${this.variant}.${op}: ${what} must be a Tensor, got ${typeof x}`);
    const last = x.rank === 0 ? void 0 : x.shape[x.rank - 1];
    if (last !== width) throw new Error(`${this.variant}.${op}: ${what} width ${last ?? "of a scalar"} does not match ${name2} ${width} (input ${fmtShape(x.shape)})`);
  }
  extraRepr() {
    return `${this.variant}(d=${this.llmDim}, d_v=${this.featureDim}, hidden=${this.hiddenDim}, target=${this.targetSpace})`;
  }
};
function headMLP(config, hiddenDim, hiddenLayers, outDim) {
  const dims = [config.llmDim, ...Array.from({ length: hiddenLayers }, () => hiddenDim), outDim];
  return new MLP(dims, { activation: "gelu", generator: config.generator, backend: config.backend, dtype: config.dtype });
}
function runHead(head, z2, post) {
  return tidy(() => {
    const y = head.forward(z2);
    return post ? post(y) : y;
  });
}

// ../../packages/projectors/src/variants/mlp-cos.ts
var MlpCosProjector = class extends InvertProjector {
  /** Registry name. */
  variant = "mlp-cos";
  /** Fits the semantic feature. */
  targetSpace = "feature";
  /** Build the head from the shared config. */
  constructor(config, name2 = "mlp-cos") {
    super(name2, config);
    this.registerModule("head", headMLP(config, this.hiddenDim, 1, this.featureDim));
  }
  /** `z [..., d] -> e_hat [..., d_v]`. */
  predict(z2) {
    this.checkLast("predict", "hidden state", z2, this.llmDim, "llmDim");
    return runHead(this.head, z2);
  }
  /** `sg(f)`: the features themselves, detached. */
  target(features) {
    this.checkLast("target", "feature", features, this.featureDim, "featureDim");
    return noGrad(() => features.detach());
  }
  /** `mean_{i in M} (1 - cos(e_hat_i, t_i))`. */
  loss(eHat, t, mask) {
    return cosineLoss(eHat, t, { mask, eps: this.eps });
  }
  /** `P(e_hat)`: the predicted feature through the input projector. */
  feedback(eHat) {
    this.checkLast("feedback", "prediction", eHat, this.featureDim, "featureDim");
    return this.inputProjector.forward(eHat);
  }
};
var mlpCos = (config) => new MlpCosProjector(config);

// ../../packages/projectors/src/variants/mlp-mse.ts
var MlpMseProjector = class extends MlpCosProjector {
  /** Registry name. */
  variant = "mlp-mse";
  /** Build the head from the shared config. */
  constructor(config) {
    super(config, "mlp-mse");
  }
  /** `mean_{i in M} mean_c (e_hat_{i,c} - t_{i,c})^2`. */
  loss(eHat, t, mask) {
    return maskedMseLoss(eHat, t, { mask });
  }
};
var mlpMse = (config) => new MlpMseProjector(config);

// ../../packages/projectors/src/variants/norm-3-mlp-cos.ts
var Norm3MlpCosProjector = class extends InvertProjector {
  /** Registry name. */
  variant = "norm-3-mlp-cos";
  /** Fits the (normalised) semantic feature. */
  targetSpace = "feature";
  /** Build the head; the input projector must have `normalizeInput: true`. */
  constructor(config) {
    super("norm-3-mlp-cos", config);
    if (!this.inputProjector.normalizeInput) {
      throw new Error(
        "norm-3-mlp-cos: the input projector must L2-normalise its input (InputProjector option normalizeInput: true), since this variant predicts unit-norm features and feeds them back through it (METHOD.md 6.3)"
      );
    }
    this.registerModule("head", headMLP(config, this.hiddenDim, 2, this.featureDim));
  }
  /** `z [..., d] -> G(z)/max(|G(z)|, eps) [..., d_v]`. */
  predict(z2) {
    this.checkLast("predict", "hidden state", z2, this.llmDim, "llmDim");
    return runHead(this.head, z2, (y) => l2Normalize(y, this.inputProjector.normalizeEps));
  }
  /** `sg(f / max(|f|, eps))`. */
  target(features) {
    this.checkLast("target", "feature", features, this.featureDim, "featureDim");
    return noGrad(() => l2Normalize(features, this.inputProjector.normalizeEps));
  }
  /** `mean_{i in M} (1 - cos(e_hat_i, t_i))`. */
  loss(eHat, t, mask) {
    return cosineLoss(eHat, t, { mask, eps: this.eps });
  }
  /** `P(e_hat)` (P normalises its input, a no-op on the unit-norm prediction up to rounding). */
  feedback(eHat) {
    this.checkLast("feedback", "prediction", eHat, this.featureDim, "featureDim");
    return this.inputProjector.forward(eHat);
  }
};
var norm3MlpCos = (config) => new Norm3MlpCosProjector(config);

// ../../packages/projectors/src/variants/ema-mlp-llm-cos.ts
var DEFAULT_EMA_MOMENTUM = 0.999;
var EmaMlpLlmCosProjector = class extends InvertProjector {
  /** Registry name. */
  variant = "ema-mlp-llm-cos";
  /** Fits the LLM input embedding. */
  targetSpace = "embedding";
  /** Build the head and copy `P` into `P_ema`; `config.momentum` defaults to 0.999. */
  constructor(config) {
    super("ema-mlp-llm-cos", config);
    const mu = config.momentum ?? DEFAULT_EMA_MOMENTUM;
    if (typeof mu !== "number" || !(mu >= 0 && mu <= 1)) throw new Error(`ema-mlp-llm-cos: momentum must be in [0, 1], got ${String(mu)}`);
    this.registerModule("head", headMLP(config, this.hiddenDim, 1, this.llmDim));
    this.registerModule("ema", new ExponentialMovingAverage(this.inputProjector, { decay: mu }));
  }
  /** EMA momentum `mu`. */
  get momentum() {
    return this.ema.decay;
  }
  /** `z [..., d] -> e_hat [..., d]`. */
  predict(z2) {
    this.checkLast("predict", "hidden state", z2, this.llmDim, "llmDim");
    return runHead(this.head, z2);
  }
  /** `sg(P_ema(f))`: the features through the averaged projector, without gradient. */
  target(features) {
    this.checkLast("target", "feature", features, this.featureDim, "featureDim");
    const shadows = this.ema.shadows();
    return noGrad(() => this.inputProjector.forwardWith((name2) => shadows.get(name2), features, "ema-mlp-llm-cos.target"));
  }
  /** `mean_{i in M} (1 - cos(e_hat_i, t_i))`. */
  loss(eHat, t, mask) {
    return cosineLoss(eHat, t, { mask, eps: this.eps });
  }
  /** `e_hat` itself (a new handle on the same values; differentiable). */
  feedback(eHat) {
    this.checkLast("feedback", "prediction", eHat, this.llmDim, "llmDim");
    return eHat.reshape([...eHat.shape]);
  }
  /** `theta_ema <- mu theta_ema + (1 - mu) theta_P` on device, without gradient (METHOD.md 6.4). */
  afterOptimizerStep() {
    this.ema.update();
  }
};
var emaMlpLlmCos = (config) => new EmaMlpLlmCosProjector(config);

// ../../packages/projectors/src/registry.ts
var BUILTIN_INVERT_PROJECTORS = Object.freeze(["mlp-cos", "mlp-mse", "norm-3-mlp-cos", "ema-mlp-llm-cos"]);
var factories = /* @__PURE__ */ new Map([
  ["mlp-cos", mlpCos],
  ["mlp-mse", mlpMse],
  ["norm-3-mlp-cos", norm3MlpCos],
  ["ema-mlp-llm-cos", emaMlpLlmCos]
]);
function invertProjectorNames() {
  return [...factories.keys()].sort();
}
function createInvertProjector(name2, config) {
  const factory = typeof name2 === "string" ? factories.get(name2) : void 0;
  if (!factory) {
    throw new Error(`createInvertProjector: unknown invert-projector ${JSON.stringify(name2)}; known: ${invertProjectorNames().join(", ")}`);
  }
  const made = factory(config);
  if (!(made instanceof InvertProjector)) {
    throw new Error(`createInvertProjector: the factory of '${name2}' returned ${made === null ? "null" : made?.constructor?.name ?? typeof made}, not an InvertProjector`);
  }
  return made;
}

// ../../packages/flow/src/config.ts
var FLOW_HEAD_SIZES = {
  small: { width: 128, depth: 3 },
  base: { width: 1024, depth: 3 },
  "mar-base": { width: 1024, depth: 6 },
  "mar-large": { width: 1280, depth: 8 },
  "mar-huge": { width: 1536, depth: 12 }
};
function positiveInt2(op, name2, v) {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${name2} must be a positive integer, got ${String(v)}`);
}
function positiveNumber2(op, name2, v) {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new Error(`${op}: ${name2} must be a finite number > 0, got ${String(v)}`);
}
function resolveFlowHeadConfig(options) {
  const op = "FlowHead";
  if (options === null || typeof options !== "object") throw new Error(`${op}: expected a configuration object, got ${String(options)}`);
  const cfg = {
    tokenDim: options.tokenDim,
    conditionDim: options.conditionDim,
    width: options.width ?? FLOW_HEAD_SIZES.small.width,
    depth: options.depth ?? FLOW_HEAD_SIZES.small.depth,
    mlpRatio: options.mlpRatio ?? 1,
    outDim: options.outDim ?? options.tokenDim,
    timeEmbedDim: options.timeEmbedDim ?? 256,
    timeScale: options.timeScale ?? 1e3,
    maxPeriod: options.maxPeriod ?? 1e4,
    eps: options.eps ?? 1e-6
  };
  for (const k of ["tokenDim", "conditionDim", "width", "depth", "outDim", "timeEmbedDim"]) positiveInt2(op, k, cfg[k]);
  positiveNumber2(op, "mlpRatio", cfg.mlpRatio);
  if (!Number.isInteger(cfg.width * cfg.mlpRatio)) throw new Error(`${op}: width * mlpRatio must be an integer, got ${cfg.width} * ${cfg.mlpRatio}`);
  if (cfg.timeEmbedDim < 2) throw new Error(`${op}: timeEmbedDim must be at least 2, got ${cfg.timeEmbedDim}`);
  positiveNumber2(op, "timeScale", cfg.timeScale);
  positiveNumber2(op, "maxPeriod", cfg.maxPeriod);
  positiveNumber2(op, "eps", cfg.eps);
  return cfg;
}
function flowHeadConfig(size, options) {
  const s = FLOW_HEAD_SIZES[size];
  if (!s) throw new Error(`flowHeadConfig: unknown size '${String(size)}' (expected one of ${Object.keys(FLOW_HEAD_SIZES).join(", ")})`);
  return resolveFlowHeadConfig({ ...s, ...options });
}

// ../../packages/flow/src/embedding.ts
function sincosFrequencies(dim, maxPeriod = 1e4) {
  if (!Number.isInteger(dim) || dim < 2) throw new Error(`sincosFrequencies: dim must be an integer >= 2, got ${dim}`);
  if (!(maxPeriod > 0) || !Number.isFinite(maxPeriod)) throw new Error(`sincosFrequencies: maxPeriod must be a finite number > 0, got ${maxPeriod}`);
  const half = Math.floor(dim / 2);
  const f = new Float64Array(half);
  for (let k = 0; k < half; k++) f[k] = Math.exp(-Math.log(maxPeriod) * k / half);
  return f;
}
function timestepEmbedding(t, dim, options = {}) {
  const op = "timestepEmbedding";
  if (!(t.rank === 1 || t.rank === 2 && t.shape[1] === 1)) throw new Error(`${op}: expected times of shape [N] or [N, 1], got ${fmtShape(t.shape)}`);
  if (t.dtype === "int32") throw new Error(`${op}: times must be floating, got int32 ${fmtShape(t.shape)}`);
  const scale = options.scale ?? 1;
  if (!Number.isFinite(scale)) throw new Error(`${op}: scale must be finite, got ${scale}`);
  const freqsHost = sincosFrequencies(dim, options.maxPeriod ?? 1e4);
  return tidy(() => {
    const n = t.shape[0];
    const freqs = tensor(t.dtype === "float64" ? freqsHost : Float32Array.from(freqsHost), { shape: [1, freqsHost.length], dtype: t.dtype, backend: t.backend });
    const col = t.rank === 1 ? t.reshape(n, 1) : t;
    const args = (scale === 1 ? col : col.mul(scale)).mul(freqs);
    const parts = [args.cos(), args.sin()];
    if (dim % 2 === 1) parts.push(zeros([n, 1], { dtype: t.dtype, backend: t.backend }));
    return concat(parts, -1);
  });
}
var TimestepEmbedder = class extends Module {
  /** An embedder from times to `hidden`-wide vectors. */
  constructor(hidden, options = {}) {
    super();
    this.hidden = hidden;
    this.frequencyDim = options.frequencyDim ?? 256;
    this.maxPeriod = options.maxPeriod ?? 1e4;
    this.scale = options.scale ?? 1e3;
    const lo = { generator: options.generator, backend: options.backend, dtype: options.dtype, init: { normal: 0.02 } };
    this.registerModule("mlp", new Sequential(new Linear(this.frequencyDim, hidden, lo), new SiLU(), new Linear(hidden, hidden, lo)));
  }
  hidden;
  /** Size of the sinusoidal features. */
  frequencyDim;
  /** Longest period. */
  maxPeriod;
  /** Time multiplier before the sinusoid. */
  scale;
  /** `t [N]` (times in [0, 1]) -> `[N, hidden]`. */
  forward(t) {
    return tidy(() => this.mlp.forward(timestepEmbedding(t, this.frequencyDim, { maxPeriod: this.maxPeriod, scale: this.scale })));
  }
  extraRepr() {
    return `TimestepEmbedder(freq=${this.frequencyDim}, hidden=${this.hidden}, scale=${this.scale})`;
  }
};

// ../../packages/flow/src/head.ts
function modulate(x, shift2, scale) {
  return tidy(() => x.mul(scale.add(1)).add(shift2));
}
var AdaLNResBlock = class extends Module {
  /** A block of width `width` whose MLP is `hidden` wide. */
  constructor(width, hidden, eps, o) {
    super();
    this.width = width;
    this.hidden = hidden;
    const lo = { generator: o.generator, backend: o.backend, dtype: o.dtype };
    this.registerModule("in_ln", new LayerNorm(width, { eps, backend: o.backend, dtype: o.dtype }));
    this.registerModule("mlp", new Sequential(new Linear(width, hidden, { ...lo, init: "xavier_uniform" }), new SiLU(), new Linear(hidden, width, { ...lo, init: "xavier_uniform" })));
    this.registerModule("adaLN_modulation", new Sequential(new SiLU(), new Linear(width, 3 * width, { ...lo, init: "zeros" })));
  }
  width;
  hidden;
  /** `x [T, w]`, conditioning `y [T or 1, w]` -> `[T, w]`. */
  forward(x, y) {
    return tidy(() => this.forwardActivated(x, y.silu()));
  }
  /** Same as `forward` with `SiLU(y)` already computed (shared by all blocks of a head). */
  forwardActivated(x, siluY) {
    return tidy(() => {
      const [shift2, scale, gate] = this.adaLN_modulation.at(1).forward(siluY).chunk(3, -1);
      const h = this.mlp.forward(modulate(this.in_ln.forward(x), shift2, scale));
      return x.add(gate.mul(h));
    });
  }
  extraRepr() {
    return `AdaLNResBlock(width=${this.width}, hidden=${this.hidden})`;
  }
};
var FinalLayer = class extends Module {
  /** A final layer from `width` to `outDim`. */
  constructor(width, outDim, eps, o) {
    super();
    this.width = width;
    this.outDim = outDim;
    const lo = { generator: o.generator, backend: o.backend, dtype: o.dtype, init: "zeros" };
    this.registerModule("norm_final", new LayerNorm(width, { eps, elementwiseAffine: false, backend: o.backend, dtype: o.dtype }));
    this.registerModule("linear", new Linear(width, outDim, lo));
    this.registerModule("adaLN_modulation", new Sequential(new SiLU(), new Linear(width, 2 * width, lo)));
  }
  width;
  outDim;
  /** `x [T, w]`, conditioning `y [T or 1, w]` -> `[T, C_out]`. */
  forward(x, y) {
    return tidy(() => this.forwardActivated(x, y.silu()));
  }
  /** Same as `forward` with `SiLU(y)` already computed. */
  forwardActivated(x, siluY) {
    return tidy(() => {
      const [shift2, scale] = this.adaLN_modulation.at(1).forward(siluY).chunk(2, -1);
      return this.linear.forward(modulate(this.norm_final.forward(x), shift2, scale));
    });
  }
};
var FlowHead = class extends Module {
  /** The resolved configuration. */
  config;
  /** A head for the given sizes (see `FlowHeadOptions`; presets via `flowHeadConfig`). */
  constructor(options, create = {}) {
    super();
    const c = resolveFlowHeadConfig(options);
    this.config = c;
    const lo = { generator: create.generator, backend: create.backend, dtype: create.dtype };
    this.registerModule("time_embed", new TimestepEmbedder(c.width, { ...lo, frequencyDim: c.timeEmbedDim, maxPeriod: c.maxPeriod, scale: c.timeScale }));
    this.registerModule("cond_embed", new Linear(c.conditionDim, c.width, { ...lo, init: "xavier_uniform" }));
    this.registerModule("input_proj", new Linear(c.tokenDim, c.width, { ...lo, init: "xavier_uniform" }));
    const blocks = new ModuleList();
    for (let i = 0; i < c.depth; i++) blocks.append(new AdaLNResBlock(c.width, c.width * c.mlpRatio, c.eps, create));
    this.registerModule("res_blocks", blocks);
    this.registerModule("final_layer", new FinalLayer(c.width, c.outDim, c.eps, create));
  }
  /**
   * The velocity `v(x, t, c)`: `x [..., C]`, `t` a number, a `[1]` tensor or one time per token
   * (`[...]`), `c [..., d]` with the same leading dims as `x` -> `[..., C_out]`.
   */
  forward(x, t, c) {
    const lead = this.checkTokens("FlowHead.forward", x);
    this.checkCondition("FlowHead.forward", c, lead);
    const n = lead.reduce((a, b) => a * b, 1);
    if (t instanceof Tensor3 && t.size !== 1 && (t.size !== n || t.rank !== lead.length && t.rank !== 1 || t.rank === lead.length && t.shape.some((s, i) => s !== lead[i]))) {
      throw new Error(`FlowHead.forward: times ${fmtShape(t.shape)} must be one per token ${fmtShape(lead)} or a single value`);
    }
    return tidy(() => {
      const tEmb = this.embedTime(t, x);
      const cEmb = this.cond_embed.forward(c.reshape(n, this.config.conditionDim));
      const v = this.velocityFromEmbeddings(x.reshape(n, this.config.tokenDim), tEmb, cEmb);
      return v.reshape(...lead, this.config.outDim);
    });
  }
  /** The condition projection `cond_embed(c)`: `c [T, d]` -> `[T, w]` (constant over ODE steps, so samplers compute it once). */
  embedCondition(c) {
    if (c.rank !== 2) throw new Error(`FlowHead.embedCondition: expected a condition [T, ${this.config.conditionDim}], got ${fmtShape(c.shape)}`);
    this.checkCondition("FlowHead.embedCondition", c, [c.shape[0]]);
    return this.cond_embed.forward(c);
  }
  /**
   * The time embedding: a number or a one-element tensor gives `[1, w]` (broadcast over tokens),
   * a tensor of `T` times gives `[T, w]`. `like` supplies the backend and dtype for a number.
   */
  embedTime(t, like) {
    if (typeof t === "number") {
      if (!Number.isFinite(t)) throw new Error(`FlowHead: time must be finite, got ${t}`);
      return tidy(() => this.time_embed.forward(tensor([t], { backend: like.backend, dtype: like.dtype })));
    }
    return tidy(() => this.time_embed.forward(t.reshape(t.size)));
  }
  /**
   * The network body on flattened tokens: `x [T, C]`, time embedding `[T or 1, w]`, condition
   * embedding `[T or 1, w]` -> `[T, C_out]`.
   */
  velocityFromEmbeddings(x, tEmb, cEmb) {
    return tidy(() => {
      const siluY = tEmb.add(cEmb).silu();
      let h = this.input_proj.forward(x);
      for (const block of this.res_blocks) h = block.forwardActivated(h, siluY);
      return this.final_layer.forwardActivated(h, siluY);
    });
  }
  /** Leading dims of a token tensor `[..., C]` (validated). */
  checkTokens(op, x) {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.config.tokenDim) {
      throw new Error(`${op}: latent ${fmtShape(x.shape)} must end with config.tokenDim ${this.config.tokenDim}`);
    }
    if (x.dtype === "int32") throw new Error(`${op}: latent must be floating, got int32 ${fmtShape(x.shape)}`);
    return x.shape.slice(0, -1);
  }
  /** Throw unless `c` is `[...lead, d]`. */
  checkCondition(op, c, lead) {
    const d = c.shape[c.rank - 1];
    if (c.rank < 1 || d !== this.config.conditionDim) throw new Error(`${op}: condition width ${d ?? "none"} (shape ${fmtShape(c.shape)}) does not match config.conditionDim ${this.config.conditionDim}`);
    const cl = c.shape.slice(0, -1);
    if (cl.length !== lead.length || cl.some((s, i) => s !== lead[i])) throw new Error(`${op}: condition ${fmtShape(c.shape)} must have the latent's leading dims ${fmtShape(lead)}`);
    if (c.dtype === "int32") throw new Error(`${op}: condition must be floating, got int32 ${fmtShape(c.shape)}`);
  }
  extraRepr() {
    const c = this.config;
    return `FlowHead(C=${c.tokenDim}, d=${c.conditionDim}, w=${c.width}, D=${c.depth}, out=${c.outDim})`;
  }
};

// ../../packages/flow/src/loss.ts
function resolveTimeDistribution(spec = "logit-normal") {
  const d = typeof spec === "string" ? { kind: spec } : spec;
  if (d?.kind === "uniform") return { kind: "uniform" };
  if (d?.kind !== "logit-normal") throw new Error(`flow: unknown time distribution ${JSON.stringify(spec)} (expected 'logit-normal' or 'uniform')`);
  const mean2 = d.mean ?? 0;
  const std = d.std ?? 1;
  if (!Number.isFinite(mean2) || !(std > 0) || !Number.isFinite(std)) throw new Error(`flow: logit-normal time needs a finite mean and std > 0, got mean=${mean2} std=${std}`);
  return { kind: "logit-normal", mean: mean2, std };
}
function sampleTimes(n, dist = "logit-normal", generator = getDefaultGenerator()) {
  if (!Number.isInteger(n) || n < 0) throw new Error(`sampleTimes: n must be a non-negative integer, got ${n}`);
  const d = resolveTimeDistribution(dist);
  const out = new Float32Array(n);
  if (d.kind === "uniform") for (let i = 0; i < n; i++) out[i] = generator.uniform();
  else for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-(d.mean + d.std * generator.normal())));
  return out;
}
function flowInterpolate(x, eps, t) {
  if (x.rank !== 2 || eps.shape.length !== 2 || x.shape[0] !== eps.shape[0] || x.shape[1] !== eps.shape[1]) {
    throw new Error(`flowInterpolate: data ${fmtShape(x.shape)} and noise ${fmtShape(eps.shape)} must both be [T, C]`);
  }
  if (t.size !== x.shape[0]) throw new Error(`flowInterpolate: times ${fmtShape(t.shape)} must hold one value per token (${x.shape[0]})`);
  return tidy(() => {
    const tc = t.reshape(x.shape[0], 1);
    const velocity = x.sub(eps);
    const xt = eps.add(tc.mul(velocity));
    return { xt, velocity };
  });
}
function flowMatchingLoss(head, target, condition, options = {}) {
  const op = "flowMatchingLoss";
  const cfg = head.config;
  const m = options.batchMul ?? 4;
  if (!Number.isInteger(m) || m < 1) throw new Error(`${op}: batchMul must be a positive integer, got ${m}`);
  if (cfg.outDim !== cfg.tokenDim) throw new Error(`${op}: the head predicts ${cfg.outDim} channels but the velocity has config.tokenDim ${cfg.tokenDim}`);
  if (target.rank < 1 || target.shape[target.rank - 1] !== cfg.tokenDim) throw new Error(`${op}: target ${fmtShape(target.shape)} must end with config.tokenDim ${cfg.tokenDim}`);
  const lead = target.shape.slice(0, -1);
  const cd = condition.shape[condition.rank - 1];
  if (condition.rank < 1 || cd !== cfg.conditionDim) throw new Error(`${op}: condition width ${cd ?? "none"} (shape ${fmtShape(condition.shape)}) does not match config.conditionDim ${cfg.conditionDim}`);
  const cl = condition.shape.slice(0, -1);
  if (cl.length !== lead.length || cl.some((s, i) => s !== lead[i])) throw new Error(`${op}: condition ${fmtShape(condition.shape)} and target ${fmtShape(target.shape)} must have the same leading dims`);
  const mask = options.mask;
  if (mask && (mask.shape.length !== lead.length || mask.shape.some((s, i) => s !== lead[i]))) throw new Error(`${op}: mask ${fmtShape(mask.shape)} must have the tokens' shape ${fmtShape(lead)}`);
  const dist = resolveTimeDistribution(options.time);
  const gen2 = options.generator ?? getDefaultGenerator();
  const n = lead.reduce((a, b) => a * b, 1);
  const C = cfg.tokenDim;
  const w = cfg.width;
  return tidy(() => {
    const b = target.backend;
    const dt = target.dtype === "int32" ? "float32" : target.dtype;
    if (n === 0) return zeros([], { backend: b, dtype: dt });
    const eps = randn([m * n, C], { generator: gen2, backend: b, dtype: dt });
    const times = tensor(dt === "float64" ? Float64Array.from(sampleTimes(m * n, dist, gen2)) : sampleTimes(m * n, dist, gen2), { backend: b, dtype: dt });
    const x1 = target.reshape(n, C);
    const c = options.detachCondition ? condition.detach().reshape(n, cfg.conditionDim) : condition.reshape(n, cfg.conditionDim);
    const repeat = (a, k) => m === 1 ? a : a.unsqueeze(0).expand(m, n, k).reshape(m * n, k);
    const { xt, velocity } = flowInterpolate(repeat(x1, C), eps, times);
    const cEmb = repeat(head.cond_embed.forward(c), w);
    const tEmb = head.time_embed.forward(times);
    const pred = head.velocityFromEmbeddings(xt, tEmb, cEmb);
    const perToken = pred.sub(velocity).square().mean(-1);
    if (!mask) return perToken.mean();
    const mw = mask.dtype === "int32" ? mask.cast(dt) : mask;
    const weights = repeat(mw.reshape(n, 1), 1).reshape(m * n);
    return perToken.mul(weights).sum().div(weights.sum().add(1e-8));
  });
}

// ../../packages/flow/src/sampler.ts
function timeGrid(steps, shift2 = 1) {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`timeGrid: steps must be a positive integer, got ${steps}`);
  if (!(shift2 > 0) || !Number.isFinite(shift2)) throw new Error(`timeGrid: shift must be a finite number > 0, got ${shift2}`);
  const g = new Float64Array(steps + 1);
  for (let k = 0; k <= steps; k++) {
    const t = k / steps;
    g[k] = shift2 === 1 ? t : t / (shift2 - (shift2 - 1) * t);
  }
  g[0] = 0;
  g[steps] = 1;
  return g;
}
function integrateFlow(velocity, x0, options = {}) {
  const method = options.method ?? "euler";
  if (method !== "euler" && method !== "heun") throw new Error(`integrateFlow: unknown method '${String(method)}' (expected 'euler' or 'heun')`);
  const grid = timeGrid(options.steps ?? 50, options.shift ?? 1);
  let x = x0;
  for (let k = 0; k + 1 < grid.length; k++) {
    const t0 = grid[k];
    const t1 = grid[k + 1];
    const h = t1 - t0;
    const next = tidy(() => {
      const v0 = checked(velocity(x, t0), x, t0);
      const euler = x.add(v0.mul(h));
      if (method === "euler") return euler;
      const v1 = checked(velocity(euler, t1), x, t1);
      return x.add(v0.add(v1).mul(h / 2));
    });
    if (x !== x0) x.dispose();
    x = next;
  }
  return x === x0 ? x0.mul(1) : x;
}
function checked(v, x, t) {
  if (!(v instanceof Tensor3) || v.shape.length !== x.shape.length || v.shape.some((s, i) => s !== x.shape[i])) {
    throw new Error(`integrateFlow: the velocity at t=${t} has shape ${v instanceof Tensor3 ? fmtShape(v.shape) : typeof v}, expected ${fmtShape(x.shape)}`);
  }
  return v;
}
function sampleFlow(head, condition, options = {}) {
  const op = "sampleFlow";
  const cfg = head.config;
  if (cfg.outDim !== cfg.tokenDim) throw new Error(`${op}: the head predicts ${cfg.outDim} channels but sampling needs a velocity of config.tokenDim ${cfg.tokenDim}`);
  const d = condition.shape[condition.rank - 1];
  if (condition.rank < 1 || d !== cfg.conditionDim) throw new Error(`${op}: condition width ${d ?? "none"} (shape ${fmtShape(condition.shape)}) does not match config.conditionDim ${cfg.conditionDim}`);
  const lead = condition.shape.slice(0, -1);
  const n = lead.reduce((a, b) => a * b, 1);
  const C = cfg.tokenDim;
  const tau = options.temperature ?? 1;
  if (!(tau >= 0) || !Number.isFinite(tau)) throw new Error(`${op}: temperature must be a finite number >= 0, got ${tau}`);
  const g = options.cfgScale ?? 1;
  if (!Number.isFinite(g)) throw new Error(`${op}: cfgScale must be finite, got ${g}`);
  const guided = g !== 1;
  const nullC = options.nullCondition;
  if (guided && !nullC) throw new Error(`${op}: cfgScale ${g} needs options.nullCondition (the unconditional condition)`);
  if (nullC) {
    const okShape = nullC.shape[nullC.rank - 1] === cfg.conditionDim && (nullC.size === cfg.conditionDim || nullC.size === n * cfg.conditionDim);
    if (!okShape) throw new Error(`${op}: nullCondition ${fmtShape(nullC.shape)} must be [${cfg.conditionDim}], [1, ${cfg.conditionDim}] or the condition's shape ${fmtShape(condition.shape)}`);
  }
  if (options.noise && (options.noise.shape.length !== lead.length + 1 || options.noise.shape.some((s, i) => s !== (i < lead.length ? lead[i] : C)))) {
    throw new Error(`${op}: noise ${fmtShape(options.noise.shape)} must be ${fmtShape([...lead, C])}`);
  }
  return noGrad(
    () => tidy(() => {
      const b = condition.backend;
      const dt = condition.dtype === "int32" ? "float32" : condition.dtype;
      const raw = options.noise ? options.noise.reshape(n, C) : randn([n, C], { generator: options.generator ?? getDefaultGenerator(), backend: b, dtype: dt });
      const x0 = tau === 1 ? raw : raw.mul(tau);
      let cEmb = head.embedCondition(condition.reshape(n, cfg.conditionDim));
      if (guided) {
        const nc = nullC.size === cfg.conditionDim ? head.embedCondition(nullC.reshape(1, cfg.conditionDim)).expand(n, cfg.width) : head.embedCondition(nullC.reshape(n, cfg.conditionDim));
        cEmb = concat([cEmb, nc], 0);
      }
      const like = x0;
      const velocity = (x, t) => tidy(() => {
        const tEmb = head.embedTime(t, like);
        if (!guided) return head.velocityFromEmbeddings(x, tEmb, cEmb);
        const out = head.velocityFromEmbeddings(concat([x, x], 0), tEmb, cEmb);
        const [vc, vu] = out.split(n, 0);
        return vu.add(vc.sub(vu).mul(g));
      });
      const x1 = integrateFlow(velocity, x0, options);
      return x1.reshape(...lead, C);
    })
  );
}

// ../../packages/flow/src/warmup.ts
async function warmupFlowHead(head, data, options) {
  const op = "warmupFlowHead";
  const steps = options.steps;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`${op}: steps must be a positive integer, got ${steps}`);
  const every = options.progressEvery ?? 10;
  if (!Number.isInteger(every) || every < 1) throw new Error(`${op}: progressEvery must be a positive integer, got ${every}`);
  const clip = options.gradClip ?? 3;
  if (!(clip >= 0)) throw new Error(`${op}: gradClip must be >= 0, got ${clip}`);
  const gen2 = options.generator ?? getDefaultGenerator();
  const source = typeof data === "function" ? data : pairSampler(op, head, data, options.batchSize, gen2);
  const own = !options.optimizer;
  const opt = options.optimizer ?? new AdamW(paramGroupsNoDecay(head, { weightDecay: options.weightDecay ?? 0.02 }), { lr: options.lr ?? 1e-4, betas: options.betas ?? [0.9, 0.95] });
  const history = [];
  let finalLoss = NaN;
  try {
    for (let s = 0; s < steps; s++) {
      if (options.schedule) opt.setLr(options.schedule(s));
      const batch = source(s);
      opt.zeroGrad();
      const loss = tidy(
        () => flowMatchingLoss(head, batch.latent, batch.condition, { batchMul: options.batchMul, time: options.time, mask: batch.mask, generator: gen2 })
      );
      loss.backward();
      if (clip > 0) clipGradNorm(head, clip).dispose();
      opt.step();
      if (batch.dispose) for (const t of [batch.condition, batch.latent, batch.mask]) t?.dispose();
      if ((s + 1) % every === 0 || s + 1 === steps) {
        const value = await loss.item();
        if (!Number.isFinite(value)) {
          loss.dispose();
          throw new Error(`${op}: loss became ${value} at step ${s + 1}`);
        }
        const p = { step: s + 1, steps, loss: value, lr: opt.paramGroups[0].lr };
        history.push(p);
        finalLoss = value;
        if (options.onProgress) await options.onProgress(p);
      }
      loss.dispose();
    }
  } finally {
    opt.zeroGrad();
    if (own) opt.dispose();
  }
  return { history, finalLoss };
}
function pairSampler(op, head, pairs, batchSize, gen2) {
  const { conditions, latents } = pairs ?? {};
  if (!(conditions instanceof Tensor3) || !(latents instanceof Tensor3)) throw new Error(`${op}: data must be { conditions, latents } tensors or a batch function`);
  const cfg = head.config;
  if (conditions.rank !== 2 || conditions.shape[1] !== cfg.conditionDim) throw new Error(`${op}: conditions ${fmtShape(conditions.shape)} must be [N, ${cfg.conditionDim}] (config.conditionDim)`);
  if (latents.rank !== 2 || latents.shape[1] !== cfg.tokenDim) throw new Error(`${op}: latents ${fmtShape(latents.shape)} must be [N, ${cfg.tokenDim}] (config.tokenDim)`);
  const N = conditions.shape[0];
  if (latents.shape[0] !== N) throw new Error(`${op}: ${N} conditions but ${latents.shape[0]} latents`);
  if (N === 0) throw new Error(`${op}: no training pairs`);
  const bs = batchSize ?? Math.min(256, N);
  if (!Number.isInteger(bs) || bs < 1 || bs > N) throw new Error(`${op}: batchSize must be an integer in [1, ${N}], got ${bs}`);
  let order = new Int32Array(0);
  let pos = N;
  return () => {
    const idx = new Int32Array(bs);
    for (let i = 0; i < bs; i++) {
      if (pos >= N) {
        order = gen2.permutation(N);
        pos = 0;
      }
      idx[i] = order[pos++];
    }
    const index = tensor(idx, { dtype: "int32", backend: conditions.backend });
    const batch = { condition: conditions.indexSelect(0, index), latent: latents.indexSelect(0, index), dispose: true };
    index.dispose();
    return batch;
  };
}

// ../../packages/masking/src/normal.ts
var SQRT_PI = Math.sqrt(Math.PI);
var SQRT2 = Math.SQRT2;
var INV_SQRT_2PI2 = 1 / Math.sqrt(2 * Math.PI);
function erfSeries(x) {
  const x2 = x * x;
  let term = x;
  let sum2 = x;
  for (let n = 1; n < 200; n++) {
    term *= 2 * x2 / (2 * n + 1);
    sum2 += term;
    if (term < sum2 * 1e-17) break;
  }
  return 2 / SQRT_PI * Math.exp(-x2) * sum2;
}
function erfcContinuedFraction(x) {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / SQRT_PI / f;
}
function erfc2(x) {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 0;
  if (x === -Infinity) return 2;
  if (x >= 1.5) return erfcContinuedFraction(x);
  if (x <= -1.5) return 2 - erfcContinuedFraction(-x);
  return x >= 0 ? 1 - erfSeries(x) : 1 + erfSeries(-x);
}
function normalPdf(z2) {
  return INV_SQRT_2PI2 * Math.exp(-0.5 * z2 * z2);
}
function normalCdf(z2) {
  if (z2 === Infinity) return 1;
  if (z2 === -Infinity) return 0;
  return 0.5 * erfc2(-z2 / SQRT2);
}
function truncatedNormalMoments(mean2, std, lo, hi) {
  if (!(std > 0) || !Number.isFinite(std)) throw new Error(`truncatedNormalMoments: std must be > 0, got ${std}`);
  if (!(lo < hi)) throw new Error(`truncatedNormalMoments: need lo < hi, got lo=${lo} hi=${hi}`);
  const a = (lo - mean2) / std;
  const b = (hi - mean2) / std;
  const mass = a > 0 ? normalCdf(-a) - normalCdf(-b) : normalCdf(b) - normalCdf(a);
  const pa = Number.isFinite(a) ? normalPdf(a) : 0;
  const pb = Number.isFinite(b) ? normalPdf(b) : 0;
  const apa = Number.isFinite(a) ? a * pa : 0;
  const bpb = Number.isFinite(b) ? b * pb : 0;
  const shift2 = (pa - pb) / mass;
  const variance2 = std * std * (1 + (apa - bpb) / mass - shift2 * shift2);
  return { mean: mean2 + std * shift2, std: Math.sqrt(Math.max(0, variance2)), mass };
}

// ../../packages/masking/src/samplers.ts
function checkBatch(op, batch) {
  if (!Number.isInteger(batch) || batch < 0) throw new Error(`${op}.sampleBatch: batch must be an integer >= 0, got ${batch}`);
}
function makeSampleBatch(name2, sample) {
  return (gen2, batch, mode = "per-sample") => {
    checkBatch(name2, batch);
    const out = new Float64Array(batch);
    if (mode === "per-batch") {
      if (batch > 0) out.fill(sample(gen2));
    } else if (mode === "per-sample") {
      for (let i = 0; i < batch; i++) out[i] = sample(gen2);
    } else {
      throw new Error(`${name2}.sampleBatch: mode must be 'per-sample' or 'per-batch', got '${String(mode)}'`);
    }
    return out;
  };
}
function isNum(x) {
  return typeof x === "number" && Number.isFinite(x);
}
function fixed(rate) {
  if (!isNum(rate) || rate < 0 || rate > 1) throw new Error(`fixed: rate must be in [0, 1], got ${String(rate)}`);
  const sample = (_gen) => rate;
  return {
    name: "fixed",
    support: [rate, rate],
    mean: rate,
    std: 0,
    sample,
    sampleBatch: makeSampleBatch("fixed", sample),
    toConfig: () => ({ kind: "fixed", rate })
  };
}
function uniform(a = 0, b = 1) {
  if (!isNum(a) || !isNum(b) || !(a >= 0 && a <= b && b <= 1)) {
    throw new Error(`uniform: need 0 <= a <= b <= 1, got a=${String(a)} b=${String(b)}`);
  }
  const sample = (gen2) => a + (b - a) * gen2.uniform();
  return {
    name: "uniform",
    support: [a, b],
    mean: (a + b) / 2,
    std: (b - a) / Math.sqrt(12),
    sample,
    sampleBatch: makeSampleBatch("uniform", sample),
    toConfig: () => ({ kind: "uniform", a, b })
  };
}
var MIN_ACCEPTANCE = 1e-4;
function gaussian(options = {}) {
  const { mean: loc = 0.7, std: scale = 0.25, lo = 0, hi = 1 } = options;
  if (!isNum(loc)) throw new Error(`gaussian: mean must be a finite number, got ${String(loc)}`);
  if (!isNum(scale) || scale <= 0) throw new Error(`gaussian: std must be > 0, got ${String(scale)}`);
  if (!isNum(lo) || !isNum(hi) || !(lo >= 0 && lo < hi && hi <= 1)) {
    throw new Error(`gaussian: need 0 <= lo < hi <= 1, got lo=${String(lo)} hi=${String(hi)}`);
  }
  const m = truncatedNormalMoments(loc, scale, lo, hi);
  if (!(m.mass >= MIN_ACCEPTANCE)) {
    throw new Error(
      `gaussian: N(${loc}, ${scale}^2) puts only ${m.mass.toExponential(2)} of its mass in [${lo}, ${hi}] (< ${MIN_ACCEPTANCE}); rejection sampling would stall`
    );
  }
  const sample = (gen2) => {
    for (; ; ) {
      const r = loc + scale * gen2.normal();
      if (r >= lo && r <= hi) return r;
    }
  };
  return {
    name: "gaussian",
    support: [lo, hi],
    mean: m.mean,
    std: m.std,
    loc,
    scale,
    acceptance: m.mass,
    sample,
    sampleBatch: makeSampleBatch("gaussian", sample),
    toConfig: () => ({ kind: "gaussian", mean: loc, std: scale, lo, hi })
  };
}
function mar(options = {}) {
  const { min = 0.7 } = options;
  if (!isNum(min) || !(min >= 0 && min < 1)) throw new Error(`mar: min must be in [0, 1), got ${String(min)}`);
  const g = gaussian({ mean: 1, std: 0.25, lo: min, hi: 1 });
  return {
    name: "mar",
    support: [min, 1],
    mean: g.mean,
    std: g.std,
    sample: g.sample,
    sampleBatch: makeSampleBatch("mar", g.sample),
    toConfig: () => ({ kind: "mar", min })
  };
}
var registry2 = /* @__PURE__ */ new Map([
  ["fixed", { options: ["rate"], factory: (o) => fixed(o.rate) }],
  ["uniform", { options: ["a", "b"], factory: (o) => uniform(o.a, o.b) }],
  ["gaussian", { options: ["mean", "std", "lo", "hi"], factory: (o) => gaussian(o) }],
  ["mar", { options: ["min"], factory: (o) => mar(o) }]
]);
function maskRateSamplerKinds() {
  return [...registry2.keys()];
}
var DEFAULT_MASK_RATE_SAMPLER = { kind: "gaussian", mean: 0.7, std: 0.25, lo: 0, hi: 1 };
function getMaskRateSampler(spec = DEFAULT_MASK_RATE_SAMPLER) {
  if (typeof spec === "object" && spec !== null && typeof spec.sample === "function") {
    return spec;
  }
  let kind;
  let options = {};
  if (typeof spec === "string") {
    kind = spec;
  } else if (typeof spec === "object" && spec !== null && typeof spec.kind === "string") {
    const { kind: k, ...rest } = spec;
    kind = k;
    options = rest;
  } else {
    throw new Error(`getMaskRateSampler: expected a kind name, a { kind, ... } config or a sampler, got ${JSON.stringify(spec)}`);
  }
  const entry2 = registry2.get(kind);
  if (!entry2) throw new Error(`getMaskRateSampler: unknown kind '${kind}'; known kinds: ${maskRateSamplerKinds().join(", ")}`);
  for (const key of Object.keys(options)) {
    if (!entry2.options.includes(key)) {
      throw new Error(`${kind}: unknown option '${key}'; known options: ${entry2.options.length ? entry2.options.join(", ") : "(none)"}`);
    }
  }
  if (kind === "fixed" && options.rate === void 0) throw new Error(`fixed: option 'rate' is required`);
  return entry2.factory(options);
}

// ../../packages/masking/src/orders.ts
function checkN(op, n, min = 1) {
  if (!Number.isInteger(n) || n < min) throw new Error(`${op}: n must be an integer >= ${min}, got ${n}`);
}
function checkBatch2(op, batch) {
  if (!Number.isInteger(batch) || batch < 0) throw new Error(`${op}: batch must be an integer >= 0, got ${batch}`);
}
function rasterOrder(n) {
  checkN("rasterOrder", n);
  const o = new Int32Array(n);
  for (let i = 0; i < n; i++) o[i] = n - 1 - i;
  return o;
}
function randomOrders(gen2, batch, n) {
  checkBatch2("randomOrders", batch);
  checkN("randomOrders", n);
  const out = new Int32Array(batch * n);
  for (let b = 0; b < batch; b++) out.set(gen2.permutation(n), b * n);
  return out;
}
function rasterOrders(batch, n) {
  checkBatch2("rasterOrders", batch);
  const one = rasterOrder(n);
  const out = new Int32Array(batch * n);
  for (let b = 0; b < batch; b++) out.set(one, b * n);
  return out;
}
function checkOrder(op, order, n = order.length) {
  if (order.length > n) throw new Error(`${op}: order has ${order.length} entries but n=${n}`);
  const seen = new Uint8Array(n);
  for (let i = 0; i < order.length; i++) {
    const p = order[i];
    if (!Number.isInteger(p) || p < 0 || p >= n) throw new Error(`${op}: order[${i}]=${p} is not a position in [0, ${n})`);
    if (seen[p]) throw new Error(`${op}: order repeats position ${p} (at index ${i})`);
    seen[p] = 1;
  }
}

// ../../packages/masking/src/masks.ts
function maskCount(n, rate) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`maskCount: n must be an integer >= 1, got ${n}`);
  if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) throw new Error(`maskCount: rate must be in [0, 1], got ${rate}`);
  const c = Math.ceil(Math.round(n * rate * 1e9) / 1e9);
  return Math.min(n, Math.max(1, c));
}
function sampleTrainingMasks(gen2, options) {
  const { batch, n, mode = "per-sample", order = "random" } = options;
  if (!Number.isInteger(batch) || batch < 0) throw new Error(`sampleTrainingMasks: batch must be an integer >= 0, got ${batch}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`sampleTrainingMasks: n must be an integer >= 1, got ${n}`);
  const sampler = getMaskRateSampler(options.sampler);
  let orders;
  if (order === "random") orders = randomOrders(gen2, batch, n);
  else if (order === "raster") orders = rasterOrders(batch, n);
  else if (order instanceof Int32Array) {
    if (order.length !== batch * n) throw new Error(`sampleTrainingMasks: explicit orders have ${order.length} entries, expected batch*n = ${batch}*${n} = ${batch * n}`);
    for (let b = 0; b < batch; b++) checkOrder(`sampleTrainingMasks (orders row ${b})`, order.subarray(b * n, (b + 1) * n), n);
    orders = order;
  } else throw new Error(`sampleTrainingMasks: order must be 'random', 'raster' or an Int32Array, got ${String(order)}`);
  const rates = sampler.sampleBatch(gen2, batch, mode);
  const counts = new Int32Array(batch);
  const mask = new Uint8Array(batch * n);
  for (let b = 0; b < batch; b++) {
    const c = maskCount(n, rates[b]);
    counts[b] = c;
    const base = b * n;
    for (let i = 0; i < c; i++) mask[base + orders[base + i]] = 1;
  }
  return { mask, counts, rates, orders };
}

// ../../packages/masking/src/schedules.ts
var cosineSchedule = {
  name: "cosine",
  masked: (k, steps) => Math.cos(Math.PI / 2 * (k + 1) / steps)
};
var linearSchedule = {
  name: "linear",
  masked: (k, steps) => 1 - (k + 1) / steps
};
var schedules = /* @__PURE__ */ new Map([
  ["cosine", cosineSchedule],
  ["linear", linearSchedule]
]);
function getMaskSchedule(spec = "cosine") {
  if (typeof spec === "object" && spec !== null && typeof spec.masked === "function") return spec;
  const s = typeof spec === "string" ? schedules.get(spec) : void 0;
  if (!s) throw new Error(`getMaskSchedule: unknown schedule '${String(spec)}'; known: ${[...schedules.keys()].join(", ")}`);
  return s;
}
function maskedAfterSteps(n, steps, schedule = cosineSchedule) {
  return maskedAfter("maskedAfterSteps", n, steps, schedule);
}
function maskedAfter(op, n, steps, schedule) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${op}: n must be an integer >= 1, got ${n}`);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`${op}: steps must be an integer >= 1, got ${steps}`);
  if (steps > n) throw new Error(`${op}: steps must be <= n (each step reveals at least one token), got steps=${steps} n=${n}`);
  const s = getMaskSchedule(schedule);
  const out = [];
  let maskedNow = n;
  for (let k = 0; k < steps; k++) {
    let next;
    if (k === steps - 1) next = 0;
    else {
      const r = s.masked(k, steps);
      if (typeof r !== "number" || !(r >= 0 && r <= 1)) {
        throw new Error(`${op}: schedule '${s.name}' returned ${r} at step ${k} of ${steps}; expected a fraction in [0, 1]`);
      }
      next = Math.floor(n * r);
      next = Math.max(steps - 1 - k, Math.min(maskedNow - 1, next));
    }
    out.push(next);
    maskedNow = next;
  }
  return out;
}
function revealPlan(n, steps, schedule = cosineSchedule) {
  const masked = maskedAfter("revealPlan", n, steps, schedule);
  let now = n;
  return masked.map((m) => {
    const r = now - m;
    now = m;
    return r;
  });
}
function revealSteps(order, steps, schedule = cosineSchedule) {
  checkPositions("revealSteps", order);
  const masked = maskedAfter("revealSteps", order.length, steps, schedule);
  const out = [];
  let now = order.length;
  for (const m of masked) {
    const step = Int32Array.from({ length: now - m }, (_, i) => order[m + i]);
    step.sort();
    out.push(step);
    now = m;
  }
  return out;
}
function revealStepsBatch(orders, batch, steps, schedule = cosineSchedule) {
  if (!Number.isInteger(batch) || batch < 1 || orders.length % batch !== 0) {
    throw new Error(`revealStepsBatch: orders of length ${orders.length} do not split into batch=${batch} rows`);
  }
  const n = orders.length / batch;
  const plan = revealPlan(n, steps, schedule);
  const out = plan.map((c) => new Int32Array(batch * c));
  for (let b = 0; b < batch; b++) {
    const rows = revealSteps(orders.subarray(b * n, (b + 1) * n), steps, schedule);
    rows.forEach((row, k) => out[k].set(row, b * plan[k]));
  }
  return out;
}
function cfgScale(kind, g, n, nNext) {
  if (!Number.isFinite(g)) throw new Error(`cfgScale: g must be finite, got ${g}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`cfgScale: n must be an integer >= 1, got ${n}`);
  if (!Number.isInteger(nNext) || nNext < 0 || nNext > n) throw new Error(`cfgScale: nNext must be an integer in [0, ${n}], got ${nNext}`);
  if (kind === "linear") return 1 + (g - 1) * (n - nNext) / n;
  if (kind === "constant") return g;
  throw new Error(`cfgScale: unknown schedule '${String(kind)}'; known: linear, constant`);
}
function checkPositions(op, positions) {
  const seen = /* @__PURE__ */ new Set();
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i];
    if (!Number.isInteger(p) || p < 0) throw new Error(`${op}: order[${i}]=${p} is not a non-negative integer position`);
    if (seen.has(p)) throw new Error(`${op}: order repeats position ${p} (at index ${i})`);
    seen.add(p);
  }
}

// ../../packages/masking/src/regeneration.ts
function regenerationCount(n, rho) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`regenerationCount: n must be an integer >= 1, got ${n}`);
  checkRho("regenerationCount", rho);
  return Math.min(n, Math.max(1, Math.round(rho * n)));
}
function checkRho(op, rho) {
  if (typeof rho !== "number" || !(rho > 0 && rho <= 1)) throw new Error(`${op}: rho must be in (0, 1], got ${rho}`);
}
function checkCtx(op, ctx) {
  if (!Number.isInteger(ctx.n) || ctx.n < 1) throw new Error(`${op}: ctx.n must be an integer >= 1, got ${ctx.n}`);
}
function sortedCopy(a) {
  const out = Int32Array.from(a);
  out.sort();
  return out;
}
function randomRemask(rho = 0.25) {
  checkRho("random", rho);
  return {
    name: "random",
    rho,
    select(ctx) {
      checkCtx("random", ctx);
      const { n, gen: gen2 } = ctx;
      const c = regenerationCount(n, rho);
      const idx = new Int32Array(n);
      for (let i = 0; i < n; i++) idx[i] = i;
      for (let i = 0; i < c; i++) {
        const j = i + gen2.int(n - i);
        const t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
      return sortedCopy(idx.subarray(0, c));
    }
  };
}
function originalOrderRemask(rho = 0.25, options = {}) {
  checkRho("originalOrder", rho);
  const { which = "last-revealed" } = options;
  if (which !== "last-revealed" && which !== "first-revealed") {
    throw new Error(`originalOrder: which must be 'last-revealed' or 'first-revealed', got '${String(which)}'`);
  }
  return {
    name: "original-order",
    rho,
    which,
    select(ctx) {
      checkCtx("originalOrder", ctx);
      const { n, order } = ctx;
      if (!order) throw new Error(`originalOrder: ctx.order (the generation order, length n=${n}) is required`);
      if (order.length !== n) throw new Error(`originalOrder: ctx.order has ${order.length} entries, expected n=${n}`);
      checkOrder("originalOrder", order, n);
      const c = regenerationCount(n, rho);
      const picked = which === "last-revealed" ? Array.prototype.slice.call(order, 0, c) : Array.prototype.slice.call(order, n - c, n);
      return sortedCopy(picked);
    }
  };
}
function scoreBasedRemask(rho, scoreFn, name2 = "score-based") {
  checkRho(name2, rho);
  if (typeof scoreFn !== "function") throw new Error(`${name2}: scoreFn must be a function, got ${typeof scoreFn}`);
  return {
    name: name2,
    rho,
    select(ctx) {
      checkCtx(name2, ctx);
      const { n } = ctx;
      const scores = scoreFn(ctx);
      if (!scores || scores.length !== n) throw new Error(`${name2}: expected ${n} scores, got ${scores ? scores.length : String(scores)}`);
      for (let i = 0; i < n; i++) {
        if (typeof scores[i] !== "number" || Number.isNaN(scores[i])) throw new Error(`${name2}: score at position ${i} is ${scores[i]}, expected a number`);
      }
      const c = regenerationCount(n, rho);
      const idx = Array.from({ length: n }, (_, i) => i);
      idx.sort((a, b) => scores[a] - scores[b] || a - b);
      return sortedCopy(idx.slice(0, c));
    }
  };
}
function lowestScoreRemask(rho = 0.25) {
  return scoreBasedRemask(
    rho,
    (ctx) => {
      if (!ctx.scores) throw new Error(`lowestScore: ctx.scores (one score per position, length n=${ctx.n}) is required`);
      return ctx.scores;
    },
    "lowest-score"
  );
}
function getRegenerationPolicy(spec = "random", rho = 0.25) {
  if (typeof spec === "object" && spec !== null && typeof spec.select === "function") return spec;
  const cfg = typeof spec === "string" ? { kind: spec } : { ...spec };
  const { kind, rho: r = rho, ...rest } = cfg;
  const allowed = { random: [], "original-order": ["which"], "lowest-score": [], "lowest-agreement": [] };
  if (typeof kind !== "string" || !(kind in allowed)) {
    throw new Error(`getRegenerationPolicy: unknown kind '${String(kind)}'; known kinds: ${Object.keys(allowed).join(", ")}`);
  }
  for (const key of Object.keys(rest)) {
    if (!allowed[kind].includes(key)) throw new Error(`${kind}: unknown option '${key}'; known options: ${["rho", ...allowed[kind]].join(", ")}`);
  }
  if (kind === "random") return randomRemask(r);
  if (kind === "original-order") return originalOrderRemask(r, { which: rest.which });
  return lowestScoreRemask(r);
}
function resolvePolicy(op, policy, rho) {
  if (typeof policy === "object" && policy !== null && typeof policy.select === "function") {
    const p = policy;
    if (rho !== void 0 && rho !== p.rho) throw new Error(`${op}: rho=${rho} differs from the policy's rho=${p.rho}`);
    return p;
  }
  return getRegenerationPolicy(policy ?? "random", rho ?? 0.25);
}
function regenerationRound(options) {
  const { n, steps, gen: gen2, round = 1, schedule = cosineSchedule, order, scores } = options;
  const op = "regenerationRound";
  if (!Number.isInteger(n) || n < 1) throw new Error(`${op}: n must be an integer >= 1, got ${n}`);
  if (!Number.isInteger(steps) || steps < 1 || steps > n) throw new Error(`${op}: steps must be an integer in [1, n=${n}], got ${steps}`);
  if (!Number.isInteger(round) || round < 1) throw new Error(`${op}: round must be an integer >= 1, got ${round}`);
  if (order !== void 0) {
    if (order.length !== n) throw new Error(`${op}: order has ${order.length} entries, expected n=${n}`);
    checkOrder(op, order, n);
  }
  const policy = resolvePolicy(op, options.policy, options.rho);
  const positions = policy.select({ n, order, round, gen: gen2, scores });
  const m = positions.length;
  if (m < 1) throw new Error(`${op}: policy '${policy.name}' selected no positions`);
  checkOrder(`${op} (policy '${policy.name}' output)`, positions, n);
  let kr = options.roundSteps ?? Math.max(1, Math.round(steps * policy.rho));
  if (!Number.isInteger(kr) || kr < 1) throw new Error(`${op}: roundSteps must be an integer >= 1, got ${kr}`);
  kr = Math.min(kr, m);
  const perm = gen2.permutation(m);
  const roundOrder = new Int32Array(m);
  for (let i = 0; i < m; i++) roundOrder[i] = positions[perm[i]];
  const reveal = revealSteps(roundOrder, kr, schedule);
  const result = { round, positions, steps: kr, order: roundOrder, reveal };
  if (order !== void 0) {
    const chosen = new Uint8Array(n);
    for (const p of positions) chosen[p] = 1;
    const next = new Int32Array(n);
    next.set(roundOrder, 0);
    let j = m;
    for (let i = 0; i < n; i++) if (!chosen[order[i]]) next[j++] = order[i];
    result.generationOrder = next;
  }
  return result;
}

// ../../packages/vision/src/encoders.ts
function checkTokenGridsAlign(semantic, pixel, input) {
  const [sh, sw] = input.semanticImage;
  const [ph, pw] = input.pixelImage ?? input.semanticImage;
  const s = semantic.grid(sh, sw);
  const p = pixel.grid(ph, pw);
  if (s.height !== p.height || s.width !== p.width) {
    throw new Error(
      `checkTokenGridsAlign: semantic grid ${s.height}x${s.width} (image ${sh}x${sw}) does not match pixel grid ${p.height}x${p.width} (image ${ph}x${pw}); resize the images so both encoders produce the same grid`
    );
  }
  return { height: s.height, width: s.width };
}

// ../../packages/vision/src/patchify.ts
function checkPatch(op, p) {
  if (!Number.isInteger(p) || p <= 0) throw new Error(`${op}: patch size must be a positive integer, got ${p}`);
}
function checkLayout(op, layout) {
  if (layout !== "hwc" && layout !== "chw") throw new Error(`${op}: unknown layout '${layout}' (expected 'hwc' or 'chw')`);
}
function patchGrid(height, width, patchSize) {
  checkPatch("patchGrid", patchSize);
  if (height % patchSize !== 0 || width % patchSize !== 0) {
    throw new Error(`patchGrid: image ${height}x${width} is not divisible by patch size ${patchSize}`);
  }
  return { height: height / patchSize, width: width / patchSize };
}
function patchify(images, patchSize, layout = "hwc") {
  checkPatch("patchify", patchSize);
  checkLayout("patchify", layout);
  if (images.rank !== 4) throw new Error(`patchify: expected images [B, C, H, W], got ${fmtShape(images.shape)}`);
  const [b, c, hh, ww] = images.shape;
  if (hh % patchSize !== 0 || ww % patchSize !== 0) {
    throw new Error(`patchify: image ${hh}x${ww} (input ${fmtShape(images.shape)}) is not divisible by patch size ${patchSize}`);
  }
  const p = patchSize;
  const h = hh / p;
  const w = ww / p;
  const six = images.reshape([b, c, h, p, w, p]);
  const perm = layout === "hwc" ? six.permute([0, 2, 4, 3, 5, 1]) : six.permute([0, 2, 4, 1, 3, 5]);
  six.dispose();
  const out = perm.reshape([b, h * w, p * p * c]);
  perm.dispose();
  return out;
}
function unpatchify(tokens, patchSize, grid, channels, layout = "hwc") {
  checkPatch("unpatchify", patchSize);
  checkLayout("unpatchify", layout);
  if (!Number.isInteger(channels) || channels <= 0) throw new Error(`unpatchify: channels must be a positive integer, got ${channels}`);
  if (tokens.rank !== 3) throw new Error(`unpatchify: expected tokens [B, N, D], got ${fmtShape(tokens.shape)}`);
  const [b, n, d] = tokens.shape;
  const p = patchSize;
  const { height: h, width: w } = grid;
  if (n !== h * w) throw new Error(`unpatchify: ${n} tokens do not fill a ${h}x${w} grid (${h * w} tokens)`);
  if (d !== p * p * channels) throw new Error(`unpatchify: token width ${d} is not patch ${p}x${p} x ${channels} channels = ${p * p * channels}`);
  const six = layout === "hwc" ? tokens.reshape([b, h, w, p, p, channels]) : tokens.reshape([b, h, w, channels, p, p]);
  const perm = layout === "hwc" ? six.permute([0, 5, 1, 3, 2, 4]) : six.permute([0, 3, 1, 4, 2, 5]);
  six.dispose();
  const out = perm.reshape([b, channels, h * p, w * p]);
  perm.dispose();
  return out;
}

// ../../packages/vision/src/normalization.ts
async function measureLatentStats(latents, options = {}) {
  if (latents.rank < 1) throw new Error(`measureLatentStats: expected latents [..., C], got ${fmtShape(latents.shape)}`);
  const c = latents.shape[latents.rank - 1];
  const n = latents.size / c;
  if (n < 2) throw new Error(`measureLatentStats: need at least 2 samples per channel, got ${n} (latents ${fmtShape(latents.shape)})`);
  const data = await latents.data();
  const perChannel = options.perChannel ?? true;
  const center = options.center ?? true;
  const minStd = options.minStd ?? 1e-8;
  const groups = perChannel ? c : 1;
  const sum2 = new Float64Array(groups);
  const cnt = new Float64Array(groups);
  for (let i = 0; i < data.length; i++) {
    const g = perChannel ? i % c : 0;
    sum2[g] += data[i];
    cnt[g] += 1;
  }
  const mean2 = Array.from(sum2, (s, g) => s / cnt[g]);
  const sq = new Float64Array(groups);
  for (let i = 0; i < data.length; i++) {
    const g = perChannel ? i % c : 0;
    const d = data[i] - mean2[g];
    sq[g] += d * d;
  }
  const scale = [];
  const shift2 = [];
  for (let g = 0; g < groups; g++) {
    const std = Math.sqrt(sq[g] / cnt[g]);
    if (!(std > minStd)) {
      const what = perChannel ? `channel ${g}` : "the latents";
      throw new Error(`measureLatentStats: ${what} has std ${std} over ${cnt[g]} values (latents ${fmtShape(latents.shape)}); cannot normalise${perChannel ? " (try perChannel: false)" : ""}`);
    }
    scale.push(1 / std);
    shift2.push(center ? mean2[g] : 0);
  }
  if (!perChannel) return { scale: new Array(c).fill(scale[0]), shift: new Array(c).fill(shift2[0]) };
  return { scale, shift: shift2 };
}
function checkLatentStats(op, stats, channels) {
  for (const k of ["scale", "shift"]) {
    const v = stats[k];
    if (!Array.isArray(v) || v.length !== channels) throw new Error(`${op}: ${k} must have ${channels} entries, got ${Array.isArray(v) ? v.length : typeof v}`);
    v.forEach((x, i) => {
      if (typeof x !== "number" || !Number.isFinite(x)) throw new Error(`${op}: ${k}[${i}] is not a finite number: ${x}`);
    });
  }
  stats.scale.forEach((x, i) => {
    if (x === 0) throw new Error(`${op}: scale[${i}] is 0; decoding would divide by zero`);
  });
}
var LatentNormalization = class extends Module {
  /** Statistics for `channels` channels (default: identity, scale 1 and shift 0). */
  constructor(channels, stats, backend) {
    super();
    this.channels = channels;
    if (!Number.isInteger(channels) || channels <= 0) throw new Error(`LatentNormalization: channels must be a positive integer, got ${channels}`);
    const s = stats ?? { scale: new Array(channels).fill(1), shift: new Array(channels).fill(0) };
    checkLatentStats("LatentNormalization", s, channels);
    this.registerBuffer("scale", tensor(s.scale, { backend }));
    this.registerBuffer("shift", tensor(s.shift, { backend }));
  }
  channels;
  /** Replace the statistics in place. */
  set(stats) {
    checkLatentStats("LatentNormalization.set", stats, this.channels);
    noGrad(() => {
      tidy(() => {
        this.scale.assign(tensor(stats.scale, { backend: this.scale.backend }));
        this.shift.assign(tensor(stats.shift, { backend: this.shift.backend }));
      });
    });
  }
  /** The statistics as plain arrays. */
  async stats() {
    return { scale: Array.from(await this.scale.data()), shift: Array.from(await this.shift.data()) };
  }
  /** `(x - shift) · scale` over the last dim of `x [..., C]`. */
  normalize(x) {
    this.check("normalize", x);
    return tidy(() => x.sub(this.shift).mul(this.scale));
  }
  /** `z / scale + shift` over the last dim of `z [..., C]`. */
  denormalize(z2) {
    this.check("denormalize", z2);
    return tidy(() => z2.div(this.scale).add(this.shift));
  }
  check(op, x) {
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.channels) {
      throw new Error(`LatentNormalization.${op}: expected [..., ${this.channels}], got ${fmtShape(x.shape)}`);
    }
  }
  extraRepr() {
    return `LatentNormalization(${this.channels})`;
  }
};

// ../../packages/vision/src/pixel.ts
var PIXEL_ENCODER_METADATA_KEY = "unihetero.pixel_encoder";
var PatchifyEncoder = class _PatchifyEncoder extends Module {
  /** Patch side. */
  patchSize;
  /** Image channels. */
  channels;
  /** Token value order. */
  layout;
  /** Latent channels per token. */
  latentDim;
  /** A patchify encoder with optional stored statistics. */
  constructor(options = {}) {
    super();
    this.patchSize = options.patchSize ?? 4;
    this.channels = options.channels ?? 3;
    this.layout = options.layout ?? "hwc";
    if (!Number.isInteger(this.patchSize) || this.patchSize <= 0) throw new Error(`PatchifyEncoder: patchSize must be a positive integer, got ${this.patchSize}`);
    if (!Number.isInteger(this.channels) || this.channels <= 0) throw new Error(`PatchifyEncoder: channels must be a positive integer, got ${this.channels}`);
    if (this.layout !== "hwc" && this.layout !== "chw") throw new Error(`PatchifyEncoder: unknown layout '${String(this.layout)}'`);
    this.latentDim = this.patchSize * this.patchSize * this.channels;
    this.registerModule("normalization", new LatentNormalization(this.latentDim, options.stats, options.backend));
  }
  /** The JSON config (without statistics). */
  config() {
    return { patchSize: this.patchSize, channels: this.channels, layout: this.layout };
  }
  /** The token grid for an `height × width` image (throws unless the patch size divides both). */
  grid(height, width) {
    return patchGrid(height, width, this.patchSize);
  }
  /** Raw (unnormalised) patch tokens `[B, N, C]`. */
  patchify(images) {
    this.checkImages("patchify", images);
    return patchify(images, this.patchSize, this.layout);
  }
  /** Normalised latents `[B, N, C]`. */
  encode(images) {
    this.checkImages("encode", images);
    return tidy(() => this.normalization.normalize(patchify(images, this.patchSize, this.layout)));
  }
  /** Images `[B, channels, h·p, w·p]` from latents `[B, h·w, C]`; a square grid is assumed unless given. */
  decode(latents, grid) {
    if (latents.rank !== 3 || latents.shape[2] !== this.latentDim) {
      throw new Error(`PatchifyEncoder.decode: expected latents [B, N, ${this.latentDim}], got ${fmtShape(latents.shape)}`);
    }
    const n = latents.shape[1];
    let g = grid;
    if (!g) {
      const side = Math.round(Math.sqrt(n));
      if (side * side !== n) throw new Error(`PatchifyEncoder.decode: ${n} tokens are not a square grid; pass the grid`);
      g = { height: side, width: side };
    }
    const gg = g;
    return tidy(() => unpatchify(this.normalization.denormalize(latents), this.patchSize, gg, this.channels, this.layout));
  }
  /** Measure latent statistics on `images` (raw patch tokens), store them, and return them. */
  async fitNormalization(images, options = {}) {
    const raw = noGrad(() => this.patchify(images));
    try {
      const stats = await measureLatentStats(raw, options);
      this.normalization.set(stats);
      return stats;
    } finally {
      raw.dispose();
    }
  }
  /** The encoder as `.safetensors` bytes: statistics as tensors, config in the metadata. */
  async toSafetensors() {
    return stateDictToSafetensors(this, { [PIXEL_ENCODER_METADATA_KEY]: JSON.stringify(this.config()) });
  }
  /** Write `toSafetensors()` to `path` atomically (Node). */
  async save(path) {
    await writeFileAtomic(path, await this.toSafetensors());
  }
  /** Rebuild an encoder from `toSafetensors()` bytes or a path (Node), strictly. */
  static async load(source, backend) {
    const file = typeof source === "string" ? await readSafetensorsFile(source) : parseSafetensors(source);
    const raw = file.metadata?.[PIXEL_ENCODER_METADATA_KEY];
    const where2 = typeof source === "string" ? ` '${source}'` : "";
    if (raw === void 0) throw new Error(`PatchifyEncoder.load${where2}: no '${PIXEL_ENCODER_METADATA_KEY}' metadata; not a saved PatchifyEncoder`);
    let config;
    try {
      config = JSON.parse(raw);
    } catch (err) {
      throw new Error(`PatchifyEncoder.load${where2}: invalid config JSON: ${err.message}`);
    }
    const enc = new _PatchifyEncoder({ ...config, backend });
    await loadSafetensors(enc, file);
    return enc;
  }
  checkImages(op, images) {
    if (images.rank !== 4 || images.shape[1] !== this.channels) {
      throw new Error(`PatchifyEncoder.${op}: expected images [B, ${this.channels}, H, W], got ${fmtShape(images.shape)}`);
    }
  }
  extraRepr() {
    return `PatchifyEncoder(patch=${this.patchSize}, channels=${this.channels}, layout=${this.layout}, C=${this.latentDim})`;
  }
};

// ../../packages/vision/src/interp.ts
var BICUBIC_A = -0.75;
var BICUBIC_AA_A = -0.5;
function cubicKernel(x, a = BICUBIC_A) {
  const t = Math.abs(x);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}
function checkSize(op, what, v) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${what} must be a positive integer, got ${v}`);
}
function axisScale(inSize, outSize, alignCorners, scaleFactor) {
  if (alignCorners) return outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  if (scaleFactor !== void 0) return 1 / scaleFactor;
  return inSize / outSize;
}
var matrixCache = /* @__PURE__ */ new Map();
function resizeMatrix(inSize, outSize, options = {}) {
  checkSize("resizeMatrix", "inSize", inSize);
  checkSize("resizeMatrix", "outSize", outSize);
  const mode = options.mode ?? "bicubic";
  if (mode !== "bicubic" && mode !== "bilinear") throw new Error(`resizeMatrix: unknown mode '${String(mode)}' (expected 'bicubic' or 'bilinear')`);
  const alignCorners = options.alignCorners ?? false;
  const antialias = options.antialias ?? false;
  const sf = options.scaleFactor;
  if (sf !== void 0 && !(sf > 0 && Number.isFinite(sf))) throw new Error(`resizeMatrix: scaleFactor must be a positive number, got ${sf}`);
  if (antialias && alignCorners) throw new Error("resizeMatrix: antialias with alignCorners is not supported");
  const key = `${inSize}|${outSize}|${mode}|${alignCorners}|${antialias}|${sf}`;
  const hit = matrixCache.get(key);
  if (hit) return hit;
  const m = new Float64Array(outSize * inSize);
  const scale = axisScale(inSize, outSize, alignCorners, sf);
  const clampIdx = (i) => Math.min(Math.max(i, 0), inSize - 1);
  if (antialias) {
    const interpSize = mode === "bicubic" ? 4 : 2;
    const support = scale >= 1 ? interpSize / 2 * scale : interpSize / 2;
    const inv = scale >= 1 ? 1 / scale : 1;
    const filter = mode === "bicubic" ? (x) => cubicKernel(x, BICUBIC_AA_A) : (x) => Math.max(0, 1 - Math.abs(x));
    for (let o = 0; o < outSize; o++) {
      const center = scale * (o + 0.5);
      const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
      const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
      let total = 0;
      const w = [];
      for (let j = xmin; j < xmax; j++) {
        const v = filter((j - center + 0.5) * inv);
        w.push(v);
        total += v;
      }
      for (let j = xmin; j < xmax; j++) m[o * inSize + j] = total !== 0 ? w[j - xmin] / total : 0;
    }
  } else if (mode === "bicubic") {
    for (let o = 0; o < outSize; o++) {
      const src = alignCorners ? scale * o : scale * (o + 0.5) - 0.5;
      const i0 = Math.floor(src);
      const t = src - i0;
      const coeffs = [cubicKernel(t + 1), cubicKernel(t), cubicKernel(1 - t), cubicKernel(2 - t)];
      for (let k = 0; k < 4; k++) m[o * inSize + clampIdx(i0 - 1 + k)] += coeffs[k];
    }
  } else {
    for (let o = 0; o < outSize; o++) {
      const src = alignCorners ? scale * o : Math.max(scale * (o + 0.5) - 0.5, 0);
      const i0 = Math.min(Math.floor(src), inSize - 1);
      const i1 = Math.min(i0 + 1, inSize - 1);
      const l1 = src - i0;
      m[o * inSize + i0] += 1 - l1;
      m[o * inSize + i1] += l1;
    }
  }
  const out = Float32Array.from(m);
  matrixCache.set(key, out);
  return out;
}
function resize2d(x, size, options = {}, optionsW = options) {
  if (x.rank < 2) throw new Error(`resize2d: expected input [..., H, W], got ${fmtShape(x.shape)}`);
  const [oh, ow] = size;
  checkSize("resize2d", "height", oh);
  checkSize("resize2d", "width", ow);
  const ih = x.shape[x.rank - 2];
  const iw = x.shape[x.rank - 1];
  return tidy(() => {
    let y = x;
    if (ih !== oh || options.scaleFactor !== void 0) {
      const mh = tensor(resizeMatrix(ih, oh, options), { shape: [oh, ih], backend: x.backend });
      y = mh.matmul(y);
    }
    if (iw !== ow || optionsW.scaleFactor !== void 0) {
      const mw = tensor(resizeMatrix(iw, ow, optionsW), { shape: [ow, iw], backend: x.backend });
      y = y.matmul(mw.transpose(0, 1));
    }
    return y === x ? x.clone() : y;
  });
}

// ../../packages/vision/src/preprocess.ts
var IMAGENET_MEAN = Object.freeze([0.485, 0.456, 0.406]);
var IMAGENET_STD = Object.freeze([0.229, 0.224, 0.225]);
var DINOV2_PREPROCESSING = Object.freeze({
  resize: { shortestEdge: 256 },
  interpolation: "bicubic",
  antialias: true,
  centerCrop: { height: 224, width: 224 },
  normalize: { mean: IMAGENET_MEAN, std: IMAGENET_STD }
});
var IMAGENET_NORMALIZATION = Object.freeze({ normalize: { mean: IMAGENET_MEAN, std: IMAGENET_STD } });
var NO_PREPROCESSING = Object.freeze({});
function posInt2(op, what, v) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${what} must be a positive integer, got ${v}`);
}
function resizedSize(h, w, r) {
  if ("shortestEdge" in r) {
    posInt2("preprocessImages", "resize.shortestEdge", r.shortestEdge);
    const s = r.shortestEdge;
    return h <= w ? [s, Math.trunc(s * w / h)] : [Math.trunc(s * h / w), s];
  }
  posInt2("preprocessImages", "resize.height", r.height);
  posInt2("preprocessImages", "resize.width", r.width);
  return [r.height, r.width];
}
function preprocessedSize(height, width, p) {
  let [h, w] = p.resize ? resizedSize(height, width, p.resize) : [height, width];
  if (p.centerCrop) {
    const { height: ch, width: cw } = p.centerCrop;
    posInt2("preprocessImages", "centerCrop.height", ch);
    posInt2("preprocessImages", "centerCrop.width", cw);
    if (ch > h || cw > w) throw new Error(`preprocessImages: centre crop ${ch}x${cw} is larger than the ${h}x${w} image`);
    [h, w] = [ch, cw];
  }
  return [h, w];
}
function preprocessImages(images, p) {
  if (images.rank !== 4) throw new Error(`preprocessImages: expected images [B, C, H, W], got ${fmtShape(images.shape)}`);
  const [, c, h0, w0] = images.shape;
  const norm = p.normalize ?? null;
  if (norm) {
    if (norm.mean.length !== c || norm.std.length !== c) {
      throw new Error(`preprocessImages: normalize has ${norm.mean.length} means and ${norm.std.length} stds for ${c} channels`);
    }
    norm.std.forEach((s, i) => {
      if (!(s > 0)) throw new Error(`preprocessImages: normalize.std[${i}] must be positive, got ${s}`);
    });
  }
  const [oh, ow] = preprocessedSize(h0, w0, p);
  return tidy(() => {
    let x = images;
    if (p.resize) {
      const [rh, rw] = resizedSize(h0, w0, p.resize);
      if (rh !== h0 || rw !== w0) x = resize2d(x, [rh, rw], { mode: p.interpolation ?? "bicubic", antialias: p.antialias ?? true });
    }
    if (p.centerCrop) {
      const [h, w] = [x.shape[2], x.shape[3]];
      x = x.narrow(2, Math.trunc((h - oh) / 2), oh).narrow(3, Math.trunc((w - ow) / 2), ow);
    }
    if (norm) {
      const a = tensor(norm.std.map((s) => 1 / (2 * s)), { shape: [1, c, 1, 1], backend: x.backend });
      const b = tensor(norm.mean.map((m, i) => (0.5 - m) / norm.std[i]), { shape: [1, c, 1, 1], backend: x.backend });
      x = x.mul(a).add(b);
    }
    return x === images ? images.clone() : x.contiguous();
  });
}

// ../../packages/vision/src/vit/config.ts
var DINOV2_SMALL = Object.freeze({
  hiddenSize: 384,
  numHiddenLayers: 12,
  numAttentionHeads: 6,
  mlpRatio: 4,
  patchSize: 14,
  imageSize: 518,
  numChannels: 3,
  layerNormEps: 1e-6,
  layerscaleValue: 1,
  qkvBias: true,
  useSwigluFfn: false,
  hiddenAct: "gelu",
  numRegisterTokens: 0,
  useMaskToken: true,
  interpolateAntialias: false,
  initializerRange: 0.02
});
var SHAPES_VIT_TINY = Object.freeze({
  ...DINOV2_SMALL,
  hiddenSize: 64,
  numHiddenLayers: 4,
  numAttentionHeads: 4,
  patchSize: 4,
  imageSize: 32
});
var ANTIALIAS_KEY = "unihetero_interpolate_antialias";
var ACTIVATIONS = ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish"];
function posInt3(op, name2, v) {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new Error(`${op}: ${name2} must be a positive integer, got ${JSON.stringify(v)}`);
}
function vitConfig(partial = {}) {
  const c = { ...DINOV2_SMALL, ...partial };
  const op = "vitConfig";
  for (const k of ["hiddenSize", "numHiddenLayers", "numAttentionHeads", "patchSize", "imageSize", "numChannels"]) posInt3(op, k, c[k]);
  if (!Number.isInteger(c.numRegisterTokens) || c.numRegisterTokens < 0) throw new Error(`${op}: numRegisterTokens must be a non-negative integer, got ${c.numRegisterTokens}`);
  if (c.hiddenSize % c.numAttentionHeads !== 0) throw new Error(`${op}: hiddenSize ${c.hiddenSize} is not a multiple of numAttentionHeads ${c.numAttentionHeads}`);
  if (!(c.mlpRatio > 0) || Math.floor(c.hiddenSize * c.mlpRatio) < 1) throw new Error(`${op}: mlpRatio must give a positive MLP width, got ${c.mlpRatio}`);
  if (c.imageSize < c.patchSize) throw new Error(`${op}: imageSize ${c.imageSize} is smaller than patchSize ${c.patchSize}`);
  if (!(c.layerNormEps > 0)) throw new Error(`${op}: layerNormEps must be positive, got ${c.layerNormEps}`);
  if (!Number.isFinite(c.layerscaleValue)) throw new Error(`${op}: layerscaleValue must be finite, got ${c.layerscaleValue}`);
  if (!ACTIVATIONS.includes(c.hiddenAct)) throw new Error(`${op}: unsupported hiddenAct '${c.hiddenAct}' (supported: ${ACTIVATIONS.join(", ")})`);
  if (!(c.initializerRange >= 0)) throw new Error(`${op}: initializerRange must be >= 0, got ${c.initializerRange}`);
  return c;
}
function storedGridSide(c) {
  return Math.floor(c.imageSize / c.patchSize);
}
function mlpHiddenSize(c) {
  const h = Math.floor(c.hiddenSize * c.mlpRatio);
  return c.useSwigluFfn ? Math.floor((Math.floor(h * 2 / 3) + 7) / 8) * 8 : h;
}
function vitConfigFromHF(json) {
  const o = typeof json === "string" ? JSON.parse(json) : json;
  const type = o.model_type ?? "dinov2";
  if (type !== "dinov2" && type !== "dinov2_with_registers") throw new Error(`vitConfigFromHF: model_type '${String(type)}' is not 'dinov2' or 'dinov2_with_registers'`);
  const reg = type === "dinov2_with_registers";
  const pick2 = (key, dflt) => o[key] === void 0 ? dflt : o[key];
  const image = pick2("image_size", 224);
  const patch = pick2("patch_size", 14);
  const side = (v, what) => {
    if (Array.isArray(v)) {
      if (v.length !== 2 || v[0] !== v[1]) throw new Error(`vitConfigFromHF: only square ${what} is supported, got ${JSON.stringify(v)}`);
      return v[0];
    }
    return v;
  };
  return vitConfig({
    hiddenSize: pick2("hidden_size", 768),
    numHiddenLayers: pick2("num_hidden_layers", 12),
    numAttentionHeads: pick2("num_attention_heads", 12),
    mlpRatio: pick2("mlp_ratio", 4),
    patchSize: side(patch, "patch_size"),
    imageSize: side(image, "image_size"),
    numChannels: pick2("num_channels", 3),
    layerNormEps: pick2("layer_norm_eps", 1e-6),
    layerscaleValue: pick2("layerscale_value", 1),
    qkvBias: pick2("qkv_bias", true),
    useSwigluFfn: pick2("use_swiglu_ffn", false),
    hiddenAct: pick2("hidden_act", "gelu"),
    numRegisterTokens: reg ? pick2("num_register_tokens", 4) : 0,
    useMaskToken: reg ? true : pick2("use_mask_token", true),
    interpolateAntialias: pick2(ANTIALIAS_KEY, reg),
    initializerRange: pick2("initializer_range", 0.02)
  });
}

// ../../packages/vision/src/vit/model.ts
function initLinear(weight, bias, range, g) {
  truncNormal_(weight, 0, range, -2, 2, g);
  if (bias) zeros_(bias);
}
function linear3(inF, outF, bias, c, o) {
  return new Linear(inF, outF, { bias, backend: o.backend, init: (w, b, g) => initLinear(w, b, c.initializerRange, g), generator: o.generator });
}
function layerNorm2(c, o) {
  return new LayerNorm(c.hiddenSize, { eps: c.layerNormEps, backend: o.backend });
}
function act(name2, x) {
  switch (name2) {
    case "gelu":
      return x.gelu();
    case "gelu_new":
    case "gelu_pytorch_tanh":
      return x.gelu("tanh");
    case "relu":
      return x.relu();
    case "silu":
    case "swish":
      return x.silu();
    default:
      throw new Error(`Dinov2MLP: unsupported activation '${String(name2)}'`);
  }
}
var PatchConv2d = class extends Module {
  /** A patch projection with PyTorch's `Conv2d` layout. */
  constructor(inChannels, outChannels, patchSize, c, o = {}) {
    super();
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.patchSize = patchSize;
    this.registerParameter("weight", zeros([outChannels, inChannels, patchSize, patchSize], { backend: o.backend }));
    this.registerParameter("bias", zeros([outChannels], { backend: o.backend }));
    initLinear(this.weight, this.bias, c.initializerRange, o.generator);
  }
  inChannels;
  outChannels;
  patchSize;
  /**
   * `x [B, C, H, W] -> [B, (H/p)(W/p), D]`, row-major. As PyTorch's conv, trailing rows/columns
   * that do not fill a patch are ignored.
   */
  forward(x) {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) throw new Error(`PatchConv2d.forward: expected [B, ${this.inChannels}, H, W], got ${fmtShape(x.shape)}`);
    const p = this.patchSize;
    const [, , h, w] = x.shape;
    if (h < p || w < p) throw new Error(`PatchConv2d.forward: image ${h}x${w} is smaller than patch size ${p}`);
    return tidy(() => {
      let img = x;
      if (h % p !== 0) img = img.narrow(2, 0, h - h % p);
      if (w % p !== 0) img = img.narrow(3, 0, w - w % p);
      const tokens = patchify(img, p, "chw");
      const w2 = this.weight.reshape([this.outChannels, this.inChannels * p * p]);
      return w2.matmul(tokens.transpose(-2, -1)).transpose(-2, -1).add(this.bias);
    });
  }
};
var Dinov2PatchEmbeddings = class extends Module {
  /** Patch embeddings for a config. */
  constructor(c, o = {}) {
    super();
    this.registerModule("projection", new PatchConv2d(c.numChannels, c.hiddenSize, c.patchSize, c, o));
  }
  /** `pixels [B, C, H, W] -> [B, N, D]`. */
  forward(x) {
    return this.projection.forward(x);
  }
};
function vitGrid(height, width, patchSize) {
  const h = Math.floor(height / patchSize);
  const w = Math.floor(width / patchSize);
  if (h < 1 || w < 1) throw new Error(`vitGrid: image ${height}x${width} is smaller than patch size ${patchSize}`);
  return { height: h, width: w };
}
function interpolatePositionEmbeddings(pos, grid, antialias = false) {
  if (pos.rank !== 3 || pos.shape[0] !== 1) throw new Error(`interpolatePositionEmbeddings: expected [1, 1 + n*n, D], got ${fmtShape(pos.shape)}`);
  const np = pos.shape[1] - 1;
  const d = pos.shape[2];
  const n0 = Math.round(Math.sqrt(np));
  if (n0 * n0 !== np) throw new Error(`interpolatePositionEmbeddings: ${np} patch positions are not a square grid`);
  if (grid.height === n0 && grid.width === n0) return pos.clone();
  return tidy(() => {
    const cls = pos.narrow(1, 0, 1);
    const patch = pos.narrow(1, 1, np).reshape([n0, n0, d]).permute([2, 0, 1]);
    const resized = resize2d(patch, [grid.height, grid.width], { mode: "bicubic", alignCorners: false, antialias });
    const back = resized.permute([1, 2, 0]).reshape([1, grid.height * grid.width, d]);
    return concat([cls, back], 1);
  });
}
var Dinov2Embeddings = class extends Module {
  /** Embeddings for a config. */
  constructor(config, o = {}) {
    super();
    this.config = config;
    const d = config.hiddenSize;
    const b = o.backend;
    const n0 = storedGridSide(config);
    const r = config.initializerRange;
    this.registerParameter("cls_token", truncNormal_(zeros([1, 1, d], { backend: b }), 0, r, -2, 2, o.generator));
    if (config.useMaskToken || config.numRegisterTokens > 0) this.registerParameter("mask_token", zeros([1, d], { backend: b }));
    if (config.numRegisterTokens > 0) this.registerParameter("register_tokens", zeros([1, config.numRegisterTokens, d], { backend: b }));
    this.registerModule("patch_embeddings", new Dinov2PatchEmbeddings(config, o));
    this.registerParameter("position_embeddings", truncNormal_(zeros([1, 1 + n0 * n0, d], { backend: b }), 0, r, -2, 2, o.generator));
  }
  config;
  /** `pixels [B, C, H, W] -> [B, 1 + R + N, D]`: CLS, registers (no position), patches. */
  forward(x) {
    const c = this.config;
    const grid = vitGrid(x.shape[2], x.shape[3], c.patchSize);
    return tidy(() => {
      const patches = this.patch_embeddings.forward(x);
      const bsz = patches.shape[0];
      const cls = this.cls_token.expand([bsz, 1, c.hiddenSize]);
      const withCls = concat([cls, patches], 1);
      const pos = interpolatePositionEmbeddings(this.position_embeddings, grid, c.interpolateAntialias);
      const emb = withCls.add(pos);
      if (!this.register_tokens) return emb;
      const regs = this.register_tokens.expand([bsz, c.numRegisterTokens, c.hiddenSize]);
      return concat([emb.narrow(1, 0, 1), regs, emb.narrow(1, 1, emb.shape[1] - 1)], 1);
    });
  }
};
var Dinov2SelfAttention = class extends Module {
  /** Heads. */
  numHeads;
  /** Self-attention for a config. */
  constructor(c, o = {}) {
    super();
    this.numHeads = c.numAttentionHeads;
    this.registerModule("query", linear3(c.hiddenSize, c.hiddenSize, c.qkvBias, c, o));
    this.registerModule("key", linear3(c.hiddenSize, c.hiddenSize, c.qkvBias, c, o));
    this.registerModule("value", linear3(c.hiddenSize, c.hiddenSize, c.qkvBias, c, o));
  }
  /** `x [B, T, D] -> context [B, T, D]` (full attention, scale `1/sqrt(d_h)`). */
  forward(x) {
    const [b, t, d] = x.shape;
    const h = this.numHeads;
    const dh = d / h;
    return tidy(() => {
      const heads = (y) => y.reshape([b, t, h, dh]).transpose(1, 2);
      const q = heads(this.query.forward(x));
      const k = heads(this.key.forward(x));
      const v = heads(this.value.forward(x));
      const scores = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(dh));
      const ctx = scores.softmax(-1).matmul(v);
      return ctx.transpose(1, 2).reshape([b, t, d]);
    });
  }
};
var Dinov2SelfOutput = class extends Module {
  /** The output projection for a config. */
  constructor(c, o = {}) {
    super();
    this.registerModule("dense", linear3(c.hiddenSize, c.hiddenSize, true, c, o));
  }
  /** `[B, T, D] -> [B, T, D]`. */
  forward(x) {
    return this.dense.forward(x);
  }
};
var Dinov2Attention = class extends Module {
  /** Attention for a config. */
  constructor(c, o = {}) {
    super();
    this.registerModule("attention", new Dinov2SelfAttention(c, o));
    this.registerModule("output", new Dinov2SelfOutput(c, o));
  }
  /** `[B, T, D] -> [B, T, D]`. */
  forward(x) {
    return tidy(() => this.output.forward(this.attention.forward(x)));
  }
};
var Dinov2LayerScale = class extends Module {
  /** LayerScale initialised to `layerscaleValue`. */
  constructor(c, o = {}) {
    super();
    this.registerParameter("lambda1", constant_(zeros([c.hiddenSize], { backend: o.backend }), c.layerscaleValue));
  }
  /** `x · lambda1`. */
  forward(x) {
    return x.mul(this.lambda1);
  }
};
var Dinov2MLP = class extends Module {
  /** The activation. */
  act;
  /** The MLP for a config. */
  constructor(c, o = {}) {
    super();
    const hid = mlpHiddenSize(c);
    this.act = c.hiddenAct;
    this.registerModule("fc1", linear3(c.hiddenSize, hid, true, c, o));
    this.registerModule("fc2", linear3(hid, c.hiddenSize, true, c, o));
  }
  /** `[B, T, D] -> [B, T, D]`. */
  forward(x) {
    return tidy(() => this.fc2.forward(act(this.act, this.fc1.forward(x))));
  }
};
var Dinov2SwiGLUFFN = class extends Module {
  /** Hidden width. */
  hidden;
  /** The SwiGLU FFN for a config. */
  constructor(c, o = {}) {
    super();
    this.hidden = mlpHiddenSize(c);
    this.registerModule("weights_in", linear3(c.hiddenSize, 2 * this.hidden, true, c, o));
    this.registerModule("weights_out", linear3(this.hidden, c.hiddenSize, true, c, o));
  }
  /** `[B, T, D] -> [B, T, D]`. */
  forward(x) {
    return tidy(() => {
      const [x1, x2] = this.weights_in.forward(x).chunk(2, -1);
      return this.weights_out.forward(x1.silu().mul(x2));
    });
  }
};
var Dinov2Layer = class extends Module {
  /** A pre-norm block for a config. */
  constructor(c, o = {}) {
    super();
    this.registerModule("norm1", layerNorm2(c, o));
    this.registerModule("attention", new Dinov2Attention(c, o));
    this.registerModule("layer_scale1", new Dinov2LayerScale(c, o));
    this.registerModule("norm2", layerNorm2(c, o));
    this.registerModule("mlp", c.useSwigluFfn ? new Dinov2SwiGLUFFN(c, o) : new Dinov2MLP(c, o));
    this.registerModule("layer_scale2", new Dinov2LayerScale(c, o));
  }
  /** `[B, T, D] -> [B, T, D]`. */
  forward(x) {
    return tidy(() => {
      const h = x.add(this.layer_scale1.forward(this.attention.forward(this.norm1.forward(x))));
      return h.add(this.layer_scale2.forward(this.mlp.forward(this.norm2.forward(h))));
    });
  }
};
var Dinov2Encoder = class extends Module {
  /** `numHiddenLayers` blocks. */
  constructor(c, o = {}) {
    super();
    this.registerModule("layer", new ModuleList(Array.from({ length: c.numHiddenLayers }, () => new Dinov2Layer(c, o))));
  }
  /** Run every block. */
  forward(x) {
    return tidy(() => {
      let h = x;
      for (const l of this.layer) h = l.forward(h);
      return h;
    });
  }
};
var Dinov2Model = class extends Module {
  /** The validated config. */
  config;
  /** A freshly initialised model (HF's init: truncated normal 0.02, zero biases, LayerScale value). */
  constructor(config = {}, options = {}) {
    super();
    this.config = vitConfig(config);
    this.registerModule("embeddings", new Dinov2Embeddings(this.config, options));
    this.registerModule("encoder", new Dinov2Encoder(this.config, options));
    this.registerModule("layernorm", layerNorm2(this.config, options));
  }
  /** The token grid for an `height × width` input. */
  grid(height, width) {
    return vitGrid(height, width, this.config.patchSize);
  }
  /** `pixels [B, C, H, W] -> [B, 1 + R + N, D]` (the HF `last_hidden_state`). */
  forward(pixels) {
    const c = this.config;
    if (pixels.rank !== 4 || pixels.shape[1] !== c.numChannels) {
      throw new Error(`Dinov2Model.forward: expected pixels [B, ${c.numChannels}, H, W], got ${fmtShape(pixels.shape)}`);
    }
    return tidy(() => this.layernorm.forward(this.encoder.forward(this.embeddings.forward(pixels))));
  }
  /** Patch tokens only, `[B, N, D]`, row-major over `grid(H, W)` (METHOD 3.6). */
  patchTokens(pixels) {
    return tidy(() => {
      const all = this.forward(pixels);
      const skip = 1 + this.config.numRegisterTokens;
      return all.narrow(1, skip, all.shape[1] - skip).contiguous();
    });
  }
};

// ../../packages/vision/src/vit/load.ts
var VIT_CONFIG_METADATA_KEY = "unihetero.vit_config";
async function readText(path) {
  const { readFile: readFile3 } = await import("node:fs/promises");
  return readFile3(path, "utf8");
}
async function siblingConfig(weightsPath) {
  const { dirname: dirname2, join: join3 } = await import("node:path");
  const { existsSync } = await import("node:fs");
  const p = join3(dirname2(weightsPath), "config.json");
  return existsSync(p) ? readText(p) : null;
}
async function resolveConfig(file, source, o, where2) {
  if (o.config) return vitConfig(o.config);
  if (o.hfConfig !== void 0) return vitConfigFromHF(o.hfConfig);
  if (o.configPath !== void 0) return vitConfigFromHF(await readText(o.configPath));
  const meta = file.metadata?.[VIT_CONFIG_METADATA_KEY];
  if (meta !== void 0) return vitConfigFromHF(meta);
  if (typeof source === "string") {
    const text = await siblingConfig(source);
    if (text !== null) return vitConfigFromHF(text);
  }
  throw new Error(`loadDinov2${where2}: no config: pass options.config, hfConfig or configPath, or put the HF config.json next to the weights`);
}
function detectPrefix(file, where2) {
  for (const p of ["", "dinov2."]) if (file.has(`${p}embeddings.cls_token`)) return p;
  throw new Error(`loadDinov2${where2}: no 'embeddings.cls_token' (or 'dinov2.embeddings.cls_token'); not a DINOv2 checkpoint? First keys: ${file.names().slice(0, 5).join(", ")}`);
}
async function loadDinov2(source, options = {}) {
  const where2 = typeof source === "string" ? ` '${source}'` : "";
  const file = typeof source === "string" ? await readSafetensorsFile(source) : parseSafetensors(source);
  const config = await resolveConfig(file, source, options, where2);
  const prefix = options.prefix ?? detectPrefix(file, where2);
  const model = new Dinov2Model(config, { backend: options.backend });
  try {
    await loadSafetensors(model, file, { prefix, strict: true });
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

// ../../packages/vision/src/semantic.ts
var ViTSemanticEncoder = class _ViTSemanticEncoder {
  /** Wrap (and freeze: eval mode, no parameter gradients) a model with a preprocessing. */
  constructor(model, preprocessing = NO_PREPROCESSING) {
    this.model = model;
    this.preprocessing = preprocessing;
    model.eval();
    model.requiresGrad_(false);
    this.featureDim = model.config.hiddenSize;
  }
  model;
  preprocessing;
  /** Feature width `d_v`. */
  featureDim;
  /** Load HF-layout weights (see `loadDinov2`) behind a preprocessing (e.g. `DINOV2_PREPROCESSING`). */
  static async load(source, options = {}) {
    return new _ViTSemanticEncoder(await loadDinov2(source, options), options.preprocessing ?? NO_PREPROCESSING);
  }
  /** The token grid for an input image of `height × width` (after preprocessing). */
  grid(height, width) {
    const [h, w] = preprocessedSize(height, width, this.preprocessing);
    return this.model.grid(h, w);
  }
  /** Patch features `[B, N, d_v]`, row-major over `grid(H, W)`; records no gradient. */
  encode(images) {
    if (images.rank !== 4) throw new Error(`ViTSemanticEncoder.encode: expected images [B, 3, H, W], got ${fmtShape(images.shape)}`);
    return noGrad(() => tidy(() => this.model.patchTokens(preprocessImages(images, this.preprocessing))));
  }
  /** Free the model's parameters. */
  dispose() {
    this.model.dispose();
  }
};

// ../../packages/vision/src/default.ts
var DEFAULT_ENCODER_FILE = "shapes-vit-tiny.safetensors";
async function defaultEncoderPath() {
  const { fileURLToPath } = await import("node:url");
  return fileURLToPath(new URL(`../weights/${DEFAULT_ENCODER_FILE}`, import.meta.url));
}
async function loadDefaultSemanticEncoder(options = {}) {
  const path = options.path ?? await defaultEncoderPath();
  const { existsSync } = await import("node:fs");
  if (!existsSync(path)) throw new Error(`loadDefaultSemanticEncoder: weights not found at '${path}' (the package ships them in weights/; run scripts/pretrain-encoder.ts to recreate them)`);
  return ViTSemanticEncoder.load(path, { backend: options.backend, preprocessing: NO_PREPROCESSING });
}

// ../../packages/model/src/model.ts
var UniHetero = class extends Module {
  /** The resolved configuration. */
  config;
  /** The tokenizer. */
  tokenizer;
  /** Special token ids. */
  special;
  /** The frozen semantic encoder. */
  semanticEncoder;
  /** Image size the encoders see. */
  imageSize;
  /** The training mask-rate sampler. */
  maskRateSampler;
  /** Build a model from a (partial) config; validates it and the encoders against each other. */
  constructor(config, options) {
    super();
    const c = resolveModelConfig(config);
    this.config = c;
    const tok = options.tokenizer;
    if (!tok) throw new Error("UniHetero: options.tokenizer is required");
    if (tok.vocabSize !== c.vocabSize) throw new Error(`UniHetero: config.vocabSize ${c.vocabSize} does not match the tokenizer's vocabulary size ${tok.vocabSize}`);
    this.tokenizer = tok;
    const s = tok.special;
    this.special = { bos: s.bos, eos: s.eos, pad: s.pad, boi: s.boi, eoi: s.eoi };
    for (const [k, v] of Object.entries(this.special)) if (!Number.isInteger(v) || v < 0 || v >= c.vocabSize) throw new Error(`UniHetero: tokenizer special id ${k} = ${v} is outside the vocabulary [0, ${c.vocabSize})`);
    this.imageSize = options.imageSize ?? [32, 32];
    const sem = options.semanticEncoder;
    if (!sem) throw new Error("UniHetero: options.semanticEncoder is required (e.g. await loadDefaultSemanticEncoder())");
    if (sem.featureDim !== c.semanticDim) throw new Error(`UniHetero: semantic encoder width ${sem.featureDim} does not match config.semanticDim ${c.semanticDim}`);
    this.semanticEncoder = sem;
    const pixel = options.pixelEncoder ?? new PatchifyEncoder({ backend: options.backend });
    if (pixel.latentDim !== c.pixelDim) throw new Error(`UniHetero: pixel encoder latent width ${pixel.latentDim} does not match config.pixelDim ${c.pixelDim}`);
    const grid = checkTokenGridsAlign(sem, pixel, { semanticImage: this.imageSize });
    if (grid.height * grid.width !== c.numVisualTokens) {
      throw new Error(`UniHetero: the encoders give a ${grid.height}x${grid.width} grid (${grid.height * grid.width} tokens) for ${this.imageSize.join("x")} images, but config.numVisualTokens is ${c.numVisualTokens}`);
    }
    const gen2 = options.generator ?? new Generator(0);
    const lo = { generator: gen2, backend: options.backend };
    const b = c.backbone;
    this.registerModule(
      "lm",
      new TransformerLM(
        {
          vocabSize: c.vocabSize,
          hiddenSize: b.hiddenSize,
          numHiddenLayers: b.numHiddenLayers,
          numAttentionHeads: b.numAttentionHeads,
          numKeyValueHeads: b.numKeyValueHeads,
          intermediateSize: b.intermediateSize,
          rmsNormEps: b.rmsNormEps,
          ropeTheta: b.ropeTheta,
          qkNorm: b.qkNorm,
          zLossWeight: b.zLossWeight,
          tieWordEmbeddings: b.tieWordEmbeddings,
          maxPositionEmbeddings: b.maxPositionEmbeddings
        },
        lo
      )
    );
    const d = b.hiddenSize;
    const normalizeInput = c.invertProjector.name === "norm-3-mlp-cos";
    this.registerModule("input_projector", new InputProjector(c.semanticDim, d, { type: c.inputProjector.type, normalizeInput, ...lo }));
    const m = zeros([d], { backend: options.backend });
    init.normal_(m, 0, 0.02, gen2);
    this.registerParameter("mask_embedding", m.requiresGrad_(true));
    this.registerModule(
      "invert_projector",
      createInvertProjector(c.invertProjector.name, { llmDim: d, featureDim: c.semanticDim, inputProjector: this.input_projector, momentum: c.invertProjector.momentum, hiddenDim: c.invertProjector.hiddenDim, ...lo })
    );
    const f = c.flow;
    this.registerModule(
      "flow_head",
      new FlowHead(flowHeadConfig(f.size, { tokenDim: c.pixelDim, conditionDim: d, ...f.width ? { width: f.width } : {}, ...f.depth ? { depth: f.depth } : {}, ...f.mlpRatio ? { mlpRatio: f.mlpRatio } : {} }), lo)
    );
    this.registerModule("pixel_encoder", pixel);
    this.pixel_encoder.requiresGrad_(false);
    this.maskRateSampler = getMaskRateSampler(c.maskRate);
  }
  /** Backend of the parameters. */
  get backend() {
    return this.lm.backend;
  }
  /** Visual tokens per image `N`. */
  get numVisualTokens() {
    return this.config.numVisualTokens;
  }
  /** Frozen semantic features `[B, N, d_v]` and pixel latents `[B, N, C]` of images `[B, 3, H, W]` in [-1, 1]. */
  encodeImages(images) {
    const [, , H, W] = images.shape;
    if (images.rank !== 4 || H !== this.imageSize[0] || W !== this.imageSize[1]) {
      throw new Error(`UniHetero.encodeImages: expected images [B, 3, ${this.imageSize.join(", ")}], got ${JSON.stringify(images.shape)}`);
    }
    return noGrad(() => ({ features: this.semanticEncoder.encode(images), latents: this.pixel_encoder.encode(images) }));
  }
  /**
   * Sample training masks for the generation examples and build the sequences. `images` are
   * encoded here unless `encoded` features/latents are given (e.g. from a feature cache).
   */
  prepare(examples, images, generator) {
    const enc = images instanceof Tensor3 ? this.encodeImages(images) : images;
    const nImg = enc.features.shape[0];
    const N = this.numVisualTokens;
    const nGen = examples.filter((e) => e.kind === "generate").length;
    const mask = nGen > 0 ? sampleTrainingMasks(generator, { batch: nGen, n: N, sampler: this.maskRateSampler }).mask : new Uint8Array(0);
    const sequences = buildSequences(examples, this.special, { numVisualTokens: N, numImages: nImg, generationMask: mask, textLossOnPrompt: this.config.loss.textLossOnPrompt });
    return { sequences, features: enc.features, latents: enc.latents };
  }
  /** The visual input table `[B_img*N + 1, d]`: `P(f)` for every token, then the mask embedding. */
  visualTable(features) {
    const d = this.config.backbone.hiddenSize;
    return tidy(() => {
      const proj = this.input_projector.forward(features).reshape(-1, d);
      return concat([proj, this.mask_embedding.reshape(1, d)], 0);
    });
  }
  /** Hidden states `[B, L, d]` of a prepared batch (understanding and generation rows alike). */
  hiddenStates(batch) {
    const s = batch.sequences;
    const be = this.backend;
    return tidy(() => {
      const table = this.visualTable(batch.features);
      const visual = table.indexSelect(0, tensor(s.visualSource, { dtype: "int32", backend: be }));
      return this.lm.model.forward({
        inputIds: tensor(s.ids, { shape: [s.batch, s.length], dtype: "int32", backend: be }),
        inputsEmbeds: visual,
        embedsMask: s.embedsMask,
        attention: { spans: s.spans, lengths: s.lengths }
      });
    });
  }
  /**
   * The loss of a prepared batch (METHOD 9): `L = L_text + alpha*ploss + beta*diffuloss`. A part
   * whose weight is 0 is not computed (it is reported as 0); a batch without labels or masked
   * tokens contributes 0 for that part, never NaN. `generator` draws the flow noise and times.
   */
  loss(batch, generator) {
    const c = this.config;
    const s = batch.sequences;
    const be = this.backend;
    const d = c.backbone.hiddenSize;
    return tidy(() => {
      const hidden = this.hiddenStates(batch).reshape(-1, d);
      const zero = () => zeros([], { backend: be });
      let text;
      let crossEntropy2;
      let zLoss;
      if (s.textRows.length > 0) {
        const rows = hidden.indexSelect(0, tensor(s.textRows, { dtype: "int32", backend: be }));
        const t = textLoss(this.lm.logits(rows), tensor(s.textTargets, { dtype: "int32", backend: be }), { shift: false, zLossWeight: c.backbone.zLossWeight });
        ({ loss: text, crossEntropy: crossEntropy2, zLoss } = t);
      } else {
        text = zero();
        crossEntropy2 = zero();
        zLoss = zero();
      }
      let ploss = zero();
      let diffuloss = zero();
      const needP = c.loss.alpha > 0;
      const needF = c.loss.beta > 0;
      if (s.maskedRows.length > 0 && (needP || needF)) {
        const z2 = hidden.indexSelect(0, tensor(s.maskedRows, { dtype: "int32", backend: be }));
        const tokens = tensor(s.maskedTokens, { dtype: "int32", backend: be });
        if (needP) {
          const f = batch.features.reshape(-1, c.semanticDim).indexSelect(0, tokens);
          ploss = this.invert_projector.loss(this.invert_projector.predict(z2), this.invert_projector.target(f));
        }
        if (needF) {
          const x = batch.latents.reshape(-1, c.pixelDim).indexSelect(0, tokens);
          diffuloss = flowMatchingLoss(this.flow_head, x, z2, { batchMul: c.flow.batchMul, time: c.flow.time, detachCondition: c.loss.detachFlowCondition, generator });
        }
      }
      let total = text;
      if (needP) total = total.add(ploss.mul(c.loss.alpha));
      if (needF) total = total.add(diffuloss.mul(c.loss.beta));
      return { total, text, crossEntropy: crossEntropy2, zLoss, ploss, diffuloss };
    });
  }
  /** Call after every optimizer step: updates the EMA target projector (METHOD 6.4). */
  afterOptimizerStep() {
    this.invert_projector.afterOptimizerStep();
  }
  /** Parameters the optimizer trains (everything registered except the pixel encoder's statistics). */
  trainableParameters() {
    return this.namedParameters().filter(([name2, p]) => !name2.startsWith("pixel_encoder.") && p.requiresGrad);
  }
};

// ../../packages/data/src/types.ts
var ALL_SHAPES = ["circle", "square", "triangle", "diamond", "cross", "star", "ring"];
var DEFAULT_SHAPES = Object.freeze(["circle", "square", "triangle", "diamond", "cross", "ring"]);
var SIZES = ["small", "large"];
var DEFAULT_PALETTE = Object.freeze({
  red: [230, 40, 40],
  green: [40, 200, 60],
  blue: [50, 90, 255],
  yellow: [245, 230, 40],
  magenta: [220, 50, 220],
  cyan: [40, 220, 230],
  orange: [255, 140, 0],
  white: [240, 240, 240]
});
var DEFAULT_BACKGROUND = [16, 16, 24];
var SPLITS = ["train", "validation", "test", "heldout", "encoder"];
var QUESTION_KINDS = ["colour", "shape", "position", "count", "relation", "existence"];

// ../../packages/data/src/config.ts
var DEFAULT_SPLITS = { train: 0.7, validation: 0.05, test: 0.1, encoder: 0.15 };
function checkRgb(what, c) {
  if (!Array.isArray(c) || c.length !== 3 || c.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
    throw new Error(`ShapesWorld: ${what} must be three integers in [0, 255], got ${JSON.stringify(c)}`);
  }
  return [c[0], c[1], c[2]];
}
function colourDistance(a, b) {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}
function resolveWorldConfig(config = {}) {
  const seed = config.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`ShapesWorld: seed must be a non-negative safe integer, got ${seed}`);
  const imageSize = config.imageSize ?? 32;
  if (!Number.isInteger(imageSize) || imageSize < 24 || imageSize > 1024) {
    throw new Error(`ShapesWorld: imageSize must be an integer in [24, 1024], got ${imageSize}`);
  }
  const shapes = [...config.shapes ?? DEFAULT_SHAPES];
  if (shapes.length < 2) throw new Error(`ShapesWorld: need at least 2 shapes, got [${shapes.join(", ")}]`);
  for (const s of shapes) if (!ALL_SHAPES.includes(s)) throw new Error(`ShapesWorld: unknown shape '${s}'; known: ${ALL_SHAPES.join(", ")}`);
  if (new Set(shapes).size !== shapes.length) throw new Error(`ShapesWorld: duplicate shapes in [${shapes.join(", ")}]`);
  const rawPalette = config.palette ?? DEFAULT_PALETTE;
  const colours = Object.keys(rawPalette);
  if (colours.length < 4) throw new Error(`ShapesWorld: the palette needs at least 4 colours (questions have 4 options), got ${colours.length}`);
  const palette = {};
  for (const name2 of colours) {
    if (!/^[a-z]+$/.test(name2)) throw new Error(`ShapesWorld: colour names must be lowercase words, got '${name2}'`);
    if (ALL_SHAPES.includes(name2)) throw new Error(`ShapesWorld: colour name '${name2}' is also a shape name`);
    palette[name2] = checkRgb(`palette.${name2}`, rawPalette[name2]);
  }
  const background = checkRgb("background", config.background ?? DEFAULT_BACKGROUND);
  for (const name2 of colours) {
    const d = colourDistance(palette[name2], background);
    if (d < 80) throw new Error(`ShapesWorld: colour '${name2}' is only ${d.toFixed(1)} from the background (need >= 80 for the judge)`);
  }
  for (let i = 0; i < colours.length; i++) {
    for (let j = i + 1; j < colours.length; j++) {
      const d = colourDistance(palette[colours[i]], palette[colours[j]]);
      if (d < 40) throw new Error(`ShapesWorld: colours '${colours[i]}' and '${colours[j]}' are only ${d.toFixed(1)} apart (need >= 40)`);
    }
  }
  const texture = config.texture ?? "none";
  if (!["none", "noise", "checker"].includes(texture)) throw new Error(`ShapesWorld: texture must be 'none', 'noise' or 'checker', got '${texture}'`);
  const textureAmplitude = config.textureAmplitude ?? 6;
  if (!Number.isInteger(textureAmplitude) || textureAmplitude < 0 || textureAmplitude > 24) {
    throw new Error(`ShapesWorld: textureAmplitude must be an integer in [0, 24] (a mild texture), got ${textureAmplitude}`);
  }
  const minObjects = config.minObjects ?? 1;
  const maxObjects = config.maxObjects ?? 3;
  if (!Number.isInteger(minObjects) || !Number.isInteger(maxObjects) || minObjects < 1 || maxObjects > 9 || minObjects > maxObjects) {
    throw new Error(`ShapesWorld: need integers 1 <= minObjects <= maxObjects <= 9, got minObjects ${minObjects}, maxObjects ${maxObjects}`);
  }
  const colourJitter = config.colourJitter ?? 0;
  if (!Number.isInteger(colourJitter) || colourJitter < 0 || colourJitter > 24) {
    throw new Error(`ShapesWorld: colourJitter must be an integer in [0, 24], got ${colourJitter}`);
  }
  const heldOut = config.heldOut ?? Math.min(6, shapes.length, colours.length);
  if (typeof heldOut === "number") {
    const most = Math.min(shapes.length, colours.length);
    if (!Number.isInteger(heldOut) || heldOut < 0 || heldOut > most) {
      throw new Error(`ShapesWorld: heldOut count must be an integer in [0, ${most}] (one pair per shape and colour at most), got ${heldOut}`);
    }
  } else {
    for (const p of heldOut) {
      if (!shapes.includes(p.shape) || !colours.includes(p.colour)) {
        throw new Error(`ShapesWorld: held-out pair ${p.colour} ${p.shape} uses a shape or colour not in the world`);
      }
    }
    if (heldOut.length >= shapes.length * colours.length) throw new Error("ShapesWorld: cannot hold out every colour-shape pair");
  }
  const splits = { ...DEFAULT_SPLITS, ...config.splits };
  let total = 0;
  for (const [k, v] of Object.entries(splits)) {
    if (!(typeof v === "number" && v > 0 && v < 1)) throw new Error(`ShapesWorld: split fraction ${k} must be in (0, 1), got ${v}`);
    total += v;
  }
  if (Math.abs(total - 1) > 1e-9) throw new Error(`ShapesWorld: split fractions must sum to 1, got ${total} (${JSON.stringify(splits)})`);
  return {
    seed,
    imageSize,
    grid: 3,
    shapes,
    colours,
    palette,
    background,
    texture,
    textureAmplitude,
    minObjects,
    maxObjects,
    antialias: config.antialias ?? false,
    colourJitter,
    heldOut,
    splits
  };
}

// ../../packages/data/src/rng.ts
function fnv1a(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h ^= c & 255;
    h = Math.imul(h, 16777619) >>> 0;
    if (c > 255) {
      h ^= c >>> 8;
      h = Math.imul(h, 16777619) >>> 0;
    }
  }
  return h >>> 0;
}
function fmix32(x) {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 2246822507) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 3266489909) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
function mixSeed(...parts) {
  let h = 2654435769;
  for (const p of parts) {
    if (!Number.isSafeInteger(p) || p < 0) throw new Error(`mixSeed: parts must be non-negative safe integers, got ${p}`);
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    h = fmix32(h ^ fmix32(lo + 1779033703));
    h = fmix32(h ^ fmix32(hi + 3144134277));
  }
  return h >>> 0;
}
function streamFor(...parts) {
  return new Generator(mixSeed(...parts));
}
function pick(gen2, items) {
  if (items.length === 0) throw new Error("pick: empty array");
  return items[gen2.int(items.length)];
}
function shuffle(gen2, items) {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = gen2.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}
function sampleWithoutReplacement(gen2, items, k) {
  if (!Number.isInteger(k) || k < 0 || k > items.length) throw new Error(`sampleWithoutReplacement: k must be an integer in [0, ${items.length}], got ${k}`);
  return shuffle(gen2, items).slice(0, k);
}

// ../../packages/data/src/raster.ts
var SIZE_FRACTION = Object.freeze({ small: 0.28, large: 0.43 });
function gridLayout(imageSize, grid) {
  if (!Number.isInteger(imageSize) || imageSize < 8) throw new Error(`gridLayout: imageSize must be an integer >= 8, got ${imageSize}`);
  if (!Number.isInteger(grid) || grid < 2 || grid > 4) throw new Error(`gridLayout: grid must be 2, 3 or 4, got ${grid}`);
  const cell = Math.floor(imageSize / grid);
  if (cell < 8) throw new Error(`gridLayout: cells of ${cell} px (imageSize ${imageSize} / grid ${grid}) are too small; need >= 8 px`);
  return { imageSize, grid, cell, offset: Math.floor((imageSize - grid * cell) / 2) };
}
var STAR_POINTS = 5;
var STAR_INNER = 0.5;
var STAR_VERTS = (() => {
  const v = [];
  for (let k = 0; k < 2 * STAR_POINTS; k++) {
    const a = -Math.PI / 2 + k * Math.PI / STAR_POINTS;
    const rad = k % 2 === 0 ? 1 : STAR_INNER;
    v.push([rad * Math.cos(a), rad * Math.sin(a)]);
  }
  return v;
})();
function inPolygon(x, y, verts) {
  let inside = false;
  for (let i = 0, j = verts.length - 1; i < verts.length; j = i++) {
    const [xi, yi] = verts[i];
    const [xj, yj] = verts[j];
    if (yi > y !== yj > y && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
function insideShape(shape, dx, dy, r) {
  const ax = Math.abs(dx);
  const ay = Math.abs(dy);
  switch (shape) {
    case "circle":
      return dx * dx + dy * dy <= r * r;
    case "square":
      return ax <= 0.8 * r && ay <= 0.8 * r;
    case "diamond":
      return ax + ay <= r;
    case "triangle":
      return dy <= 0.75 * r && dy >= -r && ax <= (dy + r) / 1.75;
    case "cross":
      return ax <= 0.33 * r && ay <= r || ay <= 0.33 * r && ax <= r;
    case "ring": {
      const d2 = dx * dx + dy * dy;
      return d2 <= r * r && d2 >= 0.55 * 0.55 * r * r;
    }
    case "star":
      return inPolygon(dx / r, dy / r, STAR_VERTS);
    default:
      throw new Error(`insideShape: unknown shape '${String(shape)}'`);
  }
}
function shapeMask(shape, size, cell, jx = 0, jy = 0, antialias = false) {
  const r = SIZE_FRACTION[size] * cell;
  const c = cell / 2;
  const out = new Float32Array(cell * cell);
  const ss = antialias ? 4 : 1;
  for (let y = 0; y < cell; y++) {
    for (let x = 0; x < cell; x++) {
      let hit = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const px = x + (sx + 0.5) / ss;
          const py = y + (sy + 0.5) / ss;
          if (insideShape(shape, px - c - jx, py - c - jy, r)) hit++;
        }
      }
      out[y * cell + x] = hit / (ss * ss);
    }
  }
  return out;
}
function cellOrigin(layout, cell) {
  return { x: layout.offset + cell.col * layout.cell, y: layout.offset + cell.row * layout.cell };
}

// ../../packages/data/src/image.ts
function createImage(width, height, colour = [0, 0, 0]) {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`createImage: width and height must be positive integers, got ${width}x${height}`);
  }
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = colour[0];
    data[i * 3 + 1] = colour[1];
    data[i * 3 + 2] = colour[2];
  }
  return { width, height, data };
}
function checkImage(image, op) {
  if (!image || !(image.data instanceof Uint8Array)) throw new Error(`${op}: expected an RgbImage with a Uint8Array data field`);
  if (image.data.length !== image.width * image.height * 3) {
    throw new Error(`${op}: image data has ${image.data.length} bytes, expected ${image.width}x${image.height}x3 = ${image.width * image.height * 3}`);
  }
}
function imageToCHW(image, out, offset = 0) {
  checkImage(image, "imageToCHW");
  const hw = image.width * image.height;
  const dst = out ?? new Float32Array(3 * hw);
  const src = image.data;
  for (let c = 0; c < 3; c++) {
    const base = offset + c * hw;
    for (let i = 0; i < hw; i++) dst[base + i] = src[i * 3 + c] / 127.5 - 1;
  }
  return dst;
}
function chwToImage(values, height, width, offset = 0) {
  const hw = height * width;
  if (values.length < offset + 3 * hw) throw new Error(`chwToImage: need ${3 * hw} values from offset ${offset}, got ${values.length - offset}`);
  const data = new Uint8Array(hw * 3);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < hw; i++) {
      const v = values[offset + c * hw + i];
      if (Number.isNaN(v)) throw new Error(`chwToImage: NaN at channel ${c}, pixel ${i}`);
      const u = Math.round((Math.min(1, Math.max(-1, v)) + 1) * 127.5);
      data[i * 3 + c] = u;
    }
  }
  return { width, height, data };
}
function imagesToTensor(images, backend) {
  if (images.length === 0) throw new Error("imagesToTensor: no images");
  const { width, height } = images[0];
  const size = 3 * width * height;
  const host = new Float32Array(images.length * size);
  images.forEach((img, b) => {
    if (img.width !== width || img.height !== height) {
      throw new Error(`imagesToTensor: image ${b} is ${img.width}x${img.height}, image 0 is ${width}x${height}`);
    }
    imageToCHW(img, host, b * size);
  });
  return tensor(host, { shape: [images.length, 3, height, width], backend });
}
async function tensorToImages(t) {
  const shape = t.shape;
  const s4 = shape.length === 3 ? [1, ...shape] : [...shape];
  if (s4.length !== 4 || s4[1] !== 3) throw new Error(`tensorToImages: expected [B, 3, H, W] or [3, H, W], got [${shape.join(", ")}]`);
  const [b, , h, w] = s4;
  const values = await t.data();
  const out = [];
  for (let i = 0; i < b; i++) out.push(chwToImage(values, h, w, i * 3 * h * w));
  return out;
}
function gaussianKernel(sigma) {
  if (!(sigma > 0)) throw new Error(`gaussianKernel: sigma must be > 0, got ${sigma}`);
  const r = Math.ceil(3 * sigma);
  const k = new Float64Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp(-i * i / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= s;
  return k;
}
function blurPlane(src, w, h, sigma) {
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const tmp = new Float64Array(w * h);
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r] * src[y * w + Math.min(w - 1, Math.max(0, x + i))];
      tmp[y * w + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r] * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x];
      out[y * w + x] = s;
    }
  }
  return out;
}
function upscale(image, factor) {
  checkImage(image, "upscale");
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`upscale: factor must be a positive integer, got ${factor}`);
  if (factor === 1) return { width: image.width, height: image.height, data: image.data.slice() };
  const w = image.width * factor;
  const h = image.height * factor;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const sy = Math.floor(y / factor);
    for (let x = 0; x < w; x++) {
      const s = (sy * image.width + Math.floor(x / factor)) * 3;
      const d = (y * w + x) * 3;
      data[d] = image.data[s];
      data[d + 1] = image.data[s + 1];
      data[d + 2] = image.data[s + 2];
    }
  }
  return { width: w, height: h, data };
}

// ../../packages/data/src/text.ts
var SIZE_WORDS = Object.freeze({
  small: ["small", "little"],
  large: ["large", "big"]
});
var ROW = ["top", "middle", "bottom"];
var COL = ["left", "centre", "right"];
var ROW_ALT = ["upper", "middle", "lower"];
var POSITION_NAMES = Object.freeze([
  "top left",
  "top",
  "top right",
  "left",
  "centre",
  "right",
  "bottom left",
  "bottom",
  "bottom right"
]);
function phrasesFor(row, col) {
  if (row === 1 && col === 1) return ["at the centre", "in the middle", "in the centre"];
  if (row === 1) return [`at the ${COL[col]}`, `on the ${COL[col]}`, `at the middle ${COL[col]}`];
  if (col === 1) return [`at the ${ROW[row]}`, `at the ${ROW[row]} centre`, `at the ${ROW[row]} middle`];
  return [`at the ${ROW[row]} ${COL[col]}`, `in the ${ROW[row]} ${COL[col]} corner`, `at the ${ROW_ALT[row]} ${COL[col]}`];
}
var POSITION_PHRASES = Object.freeze(
  [0, 1, 2].map((r) => Object.freeze([0, 1, 2].map((c) => Object.freeze(phrasesFor(r, c)))))
);
function cellIndex(cell) {
  return cell.row * 3 + cell.col;
}
var CAPTION_FRAMES = Object.freeze({
  one: ["{list}.", "there is {list}.", "an image with {list}.", "a picture of {list}."],
  many: ["{list}.", "there are {n} objects: {list}.", "an image with {list}.", "a picture of {list}.", "there is {list}."]
});
var NUMBER_WORDS = Object.freeze(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]);
function objectPhrase(obj2, gen2) {
  const size = gen2 ? pick(gen2, SIZE_WORDS[obj2.size]) : SIZE_WORDS[obj2.size][0];
  const phrases = POSITION_PHRASES[obj2.cell.row][obj2.cell.col];
  const pos = gen2 ? pick(gen2, phrases) : phrases[0];
  return `a ${size} ${obj2.colour} ${obj2.shape} ${pos}`;
}
function joinList(items) {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
function canonicalOrder(objects) {
  return objects.slice().sort((a, b) => cellIndex(a.cell) - cellIndex(b.cell));
}
function canonicalCaption(objects) {
  if (objects.length === 0) throw new Error("canonicalCaption: a scene needs at least one object");
  return `${joinList(canonicalOrder(objects).map((o) => objectPhrase(o)))}.`;
}
function randomCaption(objects, gen2) {
  if (objects.length === 0) throw new Error("randomCaption: a scene needs at least one object");
  const frame = pick(gen2, objects.length === 1 ? CAPTION_FRAMES.one : CAPTION_FRAMES.many);
  const order = shuffle(gen2, objects);
  const list = joinList(order.map((o) => objectPhrase(o, gen2)));
  return frame.replace("{n}", NUMBER_WORDS[objects.length]).replace("{list}", list);
}
function splitWords(text) {
  return text.match(/[A-Za-z0-9]+|[^\sA-Za-z0-9]/g) ?? [];
}
var PHRASE_TABLE = (() => {
  const out = [];
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (const p of POSITION_PHRASES[r][c]) out.push({ words: p.split(" "), cell: { row: r, col: c } });
  return out.sort((a, b) => b.words.length - a.words.length);
})();
function matchPosition(words, at) {
  return PHRASE_TABLE.find((e) => e.words.every((w, k) => words[at + k] === w));
}
function parseCaption(text, shapes, colours) {
  const words = splitWords(text.toLowerCase());
  const sizeOf = /* @__PURE__ */ new Map();
  for (const [size, ws] of Object.entries(SIZE_WORDS)) for (const w of ws) sizeOf.set(w, size);
  const out = [];
  const used = /* @__PURE__ */ new Set();
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (!shapes.includes(w)) continue;
    let colour;
    let size;
    for (let k = i - 1; k >= Math.max(0, i - 3); k--) {
      const b = words[k];
      if (colour === void 0 && colours.includes(b)) colour = b;
      else if (size === void 0 && sizeOf.has(b)) size = sizeOf.get(b);
      else break;
    }
    const pos = matchPosition(words, i + 1);
    if (colour === void 0 || size === void 0 || pos === void 0) {
      const missing = [colour === void 0 ? "colour" : "", size === void 0 ? "size" : "", pos === void 0 ? "position" : ""].filter(Boolean).join(", ");
      throw new Error(`parseCaption: the ${w} at word ${i} lacks a ${missing} in "${text}"`);
    }
    const idx = cellIndex(pos.cell);
    if (used.has(idx)) throw new Error(`parseCaption: two objects at the ${POSITION_NAMES[idx]} in "${text}"`);
    used.add(idx);
    out.push({ shape: w, colour, size, cell: pos.cell });
    i += pos.words.length;
  }
  if (out.length === 0) throw new Error(`parseCaption: no object (a shape word) found in "${text}"`);
  return out;
}

// ../../packages/data/src/render.ts
function validateScene(scene, config, op = "validateScene") {
  if (!scene || !Array.isArray(scene.objects)) throw new Error(`${op}: expected a scene { objects: [...] }`);
  const used = /* @__PURE__ */ new Set();
  scene.objects.forEach((o, i) => {
    if (!config.shapes.includes(o.shape)) throw new Error(`${op}: object ${i} has shape '${o.shape}', not one of ${config.shapes.join(", ")}`);
    if (!config.colours.includes(o.colour)) throw new Error(`${op}: object ${i} has colour '${o.colour}', not one of ${config.colours.join(", ")}`);
    if (o.size !== "small" && o.size !== "large") throw new Error(`${op}: object ${i} has size '${String(o.size)}', expected small or large`);
    const { row, col } = o.cell ?? {};
    if (!Number.isInteger(row) || !Number.isInteger(col) || row < 0 || row > 2 || col < 0 || col > 2) {
      throw new Error(`${op}: object ${i} has cell ${JSON.stringify(o.cell)}, expected row and col in 0..2`);
    }
    const idx = cellIndex(o.cell);
    if (used.has(idx)) throw new Error(`${op}: objects share the cell row ${row}, col ${col}`);
    used.add(idx);
  });
}
var SceneRenderer = class {
  /** A renderer for a resolved world config. */
  constructor(config) {
    this.config = config;
    this.layout = gridLayout(config.imageSize, config.grid);
  }
  config;
  /** The pixel layout of the grid. */
  layout;
  masks = /* @__PURE__ */ new Map();
  /** The coverage mask (`cell x cell`, values in [0, 1]) of a shape and size, cached. */
  mask(shape, size) {
    const key = `${shape}:${size}`;
    let m = this.masks.get(key);
    if (!m) {
      m = shapeMask(shape, size, this.layout.cell, 0, 0, this.config.antialias);
      this.masks.set(key, m);
    }
    return m;
  }
  /** Renders `scene`; `textureSeed` drives the background texture and colour jitter (if enabled). */
  render(scene, textureSeed = 0) {
    validateScene(scene, this.config, "render");
    const { imageSize: n, background: bg, texture, textureAmplitude: amp, colourJitter, palette } = this.config;
    const img = createImage(n, n, bg);
    const d = img.data;
    const needRandom = texture === "noise" && amp > 0 || colourJitter > 0;
    const gen2 = needRandom ? streamFor(textureSeed, 2023) : void 0;
    if (texture === "noise" && amp > 0) {
      for (let i = 0; i < n * n; i++) {
        const off = gen2.int(2 * amp + 1) - amp;
        for (let c = 0; c < 3; c++) d[i * 3 + c] = Math.min(255, Math.max(0, bg[c] + off));
      }
    } else if (texture === "checker" && amp > 0) {
      for (let y = 0; y < n; y++) {
        for (let x = 0; x < n; x++) {
          const off = ((x >> 1) + (y >> 1)) % 2 === 0 ? amp : -amp;
          for (let c = 0; c < 3; c++) d[(y * n + x) * 3 + c] = Math.min(255, Math.max(0, bg[c] + off));
        }
      }
    }
    const cell = this.layout.cell;
    for (const o of scene.objects) {
      const base = palette[o.colour];
      const col = colourJitter > 0 ? base.map((v) => Math.min(255, Math.max(0, v + gen2.int(2 * colourJitter + 1) - colourJitter))) : base;
      const m = this.mask(o.shape, o.size);
      const { x: x0, y: y0 } = cellOrigin(this.layout, o.cell);
      for (let y = 0; y < cell; y++) {
        for (let x = 0; x < cell; x++) {
          const a = m[y * cell + x];
          if (a === 0) continue;
          const p = ((y0 + y) * n + x0 + x) * 3;
          if (a === 1) {
            d[p] = col[0];
            d[p + 1] = col[1];
            d[p + 2] = col[2];
          } else {
            for (let c = 0; c < 3; c++) d[p + c] = Math.round(a * col[c] + (1 - a) * d[p + c]);
          }
        }
      }
    }
    return img;
  }
};

// ../../packages/data/src/questions.ts
var QUESTION_TEXTS = Object.freeze({
  colour: "what colour is {ref}?",
  shape: "what shape is {ref}?",
  position: "where is {ref}?",
  count: "how many objects are there?",
  colourCount: "how many {colour} objects are there?",
  relation: "where is {a} relative to {b}?",
  existence: "which of these objects is in the image?"
});
var RELATION_OPTIONS = Object.freeze({
  straight: Object.freeze(["left of", "right of", "above", "below"]),
  diagonal: Object.freeze(["above and left of", "above and right of", "below and left of", "below and right of"])
});
var DESCRIPTION_WORDS = Object.freeze(["the", "object", "a", "an"]);
function article(word) {
  return /^[aeiou]/.test(word) ? "an" : "a";
}
var OPTION_LETTERS = ["A", "B", "C", "D"];
var ATTR_SETS = (() => {
  const attrs = ["shape", "colour", "size", "position"];
  const sets = [];
  for (let m = 1; m < 16; m++) sets.push(attrs.filter((_, k) => m >> k & 1));
  const cost = (s) => s.length * 100 + (s.includes("position") ? 50 : 0) + (s.includes("size") ? 10 : 0) + (s.includes("colour") ? 1 : 0);
  return sets.sort((a, b) => cost(a) - cost(b));
})();
function matches(o, t, attrs) {
  return attrs.every((a) => a === "position" ? cellIndex(o.cell) === cellIndex(t.cell) : o[a] === t[a]);
}
function describe2(target, objects, exclude = []) {
  for (const attrs of ATTR_SETS) {
    if (attrs.some((a) => exclude.includes(a))) continue;
    if (objects.filter((o) => matches(o, target, attrs)).length !== 1) continue;
    const words = ["the"];
    if (attrs.includes("size")) words.push(SIZE_WORDS[target.size][0]);
    if (attrs.includes("colour")) words.push(target.colour);
    words.push(attrs.includes("shape") ? target.shape : "object");
    if (attrs.includes("position")) words.push(POSITION_PHRASES[target.cell.row][target.cell.col][0]);
    return words.join(" ");
  }
  return void 0;
}
var LETTERS = OPTION_LETTERS;
function finish2(kind, text, correct, wrong, gen2) {
  if (wrong.length !== 3 || (/* @__PURE__ */ new Set([correct, ...wrong])).size !== 4) {
    throw new Error(`makeQuestion: ${kind} question needs 3 distinct wrong options, got [${wrong.join(", ")}] for '${correct}'`);
  }
  const options = shuffle(gen2, [correct, ...wrong]);
  const answerIndex = options.indexOf(correct);
  const prompt = `${text} ${options.map((o, k) => `(${LETTERS[k]}) ${o}`).join(" ")}`;
  return { text, options, answerIndex, answerLetter: LETTERS[answerIndex], answer: correct, prompt, kind };
}
function others(all, exclude) {
  return all.filter((x) => x !== exclude);
}
function relationOf(a, b) {
  const dr = a.cell.row - b.cell.row;
  const dc = a.cell.col - b.cell.col;
  if (dr === 0 && dc === 0) throw new Error("relationOf: the two objects share a cell");
  if (dr === 0 || dc === 0) {
    const answer2 = dr === 0 ? dc < 0 ? "left of" : "right of" : dr < 0 ? "above" : "below";
    return { answer: answer2, group: RELATION_OPTIONS.straight };
  }
  const answer = `${dr < 0 ? "above" : "below"} and ${dc < 0 ? "left" : "right"} of`;
  return { answer, group: RELATION_OPTIONS.diagonal };
}
function applicableKinds(objects, vocab) {
  return QUESTION_KINDS.filter((k) => {
    if (k === "shape") return vocab.shapes.length >= 4;
    if (k === "position") return objects.some((o) => describe2(o, objects, ["position"]) !== void 0);
    if (k === "relation") return objects.length >= 2;
    if (k === "existence") return vocab.shapes.length * vocab.colours.length - new Set(objects.map((o) => `${o.colour} ${o.shape}`)).size >= 3;
    return true;
  });
}
function makeQuestion(objects, vocab, gen2, kind) {
  if (objects.length === 0) throw new Error("makeQuestion: a scene needs at least one object");
  const kinds = applicableKinds(objects, vocab);
  const k = kind ?? pick(gen2, kinds);
  if (!kinds.includes(k)) throw new Error(`makeQuestion: a '${k}' question cannot be asked about this scene (applicable: ${kinds.join(", ")})`);
  switch (k) {
    case "colour": {
      const t = pick(gen2, objects);
      const desc = describe2(t, objects, ["colour"]);
      return finish2(k, QUESTION_TEXTS.colour.replace("{ref}", desc), t.colour, sampleWithoutReplacement(gen2, others(vocab.colours, t.colour), 3), gen2);
    }
    case "shape": {
      const t = pick(gen2, objects);
      const desc = describe2(t, objects, ["shape"]);
      return finish2(k, QUESTION_TEXTS.shape.replace("{ref}", desc), t.shape, sampleWithoutReplacement(gen2, others(vocab.shapes, t.shape), 3), gen2);
    }
    case "position": {
      const t = pick(gen2, objects.filter((o) => describe2(o, objects, ["position"]) !== void 0));
      const desc = describe2(t, objects, ["position"]);
      const name2 = POSITION_NAMES[cellIndex(t.cell)];
      return finish2(k, QUESTION_TEXTS.position.replace("{ref}", desc), name2, sampleWithoutReplacement(gen2, others(POSITION_NAMES, name2), 3), gen2);
    }
    case "count": {
      if (gen2.int(2) === 0) {
        const n2 = objects.length;
        const pool2 = Array.from({ length: Math.max(4, vocab.maxObjects) }, (_, i) => i + 1);
        return finish2(k, QUESTION_TEXTS.count, NUMBER_WORDS[n2], sampleWithoutReplacement(gen2, others(pool2, n2), 3).map((v) => NUMBER_WORDS[v]), gen2);
      }
      const colour = pick(gen2, vocab.colours);
      const n = objects.filter((o) => o.colour === colour).length;
      const pool = Array.from({ length: Math.max(4, vocab.maxObjects + 1) }, (_, i) => i);
      return finish2(k, QUESTION_TEXTS.colourCount.replace("{colour}", colour), NUMBER_WORDS[n], sampleWithoutReplacement(gen2, others(pool, n), 3).map((v) => NUMBER_WORDS[v]), gen2);
    }
    case "relation": {
      const [a, b] = sampleWithoutReplacement(gen2, objects, 2);
      const da = describe2(a, objects, ["position"]) ?? describe2(a, objects);
      const db = describe2(b, objects, ["position"]) ?? describe2(b, objects);
      const { answer, group } = relationOf(a, b);
      return finish2(k, QUESTION_TEXTS.relation.replace("{a}", da).replace("{b}", db), answer, others(group, answer), gen2);
    }
    case "existence": {
      const t = pick(gen2, objects);
      const present = new Set(objects.map((o) => `${o.colour} ${o.shape}`));
      const absent = [];
      for (const c of vocab.colours) for (const s of vocab.shapes) if (!present.has(`${c} ${s}`)) absent.push(`${article(c)} ${c} ${s}`);
      return finish2(k, QUESTION_TEXTS.existence, `${article(t.colour)} ${t.colour} ${t.shape}`, sampleWithoutReplacement(gen2, absent, 3), gen2);
    }
    default:
      throw new Error(`makeQuestion: unknown kind '${String(k)}'`);
  }
}

// ../../packages/data/src/world.ts
var SPLIT_TAG = Object.freeze({ train: 1, validation: 2, test: 3, heldout: 4, encoder: 5 });
var PURPOSE = { scene: 0, caption: 1, question: 2, texture: 3 };
var MAX_TRIES = 1e5;
var ShapesWorld = class {
  /** The validated configuration. */
  config;
  /** Colour-shape pairs that appear only in the `heldout` split. */
  heldOutPairs;
  /** The renderer (shape masks cached). */
  renderer;
  heldOutSet;
  /** A world from options (see `WorldConfig`; every field has a default). */
  constructor(config = {}) {
    this.config = resolveWorldConfig(config);
    this.renderer = new SceneRenderer(this.config);
    this.heldOutPairs = Object.freeze(this.chooseHeldOut());
    this.heldOutSet = new Set(this.heldOutPairs.map((p) => `${p.colour}:${p.shape}`));
  }
  /** The grid's pixel layout. */
  get layout() {
    return this.renderer.layout;
  }
  /** What the question generator needs. */
  get vocabulary() {
    return { shapes: this.config.shapes, colours: this.config.colours, maxObjects: this.config.maxObjects };
  }
  /** Number of classes of `CellLabels.joint` (empty + shapes x colours x sizes). */
  get jointClasses() {
    return 1 + this.config.shapes.length * this.config.colours.length * 2;
  }
  chooseHeldOut() {
    const h = this.config.heldOut;
    if (typeof h !== "number") return h.map((p) => ({ colour: p.colour, shape: p.shape }));
    const gen2 = streamFor(this.config.seed, 19997);
    const shapes = shuffle(gen2, this.config.shapes);
    const colours = shuffle(gen2, this.config.colours);
    return Array.from({ length: h }, (_, i) => ({ colour: colours[i], shape: shapes[i] }));
  }
  /** Whether a colour-shape pair is held out of the train, validation, test and encoder splits. */
  isHeldOut(colour, shape) {
    return this.heldOutSet.has(`${colour}:${shape}`);
  }
  /** The split a scene belongs to: `heldout` if it has a held-out pair, else by the seeded scene hash. */
  splitOf(scene) {
    validateScene(scene, this.config, "splitOf");
    if (scene.objects.some((o) => this.isHeldOut(o.colour, o.shape))) return "heldout";
    return this.bucket(scene.objects);
  }
  bucket(objects) {
    const codes = objects.map((o) => fnv1a(`${o.cell.row},${o.cell.col},${o.shape},${o.colour},${o.size}`)).sort((a, b) => a - b);
    const u = mixSeed(this.config.seed, 20759, ...codes) / 4294967296;
    const f = this.config.splits;
    if (u < f.train) return "train";
    if (u < f.train + f.validation) return "validation";
    if (u < f.train + f.validation + f.test) return "test";
    return "encoder";
  }
  drawObject(gen2, cell, allowHeldOut) {
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const shape = pick(gen2, this.config.shapes);
      const colour = pick(gen2, this.config.colours);
      const size = pick(gen2, SIZES);
      if (!allowHeldOut && this.isHeldOut(colour, shape)) continue;
      return { shape, colour, size, cell: { row: Math.floor(cell / 3), col: cell % 3 } };
    }
    throw new Error("ShapesWorld: could not draw an object outside the held-out pairs");
  }
  /** The scene of sample `index` of `split` (deterministic; no image is rendered). */
  scene(split2, index) {
    if (!SPLITS.includes(split2)) throw new Error(`ShapesWorld.scene: unknown split '${split2}'; known: ${SPLITS.join(", ")}`);
    if (!Number.isSafeInteger(index) || index < 0) throw new Error(`ShapesWorld.scene: index must be a non-negative safe integer, got ${index}`);
    const gen2 = streamFor(this.config.seed, SPLIT_TAG[split2], index, PURPOSE.scene);
    const { minObjects, maxObjects } = this.config;
    const cells = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const n = minObjects + gen2.int(maxObjects - minObjects + 1);
      const chosen = sampleWithoutReplacement(gen2, cells, n);
      let objects;
      if (split2 === "heldout") {
        if (this.heldOutPairs.length === 0) throw new Error("ShapesWorld.scene: the heldout split is empty (config.heldOut is 0)");
        const pair = pick(gen2, this.heldOutPairs);
        const first = { ...pair, size: pick(gen2, SIZES), cell: { row: Math.floor(chosen[0] / 3), col: chosen[0] % 3 } };
        objects = [first, ...chosen.slice(1).map((c) => this.drawObject(gen2, c, true))];
        objects = shuffle(gen2, objects);
        return { objects };
      }
      objects = chosen.map((c) => this.drawObject(gen2, c, false));
      if (this.bucket(objects) === split2) return { objects };
    }
    throw new Error(`ShapesWorld.scene: no ${split2} scene found in ${MAX_TRIES} draws (index ${index}); is its split fraction tiny?`);
  }
  /** Renders a scene (`textureSeed` drives the texture and colour jitter). */
  render(scene, textureSeed = 0) {
    return this.renderer.render(scene, textureSeed);
  }
  /** A caption: random template and paraphrases from `gen`, or the canonical caption without one. */
  caption(scene, gen2) {
    return gen2 ? randomCaption(scene.objects, gen2) : canonicalCaption(scene.objects);
  }
  /** Parses any caption this world produces back into objects (validated against the world). */
  parseCaption(text) {
    const objects = parseCaption(text, this.config.shapes, this.config.colours);
    validateScene({ objects }, this.config, "parseCaption");
    return objects;
  }
  /** A multiple-choice question about a scene (of `kind`, or a random applicable kind). */
  question(scene, gen2, kind) {
    return makeQuestion(scene.objects, this.vocabulary, gen2, kind);
  }
  /** Sample `index` of `split`: scene, image, captions and a question, all deterministic. */
  sample(split2, index) {
    const scene = this.scene(split2, index);
    const { seed } = this.config;
    const tag = SPLIT_TAG[split2];
    const textureSeed = mixSeed(seed, tag, index, PURPOSE.texture);
    return {
      split: split2,
      index,
      scene,
      image: this.render(scene, textureSeed),
      caption: randomCaption(scene.objects, streamFor(seed, tag, index, PURPOSE.caption)),
      canonicalCaption: canonicalCaption(scene.objects),
      question: makeQuestion(scene.objects, this.vocabulary, streamFor(seed, tag, index, PURPOSE.question)),
      textureSeed
    };
  }
  /** Samples `start .. start + count - 1` of `split`. */
  samples(split2, start, count) {
    if (!Number.isInteger(count) || count < 0) throw new Error(`ShapesWorld.samples: count must be a non-negative integer, got ${count}`);
    return Array.from({ length: count }, (_, i) => this.sample(split2, start + i));
  }
  /** Per-cell labels (row-major over the 9 cells) for encoder pretraining targets. */
  cellLabels(scene) {
    validateScene(scene, this.config, "cellLabels");
    const labels = {
      occupied: new Uint8Array(9),
      shape: new Int32Array(9).fill(-1),
      colour: new Int32Array(9).fill(-1),
      size: new Int32Array(9).fill(-1),
      joint: new Int32Array(9)
    };
    const nc = this.config.colours.length;
    for (const o of scene.objects) {
      const i = cellIndex(o.cell);
      const s = this.config.shapes.indexOf(o.shape);
      const c = this.config.colours.indexOf(o.colour);
      const z2 = o.size === "large" ? 1 : 0;
      labels.occupied[i] = 1;
      labels.shape[i] = s;
      labels.colour[i] = c;
      labels.size[i] = z2;
      labels.joint[i] = 1 + (s * nc + c) * 2 + z2;
    }
    return labels;
  }
};
var cachedDefault;
function defaultWorld() {
  cachedDefault ??= new ShapesWorld();
  return cachedDefault;
}

// ../../packages/data/src/judge.ts
var BLURS = [0.5, 0.8, 1.2];
var Judge = class {
  /** The world whose images this judge reads. */
  world;
  templates = [];
  minPixels;
  threshold;
  colours;
  /** A judge for `world` (default: the default world). */
  constructor(world = defaultWorld(), options = {}) {
    this.world = world;
    const { cell } = world.layout;
    const maxShift = options.maxShift ?? 1;
    if (!Number.isInteger(maxShift) || maxShift < 0 || maxShift > 3) throw new Error(`Judge: maxShift must be an integer in [0, 3], got ${maxShift}`);
    let smallest = Infinity;
    for (const shape of world.config.shapes) {
      for (const size of SIZES) {
        const hard = shapeMask(shape, size, cell, 0, 0, false);
        smallest = Math.min(smallest, hard.reduce((a, b) => a + b, 0));
        const variants = [hard, shapeMask(shape, size, cell, 0, 0, true)];
        for (const s of BLURS) variants.push(Float32Array.from(blurPlane(hard, cell, cell, s)));
        for (const v of variants) {
          for (let dy = -maxShift; dy <= maxShift; dy++) {
            for (let dx = -maxShift; dx <= maxShift; dx++) this.templates.push({ shape, size, values: shift(v, cell, dx, dy) });
          }
        }
      }
    }
    this.minPixels = options.minPixels ?? Math.max(3, Math.round(0.3 * smallest));
    if (!Number.isInteger(this.minPixels) || this.minPixels < 1) throw new Error(`Judge: minPixels must be a positive integer, got ${this.minPixels}`);
    const bg = world.config.background;
    this.colours = world.config.colours.map((name2) => ({ name: name2, rgb: world.config.palette[name2] }));
    const minDist = Math.min(...this.colours.map((c) => Math.hypot(c.rgb[0] - bg[0], c.rgb[1] - bg[1], c.rgb[2] - bg[2])));
    this.threshold = 0.35 * minDist;
  }
  /** Reads the objects out of an image (row-major by cell). */
  judge(image) {
    checkImage(image, "judge");
    const n = this.world.config.imageSize;
    if (image.width !== n || image.height !== n) throw new Error(`judge: image is ${image.width}x${image.height}, the world renders ${n}x${n}`);
    const bg = medianColour(image);
    const { cell } = this.world.layout;
    const px = image.data;
    const out = [];
    const rel = new Float64Array(cell * cell * 3);
    const fg = new Uint8Array(cell * cell);
    const alpha = new Float32Array(cell * cell);
    for (let row = 0; row < 3; row++) {
      for (let col = 0; col < 3; col++) {
        const { x: x0, y: y0 } = cellOrigin(this.world.layout, { row, col });
        let count = 0;
        for (let y = 0; y < cell; y++) {
          for (let x = 0; x < cell; x++) {
            const i = y * cell + x;
            const p = ((y0 + y) * n + x0 + x) * 3;
            const r = px[p] - bg[0];
            const g = px[p + 1] - bg[1];
            const b = px[p + 2] - bg[2];
            rel[i * 3] = r;
            rel[i * 3 + 1] = g;
            rel[i * 3 + 2] = b;
            const on = r * r + g * g + b * b > this.threshold * this.threshold ? 1 : 0;
            fg[i] = on;
            count += on;
          }
        }
        if (count < this.minPixels) continue;
        let best = -1;
        let bestRes = Infinity;
        this.colours.forEach((c2, k) => {
          const vr2 = c2.rgb[0] - bg[0];
          const vg2 = c2.rgb[1] - bg[1];
          const vb2 = c2.rgb[2] - bg[2];
          const vv2 = vr2 * vr2 + vg2 * vg2 + vb2 * vb2;
          let res = 0;
          for (let i = 0; i < cell * cell; i++) {
            if (!fg[i]) continue;
            const r = rel[i * 3];
            const g = rel[i * 3 + 1];
            const b = rel[i * 3 + 2];
            const a = Math.min(1, Math.max(0, (r * vr2 + g * vg2 + b * vb2) / vv2));
            res += (r - a * vr2) ** 2 + (g - a * vg2) ** 2 + (b - a * vb2) ** 2;
          }
          if (res < bestRes) {
            bestRes = res;
            best = k;
          }
        });
        const c = this.colours[best];
        const vr = c.rgb[0] - bg[0];
        const vg = c.rgb[1] - bg[1];
        const vb = c.rgb[2] - bg[2];
        const vv = vr * vr + vg * vg + vb * vb;
        for (let i = 0; i < cell * cell; i++) {
          alpha[i] = Math.min(1, Math.max(0, (rel[i * 3] * vr + rel[i * 3 + 1] * vg + rel[i * 3 + 2] * vb) / vv));
        }
        let bestT;
        let bestErr = 0;
        for (let i = 0; i < cell * cell; i++) bestErr += alpha[i] * alpha[i];
        for (const t of this.templates) {
          let e = 0;
          const v = t.values;
          for (let i = 0; i < v.length && e < bestErr; i++) e += (alpha[i] - v[i]) ** 2;
          if (e < bestErr) {
            bestErr = e;
            bestT = t;
          }
        }
        if (bestT === void 0) continue;
        out.push({
          shape: bestT.shape,
          colour: c.name,
          size: bestT.size,
          cell: { row, col },
          pixels: count,
          colourResidual: Math.sqrt(bestRes / (3 * count)),
          shapeError: bestErr / (cell * cell)
        });
      }
    }
    return out;
  }
  /** Scores an image against a scene, an object list, or a caption (parsed with the world's vocabulary). */
  score(image, target) {
    const objects = typeof target === "string" ? this.world.parseCaption(target) : Array.isArray(target) ? target : target.objects;
    if (objects.length === 0) throw new Error("score: the target has no objects");
    return scoreObjects(this.judge(image), objects);
  }
};
function scoreObjects(judged, targets) {
  const byCell = /* @__PURE__ */ new Map();
  for (const j of judged) byCell.set(cellIndex(j.cell), j);
  const targetCells = /* @__PURE__ */ new Set();
  const objects = targets.map((t) => {
    const idx = cellIndex(t.cell);
    if (targetCells.has(idx)) throw new Error(`score: two target objects at the ${POSITION_NAMES[idx]}`);
    targetCells.add(idx);
    const f = byCell.get(idx);
    const colour = f !== void 0 && f.colour === t.colour;
    const shape = f !== void 0 && f.shape === t.shape;
    const size = f !== void 0 && f.size === t.size;
    return { target: t, found: f, position: f !== void 0, colour, shape, size, exact: colour && shape && size };
  });
  const extra = judged.filter((j) => !targetCells.has(cellIndex(j.cell)));
  const frac = (k) => objects.filter((o) => o[k]).length / objects.length;
  const objectAccuracy = frac("exact");
  return {
    objects,
    extra,
    position: frac("position"),
    colour: frac("colour"),
    shape: frac("shape"),
    size: frac("size"),
    objectAccuracy,
    count: judged.length === targets.length,
    exact: objectAccuracy === 1 && extra.length === 0
  };
}
var ScoreTally = class {
  n = 0;
  objects = 0;
  sums = { position: 0, colour: 0, shape: 0, size: 0, exactObjects: 0, exactImages: 0, count: 0, extra: 0 };
  /** Adds one image's score. */
  add(score) {
    this.n++;
    this.objects += score.objects.length;
    for (const o of score.objects) {
      this.sums.position += +o.position;
      this.sums.colour += +o.colour;
      this.sums.shape += +o.shape;
      this.sums.size += +o.size;
      this.sums.exactObjects += +o.exact;
    }
    this.sums.exactImages += +score.exact;
    this.sums.count += +score.count;
    this.sums.extra += score.extra.length;
    return this;
  }
  /** Accuracies over every object added (attributes) and every image added (exact, count). */
  summary() {
    const o = Math.max(1, this.objects);
    const n = Math.max(1, this.n);
    return {
      images: this.n,
      objects: this.objects,
      position: this.sums.position / o,
      colour: this.sums.colour / o,
      shape: this.sums.shape / o,
      size: this.sums.size / o,
      objectAccuracy: this.sums.exactObjects / o,
      exact: this.sums.exactImages / n,
      count: this.sums.count / n,
      extraPerImage: this.sums.extra / n
    };
  }
};
function shift(src, cell, dx, dy) {
  if (dx === 0 && dy === 0) return src;
  const out = new Float32Array(cell * cell);
  for (let y = 0; y < cell; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= cell) continue;
    for (let x = 0; x < cell; x++) {
      const sx = x - dx;
      if (sx >= 0 && sx < cell) out[y * cell + x] = src[sy * cell + sx];
    }
  }
  return out;
}
function medianColour(image) {
  const hw = image.width * image.height;
  const out = [];
  for (let c = 0; c < 3; c++) {
    const hist = new Uint32Array(256);
    for (let i = 0; i < hw; i++) hist[image.data[i * 3 + c]]++;
    let acc = 0;
    let v = 0;
    for (; v < 256; v++) {
      acc += hist[v];
      if (acc * 2 >= hw) break;
    }
    out.push(v);
  }
  return out;
}

// ../../packages/data/src/png.ts
import { PNG } from "pngjs";
function encodePng(image) {
  checkImage(image, "encodePng");
  const { width, height, data } = image;
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = data[i * 3];
    rgba[i * 4 + 1] = data[i * 3 + 1];
    rgba[i * 4 + 2] = data[i * 3 + 2];
    rgba[i * 4 + 3] = 255;
  }
  const buf = PNG.sync.write({ width, height, data: rgba }, { colorType: 2, inputHasAlpha: true });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
async function writePng(path, image) {
  const fs = await import("node:fs/promises");
  const nodePath = await import("node:path");
  await fs.mkdir(nodePath.dirname(path), { recursive: true });
  await fs.writeFile(path, encodePng(image));
}

// ../../packages/data/src/font.ts
var GLYPH_WIDTH = 5;
var GLYPH_HEIGHT = 7;
var G = {
  A: ".###.|#...#|#...#|#####|#...#|#...#|#...#",
  B: "####.|#...#|#...#|####.|#...#|#...#|####.",
  C: ".###.|#...#|#....|#....|#....|#...#|.###.",
  D: "####.|#...#|#...#|#...#|#...#|#...#|####.",
  E: "#####|#....|#....|####.|#....|#....|#####",
  F: "#####|#....|#....|####.|#....|#....|#....",
  G: ".###.|#...#|#....|#.###|#...#|#...#|.####",
  H: "#...#|#...#|#...#|#####|#...#|#...#|#...#",
  I: ".###.|..#..|..#..|..#..|..#..|..#..|.###.",
  J: "..###|...#.|...#.|...#.|...#.|#..#.|.##..",
  K: "#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#",
  L: "#....|#....|#....|#....|#....|#....|#####",
  M: "#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#",
  N: "#...#|#...#|##..#|#.#.#|#..##|#...#|#...#",
  O: ".###.|#...#|#...#|#...#|#...#|#...#|.###.",
  P: "####.|#...#|#...#|####.|#....|#....|#....",
  Q: ".###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#",
  R: "####.|#...#|#...#|####.|#.#..|#..#.|#...#",
  S: ".####|#....|#....|.###.|....#|....#|####.",
  T: "#####|..#..|..#..|..#..|..#..|..#..|..#..",
  U: "#...#|#...#|#...#|#...#|#...#|#...#|.###.",
  V: "#...#|#...#|#...#|#...#|#...#|.#.#.|..#..",
  W: "#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.",
  X: "#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#",
  Y: "#...#|#...#|.#.#.|..#..|..#..|..#..|..#..",
  Z: "#####|....#|...#.|..#..|.#...|#....|#####",
  "0": ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.",
  "1": "..#..|.##..|..#..|..#..|..#..|..#..|.###.",
  "2": ".###.|#...#|....#|...#.|..#..|.#...|#####",
  "3": "#####|...#.|..#..|...#.|....#|#...#|.###.",
  "4": "...#.|..##.|.#.#.|#..#.|#####|...#.|...#.",
  "5": "#####|#....|####.|....#|....#|#...#|.###.",
  "6": "..##.|.#...|#....|####.|#...#|#...#|.###.",
  "7": "#####|....#|...#.|..#..|.#...|.#...|.#...",
  "8": ".###.|#...#|#...#|.###.|#...#|#...#|.###.",
  "9": ".###.|#...#|#...#|.####|....#|...#.|.##..",
  " ": ".....|.....|.....|.....|.....|.....|.....",
  ".": ".....|.....|.....|.....|.....|.##..|.##..",
  ",": ".....|.....|.....|.....|.##..|..#..|.#...",
  "?": ".###.|#...#|....#|...#.|..#..|.....|..#..",
  "!": "..#..|..#..|..#..|..#..|..#..|.....|..#..",
  ":": ".....|.##..|.##..|.....|.##..|.##..|.....",
  ";": ".....|.##..|.##..|.....|.##..|..#..|.#...",
  "(": "...#.|..#..|.#...|.#...|.#...|..#..|...#.",
  ")": ".#...|..#..|...#.|...#.|...#.|..#..|.#...",
  "-": ".....|.....|.....|#####|.....|.....|.....",
  "+": ".....|..#..|..#..|#####|..#..|..#..|.....",
  "=": ".....|.....|#####|.....|#####|.....|.....",
  "'": "..#..|..#..|.#...|.....|.....|.....|.....",
  '"': ".#.#.|.#.#.|.....|.....|.....|.....|.....",
  "/": ".....|....#|...#.|..#..|.#...|#....|.....",
  "%": "##...|##..#|...#.|..#..|.#...|#..##|...##",
  "<": "...#.|..#..|.#...|#....|.#...|..#..|...#.",
  ">": ".#...|..#..|...#.|....#|...#.|..#..|.#...",
  _: ".....|.....|.....|.....|.....|.....|#####",
  "#": ".#.#.|.#.#.|#####|.#.#.|#####|.#.#.|.#.#."
};
var UNKNOWN = "#####|#...#|#...#|#...#|#...#|#...#|#####";
var BITMAPS = /* @__PURE__ */ new Map();
for (const [ch, rows] of [...Object.entries(G), ["\0", UNKNOWN]]) {
  const bits = new Uint8Array(GLYPH_WIDTH * GLYPH_HEIGHT);
  rows.split("|").forEach((r, y) => [...r].forEach((c, x) => bits[y * GLYPH_WIDTH + x] = c === "#" ? 1 : 0));
  BITMAPS.set(ch, bits);
}
function glyph(ch) {
  return BITMAPS.get(ch.toUpperCase()) ?? BITMAPS.get("\0");
}
function drawText(image, text, x, y, colour, scale = 1) {
  let cx = x;
  for (const ch of text) {
    const bits = glyph(ch);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (!bits[gy * GLYPH_WIDTH + gx]) continue;
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale; sx++) {
            const px = cx + gx * scale + sx;
            const py = y + gy * scale + sy;
            if (px < 0 || py < 0 || px >= image.width || py >= image.height) continue;
            const p = (py * image.width + px) * 3;
            image.data[p] = colour[0];
            image.data[p + 1] = colour[1];
            image.data[p + 2] = colour[2];
          }
        }
      }
    }
    cx += (GLYPH_WIDTH + 1) * scale;
  }
}
function wrapText(text, maxChars) {
  if (!Number.isInteger(maxChars) || maxChars < 1) throw new Error(`wrapText: maxChars must be a positive integer, got ${maxChars}`);
  const lines = [];
  let line = "";
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > maxChars) {
      if (line) lines.push(line);
      lines.push(word.slice(0, maxChars));
      word = word.slice(maxChars);
      line = "";
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= maxChars) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

// ../../packages/data/src/sheet.ts
var LINE_H = GLYPH_HEIGHT + 3;
function layoutSheet(images, captions, o) {
  if (images.length === 0) throw new Error("imageSheet: no images");
  if (captions && captions.length !== images.length) throw new Error(`imageSheet: ${images.length} images but ${captions.length} captions`);
  images.forEach((im, i) => checkImage(im, `imageSheet (image ${i})`));
  const scale = o.scale ?? 4;
  const gap = o.gap ?? 6;
  const maxLines = o.maxLines ?? 4;
  const columns = o.columns ?? Math.ceil(Math.sqrt(images.length));
  for (const [k, v, lo] of [["scale", scale, 1], ["gap", gap, 0], ["maxLines", maxLines, 1], ["columns", columns, 1]]) {
    if (!Number.isInteger(v) || v < lo) throw new Error(`imageSheet: ${k} must be an integer >= ${lo}, got ${v}`);
  }
  const tileW = Math.max(...images.map((im) => im.width)) * scale;
  const tileH = Math.max(...images.map((im) => im.height)) * scale;
  const maxChars = Math.max(1, Math.floor((tileW + 1) / (GLYPH_WIDTH + 1)));
  const lines = images.map((_, i) => {
    if (!captions) return [];
    const all = wrapText(captions[i], maxChars);
    if (all.length <= maxLines) return all;
    const kept = all.slice(0, maxLines);
    const last = kept[maxLines - 1];
    kept[maxLines - 1] = `${last.slice(0, Math.max(0, maxChars - 3))}...`;
    return kept;
  });
  const captionH = captions ? Math.max(1, ...lines.map((l) => l.length)) * LINE_H + 2 : 0;
  return { columns, rows: Math.ceil(images.length / columns), tileW, tileH, captionH, gap, scale, lines };
}
function imageSheet(images, captions, options = {}) {
  const L = layoutSheet(images, captions, options);
  const width = L.gap + L.columns * (L.tileW + L.gap);
  const height = L.gap + L.rows * (L.tileH + L.captionH + L.gap);
  const sheet = createImage(width, height, options.background ?? [255, 255, 255]);
  const ink = options.textColour ?? [0, 0, 0];
  images.forEach((im, i) => {
    const x0 = L.gap + i % L.columns * (L.tileW + L.gap);
    const y0 = L.gap + Math.floor(i / L.columns) * (L.tileH + L.captionH + L.gap);
    const big = upscale(im, L.scale);
    for (let y = 0; y < big.height; y++) {
      sheet.data.set(big.data.subarray(y * big.width * 3, (y + 1) * big.width * 3), ((y0 + y) * width + x0) * 3);
    }
    L.lines[i].forEach((line, k) => drawText(sheet, line, x0, y0 + L.tileH + 2 + k * LINE_H, ink));
  });
  return sheet;
}
function base64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 32768) s += String.fromCharCode(...bytes.subarray(i, i + 32768));
  return btoa(s);
}
function escapeXml(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
function svgSheet(images, captions, options = {}) {
  const L = layoutSheet(images, captions, options);
  const width = L.gap + L.columns * (L.tileW + L.gap);
  const height = L.gap + L.rows * (L.tileH + L.captionH + L.gap);
  const bg = options.background ?? [255, 255, 255];
  const ink = options.textColour ?? [0, 0, 0];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="rgb(${bg.join(",")})"/>`
  ];
  images.forEach((im, i) => {
    const x0 = L.gap + i % L.columns * (L.tileW + L.gap);
    const y0 = L.gap + Math.floor(i / L.columns) * (L.tileH + L.captionH + L.gap);
    const b64 = base64(encodePng(im));
    parts.push(`<image x="${x0}" y="${y0}" width="${im.width * L.scale}" height="${im.height * L.scale}" style="image-rendering:pixelated" href="data:image/png;base64,${b64}"/>`);
    L.lines[i].forEach((line, k) => {
      parts.push(`<text x="${x0}" y="${y0 + L.tileH + 2 + (k + 1) * LINE_H - 3}" font-family="monospace" font-size="${LINE_H - 1}" fill="rgb(${ink.join(",")})">${escapeXml(line)}</text>`);
    });
  });
  parts.push("</svg>");
  return parts.join("\n");
}
async function writeSheet(path, images, captions, options = {}) {
  if (!path.endsWith(".png")) throw new Error(`writeSheet: path must end with .png, got '${path}'`);
  await writePng(path, imageSheet(images, captions, options));
  if (options.svg === false) return { png: path };
  const svg = `${path.slice(0, -4)}.svg`;
  const fs = await import("node:fs/promises");
  await fs.writeFile(svg, svgSheet(images, captions, options));
  return { png: path, svg };
}

// ../../packages/data/src/tokenizer.ts
var SPECIAL_KEYS = ["bos", "eos", "pad", "boi", "eoi", "mask"];
function specialTokenName(key) {
  return `<${key}>`;
}
function specialsFrom(base) {
  const ids = {};
  SPECIAL_KEYS.forEach((k, i) => ids[k] = base + i);
  return ids;
}
function checkId(op, id, vocabSize) {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`${op}: token id ${id} is outside [0, ${vocabSize})`);
}
function wrap(ids, special, options) {
  if (options.bos) ids.unshift(special.bos);
  if (options.eos) ids.push(special.eos);
  return ids;
}
var NO_SPACE_BEFORE = /* @__PURE__ */ new Set([".", ",", "?", "!", ":", ";", ")"]);
var WordTokenizer = class {
  /** Implementation tag. */
  kind = "word";
  /** Special-token ids (0..5). */
  special = Object.freeze(specialsFrom(0));
  /** The words, in id order after the specials. */
  words;
  ids = /* @__PURE__ */ new Map();
  /** A tokenizer over `words` (unique, each a word or a single punctuation mark). */
  constructor(words) {
    const list = [];
    for (const w of words) {
      if (!/^(?:[A-Za-z0-9]+|[^\sA-Za-z0-9])$/.test(w)) throw new Error(`WordTokenizer: '${w}' is not a single word or punctuation mark`);
      if (this.ids.has(w)) throw new Error(`WordTokenizer: duplicate word '${w}'`);
      this.ids.set(w, SPECIAL_KEYS.length + list.length);
      list.push(w);
    }
    this.words = Object.freeze(list);
  }
  /** Number of specials plus words. */
  get vocabSize() {
    return SPECIAL_KEYS.length + this.words.length;
  }
  /** The id of a word, or undefined. */
  tokenToId(word) {
    return this.ids.get(word);
  }
  /** Word ids of `text`; throws naming the first unknown word and its character offset. */
  encode(text, options = {}) {
    const ids = [];
    for (const m of text.matchAll(/[A-Za-z0-9]+|[^\sA-Za-z0-9]/g)) {
      const id = this.ids.get(m[0]);
      if (id === void 0) throw new Error(`WordTokenizer.encode: unknown word '${m[0]}' at character ${m.index} of "${text}"`);
      ids.push(id);
    }
    return wrap(ids, this.special, options);
  }
  /** Joins the words of `ids` (see the class comment for the spacing rule). */
  decode(ids, options = {}) {
    let out = "";
    let prev = "";
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      checkId("WordTokenizer.decode", id, this.vocabSize);
      if (id < SPECIAL_KEYS.length && options.skipSpecial) continue;
      const tok = this.idToToken(id);
      if (out.length > 0 && !NO_SPACE_BEFORE.has(tok) && prev !== "(") out += " ";
      out += tok;
      prev = tok;
    }
    return out;
  }
  /** The word (or special name) of an id. */
  idToToken(id) {
    checkId("WordTokenizer.idToToken", id, this.vocabSize);
    return id < SPECIAL_KEYS.length ? specialTokenName(SPECIAL_KEYS[id]) : this.words[id - SPECIAL_KEYS.length];
  }
};

// ../../packages/data/src/vocab.ts
function worldVocabulary(world = defaultWorld()) {
  const words = /* @__PURE__ */ new Set();
  const add2 = (text) => {
    for (const w of splitWords(text.replace(/\{[a-z]+\}/g, " "))) words.add(w);
  };
  for (const f of [...CAPTION_FRAMES.one, ...CAPTION_FRAMES.many]) add2(f);
  for (const q of Object.values(QUESTION_TEXTS)) add2(q);
  for (const o of [...RELATION_OPTIONS.straight, ...RELATION_OPTIONS.diagonal]) add2(o);
  for (const row of POSITION_PHRASES) for (const cell of row) for (const p of cell) add2(p);
  POSITION_NAMES.forEach(add2);
  NUMBER_WORDS.forEach(add2);
  for (const ws of Object.values(SIZE_WORDS)) ws.forEach(add2);
  DESCRIPTION_WORDS.forEach(add2);
  add2(", and");
  for (const l of OPTION_LETTERS) add2(`(${l})`);
  world.config.shapes.forEach(add2);
  world.config.colours.forEach(add2);
  return [...words].sort();
}
function wordTokenizer(world = defaultWorld()) {
  return new WordTokenizer(worldVocabulary(world));
}

// ../../packages/model/src/generate.ts
function runPrefix(model, prompts, backend) {
  const s = model.special;
  const rows = prompts.map((p) => [s.bos, ...p, s.boi]);
  const P = Math.max(...rows.map((r) => r.length));
  const R = rows.length;
  const N = model.numVisualTokens;
  const ids = new Int32Array(R * P).fill(s.pad);
  const valid = [];
  const positions = [];
  const spanPositions = new Int32Array(R * N);
  rows.forEach((r, i) => {
    const pad = P - r.length;
    ids.set(r, i * P + pad);
    valid.push(Array.from({ length: P }, (_, t) => t >= pad ? 1 : 0));
    positions.push(Array.from({ length: P }, (_, t) => Math.max(0, t - pad)));
    for (let j = 0; j < N; j++) spanPositions[i * N + j] = r.length + j;
  });
  const cache = model.lm.createCache(R, P + N);
  tidy(() => {
    model.lm.model.forward({ inputIds: tensor(ids, { shape: [R, P], dtype: "int32", backend }), attention: { keyPaddingMask: valid }, positionIds: positions, cache });
  });
  return { cache, length: P, spanPositions, rows: R };
}
function spanHidden(model, prefix, inputs) {
  const N = model.numVisualTokens;
  const d = model.config.backbone.hiddenSize;
  return tidy(() => {
    const B = inputs.shape[0] / N;
    const x = prefix.rows === B ? inputs : concat([inputs, inputs], 0);
    const z2 = model.lm.model.forward({
      inputsEmbeds: x.reshape(prefix.rows, N, d),
      positionIds: prefix.spanPositions,
      attention: { spans: [[prefix.length, prefix.length + N]] },
      cache: prefix.cache,
      appendToCache: false
    });
    return z2.reshape(prefix.rows * N, d);
  });
}
function rowIndex(positions, count, N, offset = 0) {
  const out = new Int32Array(positions.length);
  for (let i = 0; i < positions.length; i++) out[i] = offset + Math.floor(i / count) * N + positions[i];
  return out;
}
function replaceRows(table, rows, values, backend) {
  const n = table.shape[0];
  const map = new Int32Array(n);
  for (let i = 0; i < n; i++) map[i] = i;
  rows.forEach((r, k) => map[r] = n + k);
  return concat([table, values], 0).indexSelect(0, tensor(map, { dtype: "int32", backend }));
}
async function generateImages(model, prompts, options = {}) {
  const op = "generateImages";
  const N = model.numVisualTokens;
  const B = prompts.length;
  if (B === 0) throw new Error(`${op}: no prompts`);
  const K = options.steps ?? 16;
  if (!Number.isInteger(K) || K < 1 || K > N) throw new Error(`${op}: steps must be an integer in [1, ${N}] (the number of visual tokens), got ${K}`);
  const g = options.guidance ?? 1;
  if (!Number.isFinite(g)) throw new Error(`${op}: guidance must be finite, got ${g}`);
  const rounds = options.regenerationRounds ?? 0;
  if (!Number.isInteger(rounds) || rounds < 0) throw new Error(`${op}: regenerationRounds must be an integer >= 0, got ${rounds}`);
  const rho = options.regenerationFraction ?? 0.25;
  if (!(rho > 0 && rho <= 1)) throw new Error(`${op}: regenerationFraction must be in (0, 1], got ${rho}`);
  const gen2 = options.generator ?? new Generator(0);
  const decode = options.decodePixels ?? true;
  const flowSteps = options.flowSteps ?? model.config.flow.sampleSteps;
  const method = options.flowSampler ?? model.config.flow.sampler;
  const schedule = options.guidanceSchedule ?? "linear";
  const policyName = options.regenerationPolicy ?? "random";
  const be = model.backend;
  const d = model.config.backbone.hiddenSize;
  const C = model.config.pixelDim;
  const invert = model.invert_projector;
  const wasTraining = model.training;
  model.eval();
  const guided = g !== 1;
  const prefix = noGrad(() => runPrefix(model, guided ? [...prompts, ...prompts.map(() => [])] : prompts, be));
  const owned = [];
  try {
    let inputs = keep(noGrad(() => tidy(() => model.mask_embedding.reshape(1, d).expand(B * N, d).contiguous())));
    let predictions = keep(noGrad(() => tidy(() => invert.predict(inputs))));
    let latents = decode ? keep(zeros([B * N, C], { backend: be })) : null;
    owned.push(inputs, predictions);
    if (latents) owned.push(latents);
    const swap = (old, next) => {
      keep(next);
      owned.splice(owned.indexOf(old), 1, next);
      old.dispose();
      return next;
    };
    const reveal = (positions, count, scale) => {
      noGrad(() => {
        const rows = rowIndex(positions, count, N);
        const next = tidy(() => {
          const z2 = spanHidden(model, prefix, inputs);
          const zc = z2.indexSelect(0, tensor(rows, { dtype: "int32", backend: be }));
          const eHat = invert.predict(zc);
          const fb = invert.feedback(eHat);
          const x = decode ? sampleFlow(model.flow_head, zc, { steps: flowSteps, method, temperature: options.temperature, cfgScale: scale, nullCondition: guided ? z2.indexSelect(0, tensor(rowIndex(positions, count, N, B * N), { dtype: "int32", backend: be })) : void 0, generator: gen2 }) : null;
          return { inputs: replaceRows(inputs, rows, fb, be), predictions: replaceRows(predictions, rows, eHat, be), latents: x && latents ? replaceRows(latents, rows, x, be) : null };
        });
        inputs = swap(inputs, next.inputs);
        predictions = swap(predictions, next.predictions);
        if (latents && next.latents) latents = swap(latents, next.latents);
      });
    };
    const orders = options.order === "raster" ? rasterOrders(B, N) : randomOrders(gen2, B, N);
    const steps = revealStepsBatch(orders, B, K);
    const left = maskedAfterSteps(N, K);
    steps.forEach((pos, k) => reveal(pos, pos.length / B, guided ? cfgScale(schedule, g, N, left[k]) : 1));
    const current2 = Array.from({ length: B }, (_, b) => orders.slice(b * N, (b + 1) * N));
    for (let r = 1; r <= rounds; r++) {
      let scores = null;
      if (policyName === "lowest-agreement") {
        const agreement = noGrad(() => tidy(() => cosineSimilarity(invert.predict(spanHidden(model, prefix, inputs).narrow(0, 0, B * N)), predictions, -1)));
        scores = await agreement.data();
        agreement.dispose();
      }
      const plans = current2.map(
        (order, b) => regenerationRound({
          n: N,
          steps: K,
          gen: gen2,
          round: r,
          order,
          policy: getRegenerationPolicy(policyName === "lowest-agreement" ? "lowest-score" : policyName, rho),
          scores: scores ? scores.subarray(b * N, (b + 1) * N) : void 0
        })
      );
      const M = plans[0].positions.length;
      const reset = new Int32Array(B * M);
      plans.forEach((p, b) => reset.set(p.positions, b * M));
      const maskRows = rowIndex(reset, M, N);
      inputs = swap(inputs, noGrad(() => tidy(() => replaceRows(inputs, maskRows, model.mask_embedding.reshape(1, d).expand(maskRows.length, d), be))));
      const Kr = plans[0].steps;
      const leftR = maskedAfterSteps(M, Kr);
      for (let k = 0; k < Kr; k++) {
        const c = plans[0].reveal[k].length;
        const pos = new Int32Array(B * c);
        plans.forEach((p, b) => pos.set(p.reveal[k], b * c));
        reveal(pos, c, guided ? cfgScale(schedule, g, M, leftR[k]) : 1);
      }
      plans.forEach((p, b) => {
        if (p.generationOrder) current2[b] = p.generationOrder;
      });
    }
    const shapeOut = (t, w) => noGrad(() => tidy(() => t.reshape(B, N, w).contiguous()));
    const embeddings = shapeOut(inputs, d);
    const preds = shapeOut(predictions, invert.outDim);
    let images = null;
    let lat = null;
    if (latents) {
      lat = shapeOut(latents, C);
      const pixels = noGrad(() => model.pixel_encoder.decode(lat));
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

// ../../packages/model/src/understand.ts
async function decodeFromEmbeddings(model, visual, options = {}) {
  const N = model.numVisualTokens;
  const d = model.config.backbone.hiddenSize;
  const B = visual.shape[0];
  if (visual.rank !== 3 || visual.shape[1] !== N || visual.shape[2] !== d) throw new Error(`decodeFromEmbeddings: visual embeddings must be [B, ${N}, ${d}], got ${JSON.stringify(visual.shape)}`);
  const maxTokens = options.maxTokens ?? 48;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new Error(`decodeFromEmbeddings: maxTokens must be a positive integer, got ${maxTokens}`);
  const s = model.special;
  const prompt = options.prompt ?? [];
  const row = [s.bos, s.boi, ...new Array(N).fill(s.pad), s.eoi, ...prompt];
  const L = row.length;
  const be = model.backend;
  const gen2 = options.generator ?? new Generator(0);
  const sampling = { temperature: options.temperature ?? 0, topK: options.topK, topP: options.topP };
  const wasTraining = model.training;
  model.eval();
  const cache = model.lm.createCache(B, L + maxTokens);
  const out = Array.from({ length: B }, () => []);
  const done = new Array(B).fill(false);
  const pick2 = async (logits) => {
    try {
      return await sampleTokens(logits, sampling, gen2);
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
    let next = await pick2(
      noGrad(
        () => tidy(() => {
          const h = model.lm.model.forward({
            inputIds: tensor(ids, { shape: [B, L], dtype: "int32", backend: be }),
            inputsEmbeds: visual.reshape(B * N, d),
            embedsMask: mask,
            attention: { spans: [[2, 2 + N]] },
            cache
          });
          return model.lm.logits(h.narrow(1, L - 1, 1).reshape(B, d));
        })
      )
    );
    for (let t = 0; t < maxTokens; t++) {
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        if (next[b] === s.eos) done[b] = true;
        else out[b].push(next[b]);
      }
      if (done.every(Boolean) || t === maxTokens - 1) break;
      const feed = Int32Array.from(next, (v, b) => done[b] ? s.pad : v);
      next = await pick2(
        noGrad(
          () => tidy(() => {
            const h = model.lm.model.forward({ inputIds: tensor(feed, { shape: [B, 1], dtype: "int32", backend: be }), cache });
            return model.lm.logits(h.reshape(B, d));
          })
        )
      );
    }
    return out;
  } finally {
    cache.dispose();
    if (wasTraining) model.train();
  }
}
function visualEmbeddings(model, images) {
  const d = model.config.backbone.hiddenSize;
  return noGrad(
    () => tidy(() => {
      const { features, latents } = model.encodeImages(images);
      latents.dispose();
      return model.input_projector.forward(features).reshape(images.shape[0], model.numVisualTokens, d);
    })
  );
}
async function describeImages(model, images, options = {}) {
  const visual = visualEmbeddings(model, images);
  try {
    return (await decodeFromEmbeddings(model, visual, options)).map((ids) => model.tokenizer.decode(ids, { skipSpecial: true }));
  } finally {
    visual.dispose();
  }
}
async function answerQuestions(model, images, questions) {
  const B = images.shape[0];
  if (questions.length !== B) throw new Error(`answerQuestions: ${B} images but ${questions.length} questions`);
  const tok = model.tokenizer;
  const examples = [];
  questions.forEach((q, b) => {
    if (q.options.length < 2) throw new Error(`answerQuestions: question ${b} has ${q.options.length} options; need at least 2`);
    const prompt = tok.encode(q.question, { bos: false, eos: false });
    q.options.forEach((o) => {
      examples.push({ kind: "understand", image: b, prompt, target: tok.encode(o, { bos: false, eos: false }) });
    });
  });
  const wasTraining = model.training;
  model.eval();
  try {
    const scores = noGrad(
      () => tidy(() => {
        const enc = model.encodeImages(images);
        const seq = buildSequences(examples, model.special, { numVisualTokens: model.numVisualTokens, numImages: B, generationMask: new Uint8Array(0) });
        const hidden = model.hiddenStates({ sequences: seq, features: enc.features, latents: enc.latents }).reshape(-1, model.config.backbone.hiddenSize);
        const be = model.backend;
        const rows = hidden.indexSelect(0, tensor(seq.textRows, { dtype: "int32", backend: be }));
        const lsm = model.lm.logits(rows).logSoftmax(-1);
        const picked = lsm.gather(-1, tensor(seq.textTargets, { shape: [seq.textTargets.length, 1], dtype: "int32", backend: be })).reshape(-1);
        const perExample = new Int32Array(seq.textRows.length);
        for (let r = 0; r < perExample.length; r++) perExample[r] = Math.floor(seq.textRows[r] / seq.length);
        return { sums: picked, perExample };
      })
    );
    const values = await scores.sums.data();
    scores.sums.dispose();
    const ll = new Float64Array(examples.length);
    for (let r = 0; r < values.length; r++) ll[scores.perExample[r]] += values[r];
    const results = questions.map((q) => ({ choice: 0, logLikelihoods: new Array(q.options.length).fill(0) }));
    let e = 0;
    questions.forEach((q, b) => {
      for (let o = 0; o < q.options.length; o++) results[b].logLikelihoods[o] = ll[e++];
      const lls = results[b].logLikelihoods;
      results[b].choice = lls.indexOf(Math.max(...lls));
    });
    return results;
  } finally {
    if (wasTraining) model.train();
  }
}

// ../../packages/model/src/trainer.ts
var NonFiniteLossError = class extends Error {
  constructor(step, part, value) {
    super(`training stopped at step ${step}: loss part '${part}' is ${value}`);
    this.step = step;
    this.part = part;
    this.value = value;
    this.name = "NonFiniteLossError";
  }
  step;
  part;
  value;
};
var PARTS = ["total", "text", "crossEntropy", "zLoss", "ploss", "diffuloss"];
var CHECK_ORDER = ["crossEntropy", "zLoss", "text", "ploss", "diffuloss", "total"];
function batchExamples(model, samples, gen2) {
  const mix = model.config.mix;
  const tok = model.tokenizer;
  const enc = (s) => tok.encode(s, { bos: false, eos: false });
  return samples.map((s, i) => {
    const caption = mix.captionStyle === "canonical" ? s.canonicalCaption : s.caption;
    if (gen2.uniform() < mix.understandingFraction) {
      if (gen2.uniform() < mix.questionFraction) return { kind: "understand", image: i, prompt: enc(s.question.text), target: enc(s.question.answer) };
      return { kind: "understand", image: i, prompt: [], target: enc(caption) };
    }
    const drop = gen2.uniform() < mix.captionDropout;
    return { kind: "generate", image: i, prompt: drop ? [] : enc(caption) };
  });
}
var Trainer = class {
  /** Set up optimizer and schedule for `model` trained on `world`. */
  constructor(model, world, options) {
    this.model = model;
    this.world = world;
    const batchSize = options.batchSize ?? 16;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`Trainer: batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(options.samples) || options.samples < 1) throw new Error(`Trainer: samples must be a positive integer, got ${options.samples}`);
    const totalSteps2 = Math.ceil(options.samples / batchSize);
    const lr = options.lr ?? 2e-3;
    const o = {
      batchSize,
      samples: options.samples,
      lr,
      minLr: options.minLr ?? lr / 10,
      warmupSteps: options.warmupSteps ?? Math.max(1, Math.round(totalSteps2 * 0.05)),
      weightDecay: options.weightDecay ?? 0.1,
      betas: options.betas ?? [0.9, 0.95],
      gradClip: options.gradClip ?? 1,
      seed: options.seed ?? 0,
      split: options.split ?? "train",
      flowWarmupSteps: options.flowWarmupSteps ?? 0,
      pool: options.pool ?? 0,
      start: options.start ?? 0
    };
    if (!Number.isInteger(o.start) || o.start < 0) throw new Error(`Trainer: start must be a non-negative integer, got ${o.start}`);
    if (!Number.isInteger(o.pool) || o.pool < 0) throw new Error(`Trainer: pool must be a non-negative integer, got ${o.pool}`);
    this.options = o;
    this.totalSteps = totalSteps2;
    this.generator = new Generator(o.seed);
    this.optimizer = new AdamW(paramGroupsNoDecay(model, { weightDecay: o.weightDecay }), { lr: o.lr, betas: o.betas, weightDecay: o.weightDecay });
    this.scheduler = new LRScheduler(this.optimizer, linearWarmupCosine({ lr: o.lr, minLr: o.minLr, warmupSteps: Math.min(o.warmupSteps, totalSteps2), totalSteps: totalSteps2 }));
  }
  model;
  world;
  /** Optimizer steps taken. */
  step = 0;
  /** Training samples consumed. */
  samplesSeen = 0;
  /** The run's random stream (saved in checkpoints). */
  generator;
  /** The optimizer. */
  optimizer;
  /** The learning-rate schedule. */
  scheduler;
  /** Total steps of the run. */
  totalSteps;
  /** Resolved options. */
  options;
  /** Whether the flow warm-up has run (saved in checkpoints). */
  flowWarmedUp = false;
  /** Whether the data budget is spent. */
  get done() {
    return this.step >= this.totalSteps;
  }
  /** The next batch's samples (sample indices `samplesSeen ..`). */
  nextSamples() {
    const n = Math.min(this.options.batchSize, this.options.samples - this.samplesSeen);
    const pool = this.options.pool;
    const first = this.options.start;
    return Array.from({ length: Math.max(1, n) }, (_, i) => this.world.sample(this.options.split, first + (pool > 0 ? (this.samplesSeen + i) % pool : this.samplesSeen + i)));
  }
  /** Train the flow head alone for `flowWarmupSteps` steps on (z, latent) pairs from the current model (exp4). */
  async warmupFlow(onProgress) {
    if (this.flowWarmedUp || this.options.flowWarmupSteps <= 0) return;
    const model = this.model;
    const gen2 = new Generator(this.options.seed + 7919);
    const d = model.config.backbone.hiddenSize;
    const source = (step) => {
      const samples = Array.from({ length: this.options.batchSize }, (_, i) => this.world.sample(this.options.split, 1e9 + step * this.options.batchSize + i));
      const examples = samples.map((s, i) => ({ kind: "generate", image: i, prompt: model.tokenizer.encode(s.caption, { bos: false, eos: false }) }));
      return noGrad(
        () => tidy(() => {
          const images = imagesToTensor(samples.map((s) => s.image), model.backend);
          const batch = model.prepare(examples, images, gen2);
          const z2 = model.hiddenStates(batch).reshape(-1, d).indexSelect(0, tensor(batch.sequences.maskedRows, { dtype: "int32", backend: model.backend }));
          const x = batch.latents.reshape(-1, model.config.pixelDim).indexSelect(0, tensor(batch.sequences.maskedTokens, { dtype: "int32", backend: model.backend }));
          return { condition: z2, latent: x, dispose: true };
        })
      );
    };
    await warmupFlowHead(model.flow_head, source, { steps: this.options.flowWarmupSteps, lr: this.options.lr, batchMul: model.config.flow.batchMul, generator: gen2, progressEvery: 10, onProgress });
    this.flowWarmedUp = true;
  }
  /** One optimizer step; returns the metrics (throws `NonFiniteLossError` before updating on NaN/Inf). */
  async trainStep() {
    if (this.done) throw new Error(`Trainer.trainStep: the run is complete (${this.totalSteps} steps)`);
    const t0 = performance.now();
    const model = this.model;
    const samples = this.nextSamples();
    const examples = batchExamples(model, samples, this.generator);
    this.optimizer.zeroGrad();
    const { parts, total } = tidy(() => {
      const images = imagesToTensor(samples.map((s) => s.image), model.backend);
      const batch = model.prepare(examples, images, this.generator);
      const p = model.loss(batch, this.generator);
      return { parts: p, total: p.total };
    });
    const values = await readParts(parts);
    for (const k of CHECK_ORDER) {
      if (!Number.isFinite(values[k])) {
        disposeParts(parts);
        this.optimizer.zeroGrad();
        throw new NonFiniteLossError(this.step, k, values[k]);
      }
    }
    total.backward();
    const normT = this.options.gradClip > 0 ? clipGradNorm(model.parameters().filter((p) => p.requiresGrad), this.options.gradClip) : null;
    const gradNorm = normT ? await normT.item() : NaN;
    normT?.dispose();
    if (normT && !Number.isFinite(gradNorm)) {
      disposeParts(parts);
      this.optimizer.zeroGrad();
      throw new NonFiniteLossError(this.step, "gradNorm", gradNorm);
    }
    const lr = this.scheduler.getLr();
    this.optimizer.step();
    this.scheduler.step();
    model.afterOptimizerStep();
    disposeParts(parts);
    this.step++;
    this.samplesSeen += samples.length;
    return { step: this.step, samples: this.samplesSeen, loss: values.total, text: values.text, crossEntropy: values.crossEntropy, zLoss: values.zLoss, ploss: values.ploss, diffuloss: values.diffuloss, gradNorm, lr, ms: performance.now() - t0 };
  }
  /** Write a checkpoint atomically (model, optimizer moments, schedule, random stream, data position). */
  async save(path, extra = {}) {
    await saveCheckpoint(path, {
      model: this.model,
      optimizer: this.optimizer,
      scheduler: this.scheduler,
      rng: { train: this.generator },
      step: this.step,
      extra: { ...extra, trainer: { samplesSeen: this.samplesSeen, flowWarmedUp: this.flowWarmedUp, options: this.options } }
    });
  }
  /** Restore a checkpoint written by `save` into this trainer; returns the saved `extra`. */
  async resume(path) {
    const r = await loadCheckpoint(path, { model: this.model, optimizer: this.optimizer, scheduler: this.scheduler, rng: { train: this.generator } });
    const extra = r.extra ?? {};
    const t = extra.trainer;
    if (!t) throw new Error(`Trainer.resume: '${path}' has no trainer state (it was not written by Trainer.save)`);
    for (const k of ["batchSize", "samples", "seed", "split", "pool", "start"]) {
      if (t.options[k] !== this.options[k]) throw new Error(`Trainer.resume: '${path}' was trained with ${k} = ${JSON.stringify(t.options[k])}, this run has ${JSON.stringify(this.options[k])}`);
    }
    this.step = r.step;
    this.samplesSeen = t.samplesSeen;
    this.flowWarmedUp = t.flowWarmedUp;
    return extra;
  }
};
async function readParts(p) {
  const out = {};
  for (const k of PARTS) out[k] = await p[k].item();
  return out;
}
function disposeParts(p) {
  const seen = /* @__PURE__ */ new Set();
  for (const k of PARTS) {
    const t = p[k];
    if (!seen.has(t)) {
      seen.add(t);
      t.dispose();
    }
  }
}

// ../../packages/model/src/evaluate.ts
function samplesOf(world, set) {
  const n = set.count ?? 64;
  if (!Number.isInteger(n) || n < 1) throw new Error(`evaluate: count must be a positive integer, got ${n}`);
  return Array.from({ length: n }, (_, i) => world.sample(set.split ?? "test", (set.start ?? 0) + i));
}
function chunks(xs, size) {
  const out = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}
function sameObject(a, b) {
  return a.shape === b.shape && a.colour === b.colour && a.size === b.size && a.cell.row === b.cell.row && a.cell.col === b.cell.col;
}
function tryParse(world, text) {
  try {
    return world.parseCaption(text);
  } catch {
    return null;
  }
}
function compareObjects(truth, found) {
  if (!found) return { recall: 0, exact: false };
  const hit = truth.filter((t) => found.some((f) => sameObject(t, f))).length;
  return { recall: hit / truth.length, exact: hit === truth.length && found.length === truth.length };
}
async function evaluateUnderstanding(model, world, set = {}) {
  const samples = samplesOf(world, set);
  let correct = 0;
  const byKind = {};
  let capExact = 0;
  let capRecall = 0;
  const examples = [];
  for (const batch of chunks(samples, set.batchSize ?? 16)) {
    const images = imagesToTensor(batch.map((s) => s.image), model.backend);
    try {
      const res = await answerQuestions(model, images, batch.map((s) => ({ question: s.question.text, options: s.question.options })));
      res.forEach((r, i) => {
        const q = batch[i].question;
        const ok = r.choice === q.answerIndex;
        correct += ok ? 1 : 0;
        const k = byKind[q.kind] ??= { count: 0, accuracy: 0 };
        k.accuracy = (k.accuracy * k.count + (ok ? 1 : 0)) / (k.count + 1);
        k.count++;
      });
      if (set.captions) {
        const caps = await describeImages(model, images, { maxTokens: set.maxCaptionTokens ?? 48 });
        caps.forEach((c, i) => {
          const cmp = compareObjects(batch[i].scene.objects, tryParse(world, c));
          capExact += cmp.exact ? 1 : 0;
          capRecall += cmp.recall;
          if (examples.length < 8) examples.push({ truth: batch[i].canonicalCaption, caption: c });
        });
      }
    } finally {
      images.dispose();
    }
  }
  const n = samples.length;
  return { split: set.split ?? "test", count: n, accuracy: correct / n, byKind, ...set.captions ? { captionExact: capExact / n, captionObjectRecall: capRecall / n } : {}, examples };
}
async function evaluateGeneration(model, world, set = {}) {
  const samples = samplesOf(world, set);
  const judge = new Judge(world);
  const tally = new ScoreTally();
  const images = [];
  const captions = [];
  for (const batch of chunks(samples, set.batchSize ?? 16)) {
    const prompts = batch.map((s) => model.tokenizer.encode(s.canonicalCaption, { bos: false, eos: false }));
    const g = await generateImages(model, prompts, set.generate);
    try {
      g.images.forEach((img, i) => {
        tally.add(judge.score(img, batch[i].scene));
        images.push(img);
        captions.push(batch[i].canonicalCaption);
      });
    } finally {
      g.embeddings.dispose();
      g.predictions.dispose();
      g.latents?.dispose();
    }
  }
  return { split: set.split ?? "test", count: samples.length, scores: tally.summary(), images, captions };
}
async function evaluateRoundTrip(model, world, set = {}) {
  const samples = samplesOf(world, set);
  let recall = 0;
  let exact = 0;
  let bad = 0;
  const examples = [];
  for (const batch of chunks(samples, set.batchSize ?? 16)) {
    const texts = await roundTrip(model, batch.map((s) => s.canonicalCaption), { ...set.generate, maxCaptionTokens: set.maxCaptionTokens });
    texts.forEach((t, i) => {
      const parsed = tryParse(world, t);
      if (!parsed) bad++;
      const cmp = compareObjects(batch[i].scene.objects, parsed);
      recall += cmp.recall;
      exact += cmp.exact ? 1 : 0;
      if (examples.length < 8) examples.push({ caption: batch[i].canonicalCaption, roundTrip: t });
    });
  }
  const n = samples.length;
  return { split: set.split ?? "test", count: n, objectRecall: recall / n, exact: exact / n, unparsable: bad / n, examples };
}
async function roundTrip(model, captions, options = {}) {
  const prompts = captions.map((c) => model.tokenizer.encode(c, { bos: false, eos: false }));
  const g = await generateImages(model, prompts, { ...options, decodePixels: false });
  try {
    const ids = await decodeFromEmbeddings(model, g.embeddings, { maxTokens: options.maxCaptionTokens ?? 48 });
    return ids.map((x) => model.tokenizer.decode(x, { skipSpecial: true }));
  } finally {
    noGrad(() => {
      g.embeddings.dispose();
      g.predictions.dispose();
      g.latents?.dispose();
    });
  }
}

// ../../packages/model/src/shapes.ts
async function createShapesModel(spec = {}, backend) {
  const full2 = { preset: spec.preset ?? "exp2", config: spec.config ?? {}, world: spec.world ?? {}, seed: spec.seed ?? 0 };
  const preset = getPreset(full2.preset);
  const world = new ShapesWorld(full2.world);
  if (world.config.imageSize !== 32) throw new Error(`createShapesModel: the shipped encoder sees 32x32 images, the world renders ${world.config.imageSize}x${world.config.imageSize}`);
  const tokenizer = wordTokenizer(world);
  const semanticEncoder = await loadDefaultSemanticEncoder({ backend });
  const config = { ...applyPreset({ vocabSize: tokenizer.vocabSize, ...full2.config }, preset), ...pickOverrides(full2.config) };
  const model = new UniHetero(config, { tokenizer, semanticEncoder, generator: new Generator(full2.seed), backend });
  return { model, world, preset, spec: full2 };
}
function pickOverrides(c) {
  const out = {};
  for (const k of ["loss", "flow", "mix", "invertProjector"]) if (c[k] !== void 0) out[k] = c[k];
  return out;
}

// ../../packages/webgpu/src/kernels/math.ts
var HELPERS = {
  isnan_: { deps: [], code: `fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }` },
  isinf_: { deps: [], code: `fn isinf_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }` },
  nan_: { deps: [], code: `fn nan_() -> f32 { var u = 0x7fc00000u; return bitcast<f32>(u); }` },
  inf_: { deps: [], code: `fn inf_() -> f32 { var u = 0x7f800000u; return bitcast<f32>(u); }` },
  fmax_: {
    deps: ["isnan_"],
    code: `fn fmax_(a: f32, b: f32) -> f32 { if (isnan_(a) || isnan_(b)) { return a + b; } return max(a, b); }`
  },
  fmin_: {
    deps: ["isnan_"],
    code: `fn fmin_(a: f32, b: f32) -> f32 { if (isnan_(a) || isnan_(b)) { return a + b; } return min(a, b); }`
  },
  // log(1 + u) for u in [0, 1], accurate to a few ulp: 2 atanh(u / (2 + u)) as a series in s^2 <= 1/9.
  log1p01_: {
    deps: [],
    code: `fn log1p01_(u: f32) -> f32 {
  let s = u / (2.0 + u);
  let z = s * s;
  return 2.0 * s * (1.0 + z * (0.33333333333 + z * (0.2 + z * (0.14285714286 + z * (0.11111111111 + z * (0.09090909091 + z * (0.07692307692 + z * (0.06666666667 + z * 0.05882352941))))))));
}`
  },
  sigmoid_: {
    deps: [],
    code: `fn sigmoid_(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}`
  },
  softplus_: {
    deps: ["log1p01_", "isnan_"],
    code: `fn softplus_(x: f32) -> f32 {
  if (isnan_(x)) { return x; }
  return max(x, 0.0) + log1p01_(exp(-abs(x)));
}`
  },
  // tanh: odd Taylor series below 0.3 (no cancellation), (1 - e^-2|x|) / (1 + e^-2|x|) above (no overflow).
  tanh_: {
    deps: [],
    code: `fn tanh_(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.3) {
    let z = x * x;
    return x * (1.0 + z * (-0.33333333333 + z * (0.13333333333 + z * (-0.05396825397 + z * (0.02186948854 + z * -0.00886323553)))));
  }
  let t = exp(-2.0 * a);
  let r = (1.0 - t) / (1.0 + t);
  return select(r, -r, x < 0.0);
}`
  },
  // erfc for z >= 0 (Numerical Recipes erfcc, fractional error < 1.2e-7).
  erfc_pos_: {
    deps: [],
    code: `fn erfc_pos_(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  return t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
}`
  },
  // erf: Maclaurin series below 0.5 (relative accuracy near 0), 1 - erfc above (absolute error ~1e-7).
  erf_: {
    deps: ["erfc_pos_"],
    code: `fn erf_(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.5) {
    let z = x * x;
    return 1.1283791671 * x * (1.0 + z * (-0.33333333333 + z * (0.1 + z * (-0.02380952381 + z * (0.00462962963 + z * (-0.00075757576 + z * (0.00010683761 + z * -0.00001322751)))))));
  }
  let r = 1.0 - erfc_pos_(a);
  return select(r, -r, x < 0.0);
}`
  },
  // Standard normal CDF, with relative accuracy in the lower tail.
  phi_: {
    deps: ["erfc_pos_"],
    code: `fn phi_(x: f32) -> f32 {
  let z = abs(x) * 0.70710678118654752;
  let c = 0.5 * erfc_pos_(z);
  return select(1.0 - c, c, x < 0.0);
}`
  },
  // x^y with the C/JS pow semantics for negative bases, zeros and infinities; integer |y| <= 64 by repeated squaring.
  powf_: {
    deps: ["isnan_", "nan_"],
    code: `fn powf_(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (isnan_(x) || isnan_(y)) { return nan_(); }
  let isInt = floor(y) == y;
  if (isInt && abs(y) <= 64.0) {
    var n = u32(abs(y));
    var b = x;
    var r = 1.0;
    loop {
      if ((n & 1u) == 1u) { r = r * b; }
      n = n >> 1u;
      if (n == 0u) { break; }
      b = b * b;
    }
    return select(r, 1.0 / r, y < 0.0);
  }
  if (x == 1.0) { return 1.0; }
  let m = exp2(y * log2(abs(x)));
  if (x < 0.0) {
    if (!isInt) { return nan_(); }
    let h = y * 0.5;
    return select(m, -m, floor(h) != h);
  }
  return m;
}`
  },
  // Round half to even (WGSL's round() is specified that way, but not every translation honours it).
  rne_: {
    deps: [],
    code: `fn rne_(x: f32) -> f32 {
  let f = floor(x);
  let d = x - f;
  if (d > 0.5) { return f + 1.0; }
  if (d < 0.5) { return f; }
  return select(f + 1.0, f, (f * 0.5) == floor(f * 0.5));
}`
  }
};
function helpersFor(code2) {
  const out = [];
  const seen = /* @__PURE__ */ new Set();
  const visit = (name2) => {
    if (seen.has(name2)) return;
    seen.add(name2);
    for (const d of HELPERS[name2].deps) visit(d);
    out.push(HELPERS[name2].code);
  };
  for (const name2 of Object.keys(HELPERS)) {
    if (new RegExp(`\\b${name2}\\(`).test(code2)) visit(name2);
  }
  return out.join("\n");
}

// ../../packages/webgpu/src/kernels/elementwise.ts
function wtype(dtype) {
  return dtype === "int32" ? "i32" : "f32";
}
var MAX_RANK = 8;
var EW = { n: 0, rank: 1, rowStride: 2, offsets: 4, shape: 8, strides: 16, a: 48, b: 49, ia: 50, ib: 51, words: 52 };
function coalesce(shape, views) {
  const dims = [];
  for (let d = 0; d < shape.length; d++) if (shape[d] !== 1) dims.push(d);
  const outShape = [];
  const outStrides = views.map(() => []);
  for (const d of dims) {
    const size = shape[d];
    const last = outShape.length - 1;
    if (last >= 0 && views.every((v, i) => v.strides[d] * size === outStrides[i][last])) {
      outShape[last] *= size;
      views.forEach((v, i) => outStrides[i][last] = v.strides[d]);
    } else {
      outShape.push(size);
      views.forEach((v, i) => outStrides[i].push(v.strides[d]));
    }
  }
  return { shape: outShape, views: views.map((v, i) => ({ shape: outShape, strides: outStrides[i], offset: v.offset })) };
}
function isFlat(v) {
  return v.shape.length === 0 || v.shape.length === 1 && v.strides[0] === 1;
}
function ewKey(s) {
  return `${s.name}|${s.inputs.map((i) => i.type + (i.flat ? "c" : "s")).join(",")}|${s.out.type}${s.out.flat ? "c" : "s"}`;
}
function ewSource(s, wg) {
  const n = s.inputs.length;
  const decls = s.inputs.map((inp, i) => `@group(0) @binding(${i}) var<storage, read> in${i}: array<${inp.type}>;`);
  const needsIdx = s.inputs.some((i) => !i.flat) || !s.out.flat;
  const loads = s.inputs.map((inp, i) => `  let x${i}: ${inp.type} = in${i}[${inp.flat ? `pu(${EW.offsets + i}u) + i` : `idx(${i}u, i)`}];`);
  let value = s.expr;
  if (s.resultType !== s.out.type) value = `${s.out.type}(${value})`;
  const body = `${s.pre ?? ""}
  out[${s.out.flat ? `pu(${EW.offsets + n}u) + i` : `idx(${n}u, i)`}] = ${value};`;
  const src = `${decls.join("\n")}
@group(0) @binding(${n}) var<storage, read_write> out: array<${s.out.type}>;
struct Params { v: array<vec4<u32>, ${EW.words / 4}> };
@group(0) @binding(${n + 1}) var<uniform> P: Params;
fn pu(i: u32) -> u32 { return P.v[i / 4u][i % 4u]; }
${needsIdx ? `fn idx(v: u32, flat: u32) -> u32 {
  var rem = flat;
  var r = pu(${EW.offsets}u + v);
  let rank = i32(pu(${EW.rank}u));
  for (var d = rank - 1; d >= 0; d = d - 1) {
    let s = pu(${EW.shape}u + u32(d));
    r = r + (rem % s) * pu(${EW.strides}u + 8u * v + u32(d));
    rem = rem / s;
  }
  return r;
}` : ""}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * pu(${EW.rowStride}u);
  if (i >= pu(${EW.n}u)) { return; }
  let pa = bitcast<f32>(pu(${EW.a}u));
  let pb = bitcast<f32>(pu(${EW.b}u));
  let ia = bitcast<i32>(pu(${EW.ia}u));
  let ib = bitcast<i32>(pu(${EW.ib}u));
${loads.join("\n")}
${body}
}`;
  return `${helpersFor(src)}
${src}`;
}
var UNARY_INT_OUT = /* @__PURE__ */ new Set(["not", "isnan", "isinf"]);
function unaryFloatExpr(op) {
  const f = (expr) => ({ expr, type: "f32" });
  switch (op) {
    case "neg":
      return f("-x0");
    case "abs":
      return f("abs(x0)");
    case "sign":
      return f("select(select(select(0.0, -1.0, x0 < 0.0), 1.0, x0 > 0.0), x0, isnan_(x0))");
    case "exp":
      return f("exp(x0)");
    case "log":
      return f("log(x0)");
    case "sqrt":
      return f("sqrt(x0)");
    case "rsqrt":
      return f("1.0 / sqrt(x0)");
    case "reciprocal":
      return f("1.0 / x0");
    case "square":
      return f("x0 * x0");
    case "sin":
      return f("sin(x0)");
    case "cos":
      return f("cos(x0)");
    case "tanh":
      return f("tanh_(x0)");
    case "erf":
      return f("erf_(x0)");
    case "sigmoid":
      return f("sigmoid_(x0)");
    case "relu":
      return f("select(select(0.0, x0, x0 > 0.0), x0, isnan_(x0))");
    case "gelu":
      return f("x0 * phi_(x0)");
    case "gelu_tanh":
      return f("x0 * sigmoid_(1.5957691216057308 * (x0 + 0.044715 * x0 * x0 * x0))");
    case "silu":
      return f("x0 * sigmoid_(x0)");
    case "softplus":
      return f("softplus_(x0)");
    case "floor":
      return f("floor(x0)");
    case "ceil":
      return f("ceil(x0)");
    case "round":
      return f("rne_(x0)");
    case "not":
      return { expr: "select(0, 1, x0 == 0.0)", type: "i32" };
    case "add_scalar":
      return f("x0 + pa");
    case "mul_scalar":
      return f("x0 * pa");
    case "rsub_scalar":
      return f("pa - x0");
    case "rdiv_scalar":
      return f("pa / x0");
    case "pow_scalar":
      return f("powf_(x0, pa)");
    case "rpow_scalar":
      return f("powf_(pa, x0)");
    case "clamp":
      return f("select(min(max(x0, pa), pb), x0, isnan_(x0))");
    case "isnan":
      return { expr: "select(0, 1, isnan_(x0))", type: "i32" };
    case "isinf":
      return { expr: "select(0, 1, isinf_(x0))", type: "i32" };
    default:
      throw new Error(`webgpu: unary: unknown op '${op}'`);
  }
}
function unaryIntExpr(op) {
  const i = (expr) => ({ expr, type: "i32" });
  switch (op) {
    case "neg":
      return i("-x0");
    case "abs":
      return i("select(x0, -x0, x0 < 0)");
    case "sign":
      return i("select(select(0, -1, x0 < 0), 1, x0 > 0)");
    case "square":
      return i("x0 * x0");
    case "relu":
      return i("max(x0, 0)");
    case "floor":
    case "ceil":
    case "round":
      return i("x0");
    case "not":
      return i("select(0, 1, x0 == 0)");
    case "add_scalar":
      return i("x0 + ia");
    case "mul_scalar":
      return i("x0 * ia");
    case "rsub_scalar":
      return i("ia - x0");
    case "clamp":
      return i("min(max(x0, ia), ib)");
    case "isnan":
    case "isinf":
      return i("0");
    default:
      return null;
  }
}
function binaryExpr(op, t) {
  const same = (expr) => ({ expr, type: t });
  const pred = (cond) => ({ expr: `select(0, 1, ${cond})`, type: "i32" });
  const zero = t === "f32" ? "0.0" : "0";
  switch (op) {
    case "add":
      return same("x0 + x1");
    case "sub":
      return same("x0 - x1");
    case "mul":
      return same("x0 * x1");
    case "div":
      return t === "f32" ? same("x0 / x1") : same("select(x0 / x1, 0, x1 == 0)");
    case "pow":
      return t === "f32" ? same("powf_(x0, x1)") : same("i32(powf_(f32(x0), f32(x1)))");
    case "maximum":
      return t === "f32" ? same("fmax_(x0, x1)") : same("max(x0, x1)");
    case "minimum":
      return t === "f32" ? same("fmin_(x0, x1)") : same("min(x0, x1)");
    case "atan2":
      return t === "f32" ? same("atan2(x0, x1)") : same("i32(atan2(f32(x0), f32(x1)))");
    case "eq":
      return pred("x0 == x1");
    case "ne":
      return pred("x0 != x1");
    case "lt":
      return pred("x0 < x1");
    case "le":
      return pred("x0 <= x1");
    case "gt":
      return pred("x0 > x1");
    case "ge":
      return pred("x0 >= x1");
    case "and":
      return pred(`x0 != ${zero} && x1 != ${zero}`);
    case "or":
      return pred(`x0 != ${zero} || x1 != ${zero}`);
    default:
      if (t !== "f32") throw new Error(`webgpu: binary: op '${op}' needs float inputs, got int32`);
      return { expr: gradExpr(op), type: "f32" };
  }
}
function gradExpr(op) {
  switch (op) {
    case "relu_grad":
      return "select(0.0, x1, x0 > 0.0)";
    case "gelu_grad":
      return "x1 * (phi_(x0) + x0 * 0.3989422804014327 * exp(-0.5 * x0 * x0))";
    case "gelu_tanh_grad":
      return "x1 * (sigmoid_(2.0 * u) + x0 * (1.0 - t * t) * 0.3989422804014327 * (1.0 + 0.134145 * x0 * x0))";
    case "silu_grad":
      return "x1 * (s * (1.0 + x0 * (1.0 - s)))";
    case "softplus_grad":
      return "x1 * sigmoid_(x0)";
    case "sigmoid_grad":
      return "x1 * x0 * (1.0 - x0)";
    case "tanh_grad":
      return "x1 * (1.0 - x0 * x0)";
    case "erf_grad":
      return "x1 * 1.1283791670955126 * exp(-x0 * x0)";
    default:
      throw new Error(`webgpu: binary: unknown op '${op}'`);
  }
}
function binaryPre(op) {
  if (op === "gelu_tanh_grad") return "  let u = 0.7978845608028654 * (x0 + 0.044715 * x0 * x0 * x0);\n  let t = tanh_(u);";
  if (op === "silu_grad") return "  let s = sigmoid_(x0);";
  return "";
}

// ../../packages/webgpu/src/kernels/rows.ts
var ROWS = { rows: 0, cols: 1, offset: 2, gridX: 3, eps: 4, words: 8 };
var SHORT_ROW = 16;
function rowWorkgroup(cols, maxWg) {
  return Math.min(cols >= 2048 ? 256 : 64, maxWg);
}
var HEADER = `struct Params { v: array<vec4<u32>, ${ROWS.words / 4}> };
fn pu(i: u32) -> u32 { return P.v[i / 4u][i % 4u]; }`;
function entry(wg, group, body, bindingsAndShared) {
  const src = group ? `${bindingsAndShared}
${HEADER}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lidv: vec3<u32>) {
  let row = wid.x + wid.y * pu(${ROWS.gridX}u);
  if (row >= pu(${ROWS.rows}u)) { return; }
  let lid = lidv.x;
  let cols = pu(${ROWS.cols}u);
  let base = pu(${ROWS.offset}u) + row * cols;
${body}
}` : `${bindingsAndShared}
${HEADER}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x + gid.y * pu(${ROWS.gridX}u) * ${wg}u;
  if (row >= pu(${ROWS.rows}u)) { return; }
  let cols = pu(${ROWS.cols}u);
  let base = pu(${ROWS.offset}u) + row * cols;
${body}
}`;
  return `${helpersFor(src)}
${src}`;
}
function tree(wg, comb) {
  return `  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) {
${comb}
    }
    workgroupBarrier();
  }`;
}
function reduceParts(op, t) {
  const isF = t === "f32";
  const lowest = isF ? "-inf_()" : "(-2147483647 - 1)";
  const highest = isF ? "inf_()" : "2147483647";
  const mx = isF ? "fmax_" : "max";
  const mn = isF ? "fmin_" : "min";
  switch (op) {
    case "sum":
      return { acc: t, init: isF ? "0.0" : "0", step: "acc = acc + v;", merge: "sv[lid] = sv[lid] + sv[lid + s];", result: "acc" };
    case "prod":
      return { acc: t, init: isF ? "1.0" : "1", step: "acc = acc * v;", merge: "sv[lid] = sv[lid] * sv[lid + s];", result: "acc" };
    case "max":
      return { acc: t, init: lowest, step: `acc = ${mx}(acc, v);`, merge: `sv[lid] = ${mx}(sv[lid], sv[lid + s]);`, result: "acc" };
    case "min":
      return { acc: t, init: highest, step: `acc = ${mn}(acc, v);`, merge: `sv[lid] = ${mn}(sv[lid], sv[lid + s]);`, result: "acc" };
    default:
      throw new Error(`webgpu: reduce: no simple combine for '${op}'`);
  }
}
function reduceSource(op, t, outType, group, wg) {
  const decl = (shared) => `@group(0) @binding(0) var<storage, read> x: array<${t}>;
@group(0) @binding(1) var<storage, read_write> out: array<${outType}>;
@group(0) @binding(2) var<uniform> P: Params;
${shared}`;
  const cast2 = (e, from) => from === outType ? e : `${outType}(${e})`;
  if (op === "argmax" || op === "argmin") {
    const better = (bv, bi, av, ai) => {
      const cmp = op === "argmax" ? ">" : "<";
      const nanB = t === "f32" ? `isnan_(${bv})` : "false";
      const nanA = t === "f32" ? `isnan_(${av})` : "false";
      return `((${nanB} && !${nanA}) || (${bv} ${cmp} ${av}) || ((${bv} == ${av} || (${nanB} && ${nanA})) && ${bi} < ${ai}))`;
    };
    const init2 = `var bv: ${t} = x[base];
  var bi: u32 = 0u;`;
    if (!group) {
      return entry(wg, false, `  ${init2}
  for (var c = 1u; c < cols; c = c + 1u) {
    let v = x[base + c];
    if (${better("v", "c", "bv", "bi")}) { bv = v; bi = c; }
  }
  out[row] = ${cast2("i32(bi)", "i32")};`, decl(""));
    }
    return entry(wg, true, `  var bv: ${t} = x[base];
  var bi: u32 = 0u;
  for (var c = lid; c < cols; c = c + ${wg}u) {
    let v = x[base + c];
    if (c == lid || ${better("v", "c", "bv", "bi")}) { bv = v; bi = c; }
  }
  if (lid >= cols) { bi = 0xffffffffu; }
  sv[lid] = bv;
  si[lid] = bi;
${tree(wg, `      let ov = sv[lid + s];
      let oi = si[lid + s];
      if (oi != 0xffffffffu && (si[lid] == 0xffffffffu || ${better("ov", "oi", "sv[lid]", "si[lid]")})) { sv[lid] = ov; si[lid] = oi; }`)}
  if (lid == 0u) { out[row] = ${cast2("i32(si[0])", "i32")}; }`, decl(`var<workgroup> sv: array<${t}, ${wg}>;
var<workgroup> si: array<u32, ${wg}>;`));
  }
  if (op === "logsumexp") {
    const load = t === "f32" ? "x[base + c]" : "f32(x[base + c])";
    if (!group) {
      return entry(wg, false, `  var m = -inf_();
  for (var c = 0u; c < cols; c = c + 1u) { m = fmax_(m, ${load}); }
  let ms = select(m, 0.0, isinf_(m));
  var s = 0.0;
  for (var c = 0u; c < cols; c = c + 1u) { s = s + exp(${load} - ms); }
  out[row] = ${cast2("ms + log(s)", "f32")};`, decl(""));
    }
    return entry(wg, true, `  var m = -inf_();
  for (var c = lid; c < cols; c = c + ${wg}u) { m = fmax_(m, ${load}); }
  sv[lid] = m;
${tree(wg, "      sv[lid] = fmax_(sv[lid], sv[lid + s]);")}
  let mm = sv[0];
  let ms = select(mm, 0.0, isinf_(mm));
  workgroupBarrier();
  var acc = 0.0;
  for (var c = lid; c < cols; c = c + ${wg}u) { acc = acc + exp(${load} - ms); }
  sv[lid] = acc;
${tree(wg, "      sv[lid] = sv[lid] + sv[lid + s];")}
  if (lid == 0u) { out[row] = ${cast2("ms + log(sv[0])", "f32")}; }`, decl(`var<workgroup> sv: array<f32, ${wg}>;`));
  }
  const p = reduceParts(op, t);
  if (!group) {
    return entry(wg, false, `  var acc: ${p.acc} = ${p.init};
  for (var c = 0u; c < cols; c = c + 1u) { let v = x[base + c]; ${p.step} }
  out[row] = ${cast2(p.result, p.acc)};`, decl(""));
  }
  return entry(wg, true, `  var acc: ${p.acc} = ${p.init};
  for (var c = lid; c < cols; c = c + ${wg}u) { let v = x[base + c]; ${p.step} }
  sv[lid] = acc;
${tree(wg, `      ${p.merge}`)}
  if (lid == 0u) { out[row] = ${cast2("sv[0]", p.acc)}; }`, decl(`var<workgroup> sv: array<${p.acc}, ${wg}>;`));
}
function softmaxSource(log, group, wg) {
  const decl = (shared) => `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;
${shared}`;
  const obase = `row * cols`;
  const write = log ? `x[base + c] - ms - ls` : `exp(x[base + c] - ms) * inv`;
  const fin = log ? "let ls = log(s);" : "let inv = 1.0 / s;";
  if (!group) {
    return entry(wg, false, `  var m = -inf_();
  for (var c = 0u; c < cols; c = c + 1u) { m = fmax_(m, x[base + c]); }
  let ms = m;
  var s = 0.0;
  for (var c = 0u; c < cols; c = c + 1u) { s = s + exp(x[base + c] - ms); }
  ${fin}
  for (var c = 0u; c < cols; c = c + 1u) { out[${obase} + c] = ${write}; }`, decl(""));
  }
  return entry(wg, true, `  var m = -inf_();
  for (var c = lid; c < cols; c = c + ${wg}u) { m = fmax_(m, x[base + c]); }
  sv[lid] = m;
${tree(wg, "      sv[lid] = fmax_(sv[lid], sv[lid + s]);")}
  let ms = sv[0];
  workgroupBarrier();
  var acc = 0.0;
  for (var c = lid; c < cols; c = c + ${wg}u) { acc = acc + exp(x[base + c] - ms); }
  sv[lid] = acc;
${tree(wg, "      sv[lid] = sv[lid] + sv[lid + s];")}
  let s = sv[0];
  ${fin}
  for (var c = lid; c < cols; c = c + ${wg}u) { out[${obase} + c] = ${write}; }`, decl(`var<workgroup> sv: array<f32, ${wg}>;`));
}
function layerStats(wg) {
  return `  var acc = 0.0;
  for (var c = lid; c < cols; c = c + ${wg}u) { acc = acc + x[base + c]; }
  sv[lid] = acc;
${tree(wg, "      sv[lid] = sv[lid] + sv[lid + s];")}
  let mean = sv[0] / f32(cols);
  workgroupBarrier();
  var acc2 = 0.0;
  for (var c = lid; c < cols; c = c + ${wg}u) { let d = x[base + c] - mean; acc2 = acc2 + d * d; }
  sv[lid] = acc2;
${tree(wg, "      sv[lid] = sv[lid] + sv[lid + s];")}
  let rstd = 1.0 / sqrt(sv[0] / f32(cols) + bitcast<f32>(pu(${ROWS.eps}u)));`;
}
function layerNormStatsSource(wg) {
  return entry(wg, true, `${layerStats(wg)}
  if (lid == 0u) { mean_out[row] = mean; rstd_out[row] = rstd; }`, `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> mean_out: array<f32>;
@group(0) @binding(2) var<storage, read_write> rstd_out: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
var<workgroup> sv: array<f32, ${wg}>;`);
}
function layerNormApplySource(wg, hasWeight, hasBias) {
  let b = 1;
  const decls = ["@group(0) @binding(0) var<storage, read> x: array<f32>;"];
  if (hasWeight) decls.push(`@group(0) @binding(${b++}) var<storage, read> w: array<f32>;`);
  if (hasBias) decls.push(`@group(0) @binding(${b++}) var<storage, read> bias: array<f32>;`);
  decls.push(`@group(0) @binding(${b++}) var<storage, read_write> out: array<f32>;`);
  decls.push(`@group(0) @binding(${b++}) var<uniform> P: Params;`);
  decls.push(`var<workgroup> sv: array<f32, ${wg}>;`);
  let expr = "(x[base + c] - mean) * rstd";
  if (hasWeight) expr = `${expr} * w[c]`;
  if (hasBias) expr = `${expr} + bias[c]`;
  return entry(wg, true, `${layerStats(wg)}
  for (var c = lid; c < cols; c = c + ${wg}u) { out[row * cols + c] = ${expr}; }`, decls.join("\n"));
}
function rmsNormSource(wg, hasWeight) {
  let b = 1;
  const decls = ["@group(0) @binding(0) var<storage, read> x: array<f32>;"];
  if (hasWeight) decls.push(`@group(0) @binding(${b++}) var<storage, read> w: array<f32>;`);
  decls.push(`@group(0) @binding(${b++}) var<storage, read_write> out: array<f32>;`);
  decls.push(`@group(0) @binding(${b++}) var<storage, read_write> rstd_out: array<f32>;`);
  decls.push(`@group(0) @binding(${b++}) var<uniform> P: Params;`);
  decls.push(`var<workgroup> sv: array<f32, ${wg}>;`);
  const expr = hasWeight ? "x[base + c] * rstd * w[c]" : "x[base + c] * rstd";
  return entry(wg, true, `  var acc = 0.0;
  for (var c = lid; c < cols; c = c + ${wg}u) { let v = x[base + c]; acc = acc + v * v; }
  sv[lid] = acc;
${tree(wg, "      sv[lid] = sv[lid] + sv[lid + s];")}
  let rstd = 1.0 / sqrt(sv[0] / f32(cols) + bitcast<f32>(pu(${ROWS.eps}u)));
  if (lid == 0u) { rstd_out[row] = rstd; }
  for (var c = lid; c < cols; c = c + ${wg}u) { out[row * cols + c] = ${expr}; }`, decls.join("\n"));
}

// ../../packages/webgpu/src/kernels/indexing.ts
var IX = {
  O: 0,
  Dj: 1,
  I: 2,
  Dx: 3,
  xOff: 4,
  xs0: 5,
  xs1: 6,
  xs2: 7,
  iOff: 8,
  is0: 9,
  is1: 10,
  is2: 11,
  n: 12,
  rowStride: 13,
  words: 16
};
var ERR_CODES = { 1: "gather", 2: "scatterAdd", 3: "crossEntropy (target)" };
var HEADER2 = `struct Params { v: array<vec4<u32>, ${IX.words / 4}> };
fn pu(i: u32) -> u32 { return P.v[i / 4u][i % 4u]; }`;
function report(code2) {
  return `fn report(k: i32, dim: u32) {
  let prev = atomicMax(&err[0], ${code2}u);
  if (prev == 0u) { atomicStore(&err[1], bitcast<u32>(k)); atomicStore(&err[2], dim); }
}`;
}
function gatherSource(t, wg) {
  return `@group(0) @binding(0) var<storage, read> x: array<${t}>;
@group(0) @binding(1) var<storage, read> index: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<${t}>;
@group(0) @binding(3) var<storage, read_write> err: array<atomic<u32>, 4>;
@group(0) @binding(4) var<uniform> P: Params;
${HEADER2}
${report(1)}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let f = gid.x + gid.y * pu(${IX.rowStride}u);
  if (f >= pu(${IX.n}u)) { return; }
  let I = pu(${IX.I}u);
  let Dj = pu(${IX.Dj}u);
  let i = f % I;
  let t = f / I;
  let j = t % Dj;
  let o = t / Dj;
  let k = index[pu(${IX.iOff}u) + o * pu(${IX.is0}u) + j * pu(${IX.is1}u) + i * pu(${IX.is2}u)];
  let Dx = pu(${IX.Dx}u);
  if (k < 0 || u32(k) >= Dx) {
    report(k, Dx);
    out[f] = ${t}(0);
    return;
  }
  out[f] = x[pu(${IX.xOff}u) + o * pu(${IX.xs0}u) + u32(k) * pu(${IX.xs1}u) + i * pu(${IX.xs2}u)];
}`;
}
function scatterColumnSource(t, wg) {
  return `@group(0) @binding(0) var<storage, read_write> tgt: array<${t}>;
@group(0) @binding(1) var<storage, read> index: array<i32>;
@group(0) @binding(2) var<storage, read> src: array<${t}>;
@group(0) @binding(3) var<storage, read_write> err: array<atomic<u32>, 4>;
@group(0) @binding(4) var<uniform> P: Params;
${HEADER2}
${report(2)}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let f = gid.x + gid.y * pu(${IX.rowStride}u);
  if (f >= pu(${IX.n}u)) { return; }
  let I = pu(${IX.I}u);
  let Dj = pu(${IX.Dj}u);
  let Dt = pu(${IX.Dx}u);
  let i = f % I;
  let o = f / I;
  let ib = pu(${IX.iOff}u) + o * pu(${IX.is0}u) + i * pu(${IX.is2}u);
  let sb = pu(${IX.xOff}u) + o * pu(${IX.xs0}u) + i * pu(${IX.xs2}u);
  let is1 = pu(${IX.is1}u);
  let ss1 = pu(${IX.xs1}u);
  for (var j = 0u; j < Dj; j = j + 1u) {
    let k = index[ib + j * is1];
    if (k < 0 || u32(k) >= Dt) { report(k, Dt); continue; }
    let ti = (o * Dt + u32(k)) * I + i;
    tgt[ti] = tgt[ti] + src[sb + j * ss1];
  }
}`;
}
function scatterAtomicSource(t, wg) {
  const add2 = t === "i32" ? `  atomicAdd(&tgt[ti], v);` : `  var old = atomicLoad(&tgt[ti]);
  loop {
    let r = atomicCompareExchangeWeak(&tgt[ti], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }`;
  return `@group(0) @binding(0) var<storage, read_write> tgt: array<atomic<${t === "i32" ? "i32" : "u32"}>>;
@group(0) @binding(1) var<storage, read> index: array<i32>;
@group(0) @binding(2) var<storage, read> src: array<${t}>;
@group(0) @binding(3) var<storage, read_write> err: array<atomic<u32>, 4>;
@group(0) @binding(4) var<uniform> P: Params;
${HEADER2}
${report(2)}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let f = gid.x + gid.y * pu(${IX.rowStride}u);
  if (f >= pu(${IX.n}u)) { return; }
  let I = pu(${IX.I}u);
  let Dj = pu(${IX.Dj}u);
  let Dt = pu(${IX.Dx}u);
  let i = f % I;
  let q = f / I;
  let j = q % Dj;
  let o = q / Dj;
  let k = index[pu(${IX.iOff}u) + o * pu(${IX.is0}u) + j * pu(${IX.is1}u) + i * pu(${IX.is2}u)];
  if (k < 0 || u32(k) >= Dt) { report(k, Dt); return; }
  let v = src[pu(${IX.xOff}u) + o * pu(${IX.xs0}u) + j * pu(${IX.xs1}u) + i * pu(${IX.xs2}u)];
  let ti = (o * Dt + u32(k)) * I + i;
${add2}
}`;
}

// ../../packages/webgpu/src/kernels/fused.ts
var CE = { ignore: 5, smoothing: 6 };
var CE_ERR_CODE = 3;
var f322 = (name2, binding, rw = false) => `@group(0) @binding(${binding}) var<storage, ${rw ? "read_write" : "read"}> ${name2}: array<f32>;`;
var i322 = (name2, binding) => `@group(0) @binding(${binding}) var<storage, read> ${name2}: array<i32>;`;
var uniform2 = (binding) => `@group(0) @binding(${binding}) var<uniform> P: Params;`;
function crossEntropySource(wg) {
  const decl = [
    f322("x", 0),
    i322("tg", 1),
    f322("stats", 2, true),
    "@group(0) @binding(3) var<storage, read_write> err: array<atomic<u32>, 4>;",
    uniform2(4),
    `var<workgroup> sv: array<f32, ${wg}>;`,
    `var<workgroup> sw: array<f32, ${wg}>;`,
    report(CE_ERR_CODE)
  ].join("\n");
  return entry(wg, true, `  var m = -inf_();
  for (var c = lid; c < cols; c = c + ${wg}u) { m = fmax_(m, x[base + c]); }
  sv[lid] = m;
${tree(wg, "      sv[lid] = fmax_(sv[lid], sv[lid + s]);")}
  let mm = sv[0];
  let ms = select(mm, 0.0, isinf_(mm));
  workgroupBarrier();
  var acc = 0.0;
  var sx = 0.0;
  for (var c = lid; c < cols; c = c + ${wg}u) { let v = x[base + c]; acc = acc + exp(v - ms); sx = sx + v; }
  sv[lid] = acc;
  sw[lid] = sx;
${tree(wg, "      sv[lid] = sv[lid] + sv[lid + s];\n      sw[lid] = sw[lid] + sw[lid + s];")}
  if (lid == 0u) {
    let rows = pu(${ROWS.rows}u);
    let lse = ms + log(sv[0]);
    stats[rows + row] = lse;
    let t = tg[row];
    let sm = bitcast<f32>(pu(${CE.smoothing}u));
    if (t == bitcast<i32>(pu(${CE.ignore}u))) {
      stats[row] = 0.0;
    } else if (t < 0 || u32(t) >= cols) {
      report(t, cols);
      stats[row] = nan_();
    } else {
      var loss = (1.0 - sm) * (lse - x[base + u32(t)]);
      if (sm > 0.0) { loss = loss + sm * (lse - sw[0] / f32(cols)); }
      stats[row] = loss;
    }
  }`, decl);
}
function crossEntropyBackwardSource(wg) {
  const decl = [f322("x", 0), i322("tg", 1), f322("stats", 2), f322("grad", 3), f322("dx", 4, true), uniform2(5)].join("\n");
  return entry(wg, true, `  let rows = pu(${ROWS.rows}u);
  let lse = stats[rows + row];
  let t = tg[row];
  let valid = t != bitcast<i32>(pu(${CE.ignore}u)) && t >= 0 && u32(t) < cols;
  let gl = select(0.0, grad[row], valid);
  let gp = gl + grad[rows + row];
  let sm = bitcast<f32>(pu(${CE.smoothing}u));
  let uni = gl * (sm / f32(cols));
  let hit = gl * (1.0 - sm);
  for (var c = lid; c < cols; c = c + ${wg}u) {
    let p = exp(x[base + c] - lse);
    var d = gp * p - uni;
    if (valid && c == u32(t)) { d = d - hit; }
    dx[base + c] = d;
  }`, decl);
}
function normBackwardDxSource(wg, centered, hasWeight) {
  let b = 0;
  const decls = [f322("x", b++)];
  if (centered) decls.push(f322("mean", b++));
  decls.push(f322("rstd", b++));
  if (hasWeight) decls.push(f322("w", b++));
  decls.push(f322("g", b++), f322("dx", b++, true), uniform2(b++), `var<workgroup> sv: array<f32, ${wg}>;`);
  if (centered) decls.push(`var<workgroup> sw: array<f32, ${wg}>;`);
  const xh = centered ? "(x[base + c] - mu) * rs" : "x[base + c] * rs";
  const gh = hasWeight ? "g[base + c] * w[c]" : "g[base + c]";
  const body = `  let rs = rstd[row];
  ${centered ? "let mu = mean[row];" : ""}
  var a = 0.0;
  var bs = 0.0;
  for (var c = lid; c < cols; c = c + ${wg}u) { let xh = ${xh}; let gh = ${gh}; a = a + gh; bs = bs + gh * xh; }
  ${centered ? "sw[lid] = a;" : ""}
  sv[lid] = bs;
${tree(wg, `      sv[lid] = sv[lid] + sv[lid + s];${centered ? "\n      sw[lid] = sw[lid] + sw[lid + s];" : ""}`)}
  let n = f32(cols);
  let mb = sv[0] / n;
  ${centered ? "let ma = sw[0] / n;" : "let ma = 0.0;"}
  for (var c = lid; c < cols; c = c + ${wg}u) { let xh = ${xh}; let gh = ${gh}; dx[base + c] = rs * (gh - ma - xh * mb); }`;
  return entry(wg, true, body, decls.join("\n"));
}
var COLS = { rows: 0, cols: 1, rowStride: 2, chunkRows: 3, chunks: 4, words: 8 };
function normBackwardParamsSource(wg, centered, wantW, wantB) {
  let b = 0;
  const decls = [];
  if (wantW) {
    decls.push(f322("x", b++));
    if (centered) decls.push(f322("mean", b++));
    decls.push(f322("rstd", b++));
  }
  decls.push(f322("g", b++));
  if (wantW) decls.push(f322("dw", b++, true));
  if (wantB) decls.push(f322("db", b++, true));
  decls.push(uniform2(b++));
  const xh = centered ? "(x[i] - mean[r]) * rstd[r]" : "x[i] * rstd[r]";
  return `${decls.join("\n")}
struct Params { v: array<vec4<u32>, 2> };
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x + gid.y * P.v[0][${COLS.rowStride}];
  let cols = P.v[0][${COLS.cols}];
  if (c >= cols) { return; }
  let chunkRows = P.v[0][${COLS.chunkRows}];
  let chunks = P.v[1][${COLS.chunks - 4}];
  let r0 = gid.z * chunkRows;
  let r1 = min(P.v[0][${COLS.rows}], r0 + chunkRows);
  var sw = 0.0;
  var sb = 0.0;
  for (var r = r0; r < r1; r = r + 1u) {
    let i = r * cols + c;
    let gg = g[i];
    ${wantW ? `sw = sw + gg * ${xh};` : ""}
    ${wantB ? "sb = sb + gg;" : ""}
  }
  ${wantW ? "dw[c * chunks + gid.z] = sw;" : ""}
  ${wantB ? "db[c * chunks + gid.z] = sb;" : ""}
}`;
}
var ATT = {
  B: 0,
  H: 1,
  Hkv: 2,
  Lq: 3,
  Lk: 4,
  gridX: 5,
  blocks: 6,
  scale: 7,
  qOff: 8,
  qs: 9,
  kOff: 13,
  ks: 14,
  vOff: 18,
  vs: 19,
  mOff: 23,
  ms: 24,
  words: 28
};
var ATTENTION_MAX_HEAD = 256;
function attentionSource(spec) {
  const { D, Dv, TK, wg } = spec;
  let b = 0;
  const decls = [f322("q", b++), f322("k", b++), f322("v", b++)];
  if (spec.mask) decls.push(f322("mask", b++));
  decls.push(f322("out", b++, true), f322("lse", b++, true), uniform2(b++));
  const pu4 = (w) => `pu(${w}u)`;
  const src = `${decls.join("\n")}
struct Params { v: array<vec4<u32>, ${Math.ceil(ATT.words / 4)}> };
fn pu(i: u32) -> u32 { return P.v[i / 4u][i % 4u]; }
var<workgroup> kt: array<f32, ${TK * D}>;
var<workgroup> vt: array<f32, ${TK * Dv}>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lidv: vec3<u32>) {
  let grp = wid.x + wid.y * ${pu4(ATT.gridX)};
  let blocks = ${pu4(ATT.blocks)};
  let H = ${pu4(ATT.H)};
  if (grp >= ${pu4(ATT.B)} * H * blocks) { return; }
  let lid = lidv.x;
  let bh = grp / blocks;
  let bi = bh / H;
  let h = bh % H;
  let kh = h / (H / ${pu4(ATT.Hkv)});
  let Lq = ${pu4(ATT.Lq)};
  let Lk = ${pu4(ATT.Lk)};
  let i = (grp % blocks) * ${wg}u + lid;
  let valid = i < Lq;
  let ii = min(i, Lq - 1u);
  let scale = bitcast<f32>(${pu4(ATT.scale)});
  var qr: array<f32, ${D}>;
  let qb = ${pu4(ATT.qOff)} + bi * ${pu4(ATT.qs)} + h * ${pu4(ATT.qs + 1)} + ii * ${pu4(ATT.qs + 2)};
  let qd = ${pu4(ATT.qs + 3)};
  for (var d = 0u; d < ${D}u; d = d + 1u) { qr[d] = q[qb + d * qd] * scale; }
  let kb = ${pu4(ATT.kOff)} + bi * ${pu4(ATT.ks)} + kh * ${pu4(ATT.ks + 1)};
  let kj = ${pu4(ATT.ks + 2)};
  let kd = ${pu4(ATT.ks + 3)};
  let vb = ${pu4(ATT.vOff)} + bi * ${pu4(ATT.vs)} + kh * ${pu4(ATT.vs + 1)};
  let vj = ${pu4(ATT.vs + 2)};
  let vd = ${pu4(ATT.vs + 3)};
  ${spec.mask ? `let mb = ${pu4(ATT.mOff)} + bi * ${pu4(ATT.ms)} + h * ${pu4(ATT.ms + 1)} + ii * ${pu4(ATT.ms + 2)};
  let mj = ${pu4(ATT.ms + 3)};` : ""}
  var acc: array<f32, ${Dv}>;
  for (var d = 0u; d < ${Dv}u; d = d + 1u) { acc[d] = 0.0; }
  var sc: array<f32, ${TK}>;
  var m = -inf_();
  var l = 0.0;
  for (var t0 = 0u; t0 < Lk; t0 = t0 + ${TK}u) {
    let n = min(${TK}u, Lk - t0);
    workgroupBarrier();
    for (var e = lid; e < n * ${D}u; e = e + ${wg}u) {
      let j = e / ${D}u;
      kt[e] = k[kb + (t0 + j) * kj + (e - j * ${D}u) * kd];
    }
    for (var e = lid; e < n * ${Dv}u; e = e + ${wg}u) {
      let j = e / ${Dv}u;
      vt[e] = v[vb + (t0 + j) * vj + (e - j * ${Dv}u) * vd];
    }
    workgroupBarrier();
    var tm = -inf_();
    for (var j = 0u; j < n; j = j + 1u) {
      var s = 0.0;
      for (var d = 0u; d < ${D}u; d = d + 1u) { s = s + qr[d] * kt[j * ${D}u + d]; }
      ${spec.mask ? "s = s + mask[mb + (t0 + j) * mj];" : ""}
      sc[j] = s;
      tm = fmax_(tm, s);
    }
    let mn = fmax_(m, tm);
    if (!(isinf_(mn) && mn < 0.0)) {
      let corr = exp(m - mn);
      l = l * corr;
      for (var d = 0u; d < ${Dv}u; d = d + 1u) { acc[d] = acc[d] * corr; }
      for (var j = 0u; j < n; j = j + 1u) {
        let p = exp(sc[j] - mn);
        l = l + p;
        for (var d = 0u; d < ${Dv}u; d = d + 1u) { acc[d] = acc[d] + p * vt[j * ${Dv}u + d]; }
      }
      m = mn;
    }
  }
  if (valid) {
    let row = bh * Lq + i;
    let empty = l == 0.0;
    let inv = select(1.0 / l, 0.0, empty);
    for (var d = 0u; d < ${Dv}u; d = d + 1u) { out[row * ${Dv}u + d] = acc[d] * inv; }
    lse[row] = select(m + log(l), -inf_(), empty);
  }
}`;
  return `${helpersFor(src)}
${src}`;
}

// ../../packages/webgpu/src/kernels/matmul.ts
var MM = { M: 0, N: 1, K: 2, batchBase: 3, aOff: 4, aBatch: 5, lda: 6, bOff: 8, bBatch: 9, ldb: 10, words: 12 };
var DEFAULT_MATMUL = { wgX: 8, wgY: 8, rm: 8, rn: 8, tk: 32 };
function matmulKey(s, c) {
  return `matmul|${s.t}|${s.aLayout}${s.bLayout}|${s.aVec4 ? "v" : "s"}${s.bVec4 ? "v" : "s"}|${c.wgX}x${c.wgY}x${c.rm}x${c.rn}x${c.tk}`;
}
function matmulSource(s, c) {
  const { t } = s;
  const { wgX, wgY, rm, rn, tk } = c;
  const TM = wgY * rm;
  const TN = wgX * rn;
  const WG = wgX * wgY;
  const cn = rn / 4;
  const z2 = `${t}(0)`;
  const v4 = `vec4<${t}>`;
  const aSlots = TM * tk / 4;
  const bSlots = tk * TN / 4;
  const aElem = s.aLayout === "n" ? "(m) * lda + (k)" : "(k) * lda + (m)";
  const bElem = s.bLayout === "n" ? "(k) * ldb + (n)" : "(n) * ldb + (k)";
  const aAt = (m, k) => `ldA(aBase + ${aElem.replace("(m)", `(${m})`).replace("(k)", `(${k})`)})`;
  const bAt = (k, n) => `ldB(bBase + ${bElem.replace("(k)", `(${k})`).replace("(n)", `(${n})`)})`;
  const aAtV = (m, k) => `AV[(aBase + ${aElem.replace("(m)", `(${m})`).replace("(k)", `(${k})`)}) / 4u]`;
  const bAtV = (k, n) => `BV[(bBase + ${bElem.replace("(k)", `(${k})`).replace("(n)", `(${n})`)}) / 4u]`;
  let aLoad;
  if (s.aLayout === "n") {
    const idx = `let mm = e / ${tk / 4}u; let kk = (e % ${tk / 4}u) * 4u; let gm = tileM + mm; let gk = k0 + kk;`;
    const fast = s.aVec4 ? aAtV("gm", "gk") : `${v4}(${[0, 1, 2, 3].map((q) => aAt("gm", `gk + ${q}u`)).join(", ")})`;
    const safe = `${v4}(${[0, 1, 2, 3].map((q) => `select(${z2}, ${aAt("gm", `gk + ${q}u`)}, gm < M && gk + ${q}u < K)`).join(", ")})`;
    aLoad = `${idx}
        if (full) { As[e] = ${fast}; } else { As[e] = ${safe}; }`;
  } else {
    const idx = `let kk = e / ${TM / 4}u; let mm = (e % ${TM / 4}u) * 4u; let gm = tileM + mm; let gk = k0 + kk;`;
    const fast = s.aVec4 ? aAtV("gm", "gk") : `${v4}(${[0, 1, 2, 3].map((q) => aAt(`gm + ${q}u`, "gk")).join(", ")})`;
    const safe = `${v4}(${[0, 1, 2, 3].map((q) => `select(${z2}, ${aAt(`gm + ${q}u`, "gk")}, gm + ${q}u < M && gk < K)`).join(", ")})`;
    aLoad = `${idx}
        if (full) { As[e] = ${fast}; } else { As[e] = ${safe}; }`;
  }
  let bLoad;
  if (s.bLayout === "n") {
    const idx = `let kk = e / ${TN / 4}u; let nn = (e % ${TN / 4}u) * 4u; let gk = k0 + kk; let gn = tileN + nn;`;
    const fast = s.bVec4 ? bAtV("gk", "gn") : `${v4}(${[0, 1, 2, 3].map((q) => bAt("gk", `gn + ${q}u`)).join(", ")})`;
    const safe = `${v4}(${[0, 1, 2, 3].map((q) => `select(${z2}, ${bAt("gk", `gn + ${q}u`)}, gk < K && gn + ${q}u < N)`).join(", ")})`;
    bLoad = `${idx}
        if (full) { Bs[e] = ${fast}; } else { Bs[e] = ${safe}; }`;
  } else {
    const idx = `let kk = e % ${tk}u; let nn = (e / ${tk}u) * 4u; let gk = k0 + kk; let gn = tileN + nn;`;
    const fast = `${v4}(${[0, 1, 2, 3].map((q) => bAt("gk", `gn + ${q}u`)).join(", ")})`;
    const safe = `${v4}(${[0, 1, 2, 3].map((q) => `select(${z2}, ${bAt("gk", `gn + ${q}u`)}, gk < K && gn + ${q}u < N)`).join(", ")})`;
    bLoad = `${idx}
        if (full) { Bs[kk * ${TN / 4}u + nn / 4u] = ${fast}; } else { Bs[kk * ${TN / 4}u + nn / 4u] = ${safe}; }`;
  }
  const lines = [];
  if (s.aLayout === "n") {
    lines.push(`      for (var k4 = 0u; k4 < ${tk / 4}u; k4 = k4 + 1u) {`);
    for (let q = 0; q < 4; q++) for (let j = 0; j < cn; j++) lines.push(`        let b${q}_${j} = Bs[(k4 * 4u + ${q}u) * ${TN / 4}u + tx * ${cn}u + ${j}u];`);
    for (let r = 0; r < rm; r++) {
      lines.push(`        let a${r} = As[(ty * ${rm}u + ${r}u) * ${tk / 4}u + k4];`);
      for (let j = 0; j < cn; j++) {
        lines.push(`        acc[${r * cn + j}] = acc[${r * cn + j}] + a${r}.x * b0_${j} + a${r}.y * b1_${j} + a${r}.z * b2_${j} + a${r}.w * b3_${j};`);
      }
    }
    lines.push("      }");
  } else {
    lines.push(`      for (var k = 0u; k < ${tk}u; k = k + 1u) {`);
    for (let j = 0; j < cn; j++) lines.push(`        let b${j} = Bs[k * ${TN / 4}u + tx * ${cn}u + ${j}u];`);
    for (let r4 = 0; r4 < rm / 4; r4++) {
      lines.push(`        let a${r4} = As[k * ${TM / 4}u + ty * ${rm / 4}u + ${r4}u];`);
      for (let rr = 0; rr < 4; rr++) {
        const comp = "xyzw"[rr];
        for (let j = 0; j < cn; j++) {
          const i = (r4 * 4 + rr) * cn + j;
          lines.push(`        acc[${i}] = acc[${i}] + a${r4}.${comp} * b${j};`);
        }
      }
    }
    lines.push("      }");
  }
  const stores = [];
  for (let r = 0; r < rm; r++) {
    stores.push(`  { let m = tileM + ty * ${rm}u + ${r}u;`);
    stores.push(`    if (m < M) {`);
    for (let j = 0; j < cn; j++) {
      for (let q = 0; q < 4; q++) {
        stores.push(`      { let n = tileN + tx * ${rn}u + ${j * 4 + q}u; if (n < N) { C[cBase + m * N + n] = acc[${r * cn + j}].${"xyzw"[q]}; } }`);
      }
    }
    stores.push("    }\n  }");
  }
  const aDecl = s.aVec4 ? `@group(0) @binding(0) var<storage, read> AV: array<${v4}>;
fn ldA(i: u32) -> ${t} { return AV[i / 4u][i % 4u]; }` : `@group(0) @binding(0) var<storage, read> A: array<${t}>;
fn ldA(i: u32) -> ${t} { return A[i]; }`;
  const bDecl = s.bVec4 ? `@group(0) @binding(1) var<storage, read> BV: array<${v4}>;
fn ldB(i: u32) -> ${t} { return BV[i / 4u][i % 4u]; }` : `@group(0) @binding(1) var<storage, read> B: array<${t}>;
fn ldB(i: u32) -> ${t} { return B[i]; }`;
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
  var acc: array<${v4}, ${rm * cn}>;
  for (var i = 0u; i < ${rm * cn}u; i = i + 1u) { acc[i] = ${v4}(${z2}); }
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
${lines.join("\n")}
    workgroupBarrier();
  }
${stores.join("\n")}
}`;
  return src;
}

// ../../packages/webgpu/src/backend.ts
var FUSED_STORAGE_BUFFERS = {
  layerNorm: 4,
  rmsNorm: 4,
  layerNormBackward: 6,
  rmsNormBackward: 5,
  crossEntropy: 4,
  crossEntropyBackward: 5,
  attention: 6
};
var WebGPUStorage = class {
  /** Constructed by `WebGPUBackend.allocate`. */
  constructor(backend, dtype, size, buffer, bytes) {
    this.backend = backend;
    this.dtype = dtype;
    this.size = size;
    this.bytes = bytes;
    this.buffer = buffer;
  }
  backend;
  dtype;
  size;
  bytes;
  /** The GPUBuffer holding the data; null once released. */
  buffer;
};
var STORAGE_USAGE = 128 | 4 | 8;
var UNIFORM_USAGE = 64 | 8;
var MAP_READ_USAGE = 1 | 8;
var MAP_WRITE_SRC_USAGE = 4;
var MAP_MODE_READ = 1;
function bucketBytes(bytes) {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const q = Math.ceil(p * f / 256) * 256;
    if (q >= bytes) return q;
  }
  return Math.ceil(2 * p / 256) * 256;
}
function typedFor(dtype, buf, length) {
  return dtype === "int32" ? new Int32Array(buf, 0, length) : new Float32Array(buf, 0, length);
}
function shapeStr(s) {
  return `[${s.join(",")}]`;
}
function sameShape4(a, b) {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
var f32Bits = (v) => new Uint32Array(Float32Array.of(v).buffer)[0];
var i32Bits = (v) => {
  const c = Number.isNaN(v) ? 0 : Math.max(-2147483648, Math.min(2147483647, Math.trunc(v)));
  return c >>> 0;
};
var WebGPUBackend = class {
  name = "webgpu";
  info;
  /** The device all work runs on. */
  device;
  maxCommands;
  scatterMode;
  mmConfig;
  ownsDevice;
  wg;
  maxGroups;
  uniformAlign;
  uniformCapacity = 64 * 1024;
  pool = /* @__PURE__ */ new Map();
  pooledBytes = 0;
  live = /* @__PURE__ */ new Set();
  liveBytes = 0;
  pendingRelease = [];
  pendingDestroy = [];
  encoder = null;
  pass = null;
  commands = 0;
  batchKernels = /* @__PURE__ */ new Set();
  lastKernel = "(none)";
  uniformBuffer;
  uniformData;
  uniformWords;
  uniformUsed = 0;
  errorBuffer;
  pipelines = /* @__PURE__ */ new Map();
  pendingChecks = /* @__PURE__ */ new Set();
  deferredError = null;
  lostInfo = null;
  destroyed = false;
  /** Number of queue submissions so far (for tests and diagnostics). */
  submissions = 0;
  /** Number of storage GPUBuffers created so far; the rest of the allocations were served by the pool. */
  buffersCreated = 0;
  /** Wrap a device; prefer `initWebGPU()`, which finds an adapter and requests proper limits. */
  constructor(device, info, options = {}) {
    this.device = device;
    this.info = info;
    this.maxCommands = Math.max(1, options.maxCommandsPerSubmit ?? 64);
    this.scatterMode = options.scatterAdd ?? "auto";
    this.mmConfig = { ...DEFAULT_MATMUL, ...options.matmul };
    this.ownsDevice = options.ownsDevice ?? true;
    const lim = device.limits;
    this.wg = Math.min(256, lim.maxComputeInvocationsPerWorkgroup, lim.maxComputeWorkgroupSizeX);
    this.maxGroups = lim.maxComputeWorkgroupsPerDimension;
    this.uniformAlign = Math.max(16, lim.minUniformBufferOffsetAlignment);
    const maxStorage = lim.maxStorageBuffersPerShaderStage;
    for (const [name2, need] of Object.entries(FUSED_STORAGE_BUFFERS)) {
      if (options.fused?.[name2] === false || need > maxStorage) Object.defineProperty(this, name2, { value: void 0, configurable: true });
    }
    this.uniformBuffer = device.createBuffer({ label: "unihetero uniforms", size: this.uniformCapacity, usage: UNIFORM_USAGE });
    this.uniformData = new ArrayBuffer(this.uniformCapacity);
    this.uniformWords = new Uint32Array(this.uniformData);
    this.errorBuffer = device.createBuffer({ label: "unihetero kernel errors", size: 256, usage: STORAGE_USAGE });
    device.lost.then((info2) => {
      this.lostInfo = { reason: String(info2.reason), message: info2.message };
    });
    device.onuncapturederror = (ev) => {
      if (/due to a previous error/.test(ev.error.message)) return;
      this.deferredError ??= new Error(`webgpu: ${ev.error.constructor?.name ?? "error"} after kernel ${this.lastKernel}: ${ev.error.message}`);
    };
  }
  /** float32 and int32 (no float64 on WebGPU). */
  supportsDType(dtype) {
    return dtype === "float32" || dtype === "int32";
  }
  // ------------------------------------------------------------------ errors and lifetime
  /** Throw when the backend is unusable or an earlier asynchronous GPU error is pending. */
  check() {
    if (this.destroyed) throw new Error("webgpu: the backend was destroyed");
    if (this.lostInfo) throw new Error(`webgpu: device lost (${this.lostInfo.reason}): ${this.lostInfo.message}`);
    if (this.deferredError) {
      const e = this.deferredError;
      this.deferredError = null;
      throw e;
    }
  }
  track(p) {
    const q = p.finally(() => this.pendingChecks.delete(q));
    this.pendingChecks.add(q);
  }
  /** Wait for outstanding error-scope results, then throw any error they reported. */
  async settle() {
    while (this.pendingChecks.size > 0) await Promise.all([...this.pendingChecks]);
    this.check();
  }
  own(s, op) {
    if (!(s instanceof WebGPUStorage) || s.backend !== this) throw new Error(`webgpu: ${op}: storage belongs to another backend (${s.backend?.name ?? "unknown"})`);
    if (s.buffer === null) throw new Error(`webgpu: ${op}: storage was released (size ${s.size}, ${s.dtype})`);
    return s;
  }
  buf(s, op) {
    return this.own(s, op).buffer;
  }
  /** Free every buffer and (when owned) the device. Safe to call twice. */
  destroy() {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pass = null;
    this.encoder = null;
    for (const s of this.live) {
      s.buffer?.destroy();
      s.buffer = null;
    }
    this.live.clear();
    this.liveBytes = 0;
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    this.pooledBytes = 0;
    for (const { buffer } of this.pendingRelease) buffer.destroy();
    this.pendingRelease = [];
    for (const b of this.pendingDestroy) b.destroy();
    this.pendingDestroy = [];
    this.uniformBuffer.destroy();
    this.errorBuffer.destroy();
    this.pipelines.clear();
    if (this.ownsDevice) this.device.destroy();
  }
  // ------------------------------------------------------------------ memory
  /** A new storage of `size` elements (contents undefined). */
  allocate(size, dtype) {
    this.check();
    if (!this.supportsDType(dtype)) throw new Error(`webgpu: dtype ${dtype} is not supported (use the cpu backend)`);
    if (!Number.isInteger(size) || size < 0) throw new Error(`webgpu: allocate: size must be a non-negative integer, got ${size}`);
    const need = size * 4;
    const max = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    if (need > max) throw new Error(`webgpu: allocate: ${size} ${dtype} elements (${need} bytes) exceed the device's maxStorageBufferBindingSize (${max} bytes)`);
    const bytes = Math.min(bucketBytes(need), max);
    const s = new WebGPUStorage(this, dtype, size, this.acquire(bytes), bytes);
    this.live.add(s);
    this.liveBytes += bytes;
    return s;
  }
  acquire(bytes) {
    const list = this.pool.get(bytes);
    const reused = list?.pop();
    if (reused) {
      this.pooledBytes -= bytes;
      return reused;
    }
    this.buffersCreated++;
    return this.device.createBuffer({ label: `unihetero storage ${bytes}B`, size: bytes, usage: STORAGE_USAGE });
  }
  /** A new storage holding a copy of `data`. */
  upload(data, dtype) {
    const s = this.allocate(data.length, dtype);
    this.write(s, data);
    return s;
  }
  /** Release a storage; its buffer returns to the pool after the next submit. */
  release(storage) {
    const s = this.own(storage, "release");
    if (this.destroyed) return;
    const buffer = s.buffer;
    s.buffer = null;
    this.live.delete(s);
    this.liveBytes -= s.bytes;
    if (this.encoder === null) this.give(buffer, s.bytes);
    else this.pendingRelease.push({ buffer, bytes: s.bytes });
  }
  give(buffer, bytes) {
    let list = this.pool.get(bytes);
    if (!list) this.pool.set(bytes, list = []);
    list.push(buffer);
    this.pooledBytes += bytes;
  }
  /** Destroy the pooled (unused) buffers, returning their memory to the driver. */
  emptyCache() {
    this.check();
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    this.pooledBytes = 0;
  }
  /** Overwrite a whole storage from host data of the same length (ordered after queued kernels). */
  write(storage, data) {
    this.check();
    const s = this.own(storage, "write");
    if (data.length !== s.size) throw new Error(`webgpu: write: data has ${data.length} elements, storage has ${s.size}`);
    if (data instanceof Float64Array) throw new Error("webgpu: write: Float64Array data is not supported (float64 is cpu-only)");
    const expected = s.dtype === "int32" ? Int32Array : Float32Array;
    const src = data instanceof expected ? data : expected.from(data);
    if (src.length === 0) return;
    const bytes = src.length * 4;
    if (this.encoder === null) {
      this.device.queue.writeBuffer(s.buffer, 0, src.buffer, src.byteOffset, bytes);
      return;
    }
    const staging = this.device.createBuffer({ label: "unihetero write staging", size: bytes, usage: MAP_WRITE_SRC_USAGE, mappedAtCreation: true });
    new Uint8Array(staging.getMappedRange()).set(new Uint8Array(src.buffer, src.byteOffset, bytes));
    staging.unmap();
    const enc = this.encoderForCopy();
    enc.copyBufferToBuffer(staging, 0, s.buffer, 0, bytes);
    this.pendingDestroy.push(staging);
    this.countCommand();
  }
  /** Read a whole storage back to the host (flushes queued work). */
  async read(storage) {
    this.check();
    const s = this.own(storage, "read");
    const bytes = s.size * 4;
    const staging = this.device.createBuffer({ label: "unihetero read staging", size: bytes + 16, usage: MAP_READ_USAGE });
    const enc = this.encoderForCopy();
    if (bytes > 0) enc.copyBufferToBuffer(s.buffer, 0, staging, 0, bytes);
    enc.copyBufferToBuffer(this.errorBuffer, 0, staging, bytes, 16);
    enc.clearBuffer(this.errorBuffer, 0, 16);
    this.submit();
    try {
      await staging.mapAsync(MAP_MODE_READ);
    } catch (e) {
      staging.destroy();
      await this.settle();
      throw new Error(`webgpu: read: mapping the result failed: ${e.message}`);
    }
    const raw = staging.getMappedRange().slice(0);
    staging.unmap();
    staging.destroy();
    await this.settle();
    this.throwKernelError(new Uint32Array(raw, bytes, 4));
    return typedFor(s.dtype, raw, s.size);
  }
  throwKernelError(words) {
    if (words[0] === 0) return;
    const kernel = ERR_CODES[words[0]] ?? `kernel ${words[0]}`;
    throw new Error(`webgpu: ${kernel}: index ${words[1] | 0} is out of range for a dimension of size ${words[2]} (detected on the GPU)`);
  }
  /** Memory counters: live storages, their bytes, and pooled bytes (including releases awaiting submit). */
  memory() {
    let pending2 = 0;
    for (const p of this.pendingRelease) pending2 += p.bytes;
    return { storages: this.live.size, bytesInUse: this.liveBytes, bytesPooled: this.pooledBytes + pending2 };
  }
  /** Submit the recorded commands now. */
  flush() {
    this.check();
    this.submit();
  }
  /** Wait until all submitted work has completed; throws errors reported by earlier kernels. */
  async sync() {
    this.check();
    const staging = this.device.createBuffer({ label: "unihetero sync staging", size: 16, usage: MAP_READ_USAGE });
    const enc = this.encoderForCopy();
    enc.copyBufferToBuffer(this.errorBuffer, 0, staging, 0, 16);
    enc.clearBuffer(this.errorBuffer, 0, 16);
    this.submit();
    try {
      await staging.mapAsync(MAP_MODE_READ);
    } catch (e) {
      staging.destroy();
      await this.settle();
      throw new Error(`webgpu: sync failed: ${e.message}`);
    }
    const words = new Uint32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    await this.settle();
    this.throwKernelError(words);
  }
  // ------------------------------------------------------------------ recording and submission
  ensureEncoder() {
    if (this.encoder === null) this.encoder = this.device.createCommandEncoder({ label: "unihetero batch" });
    return this.encoder;
  }
  encoderForCopy() {
    const enc = this.ensureEncoder();
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    return enc;
  }
  computePass() {
    if (this.pass === null) this.pass = this.ensureEncoder().beginComputePass({ label: "unihetero kernels" });
    return this.pass;
  }
  countCommand() {
    if (++this.commands >= this.maxCommands) this.submit();
  }
  submit() {
    if (this.encoder === null) {
      this.recycle();
      return;
    }
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    const kernels = [...this.batchKernels];
    const device = this.device;
    device.pushErrorScope("validation");
    device.pushErrorScope("out-of-memory");
    const cb = this.encoder.finish();
    if (this.uniformUsed > 0) device.queue.writeBuffer(this.uniformBuffer, 0, this.uniformData, 0, this.uniformUsed);
    device.queue.submit([cb]);
    const oom = device.popErrorScope();
    const val = device.popErrorScope();
    const names = kernels.length > 0 ? kernels.join(", ") : "copies only";
    this.track(
      Promise.all([oom, val]).then(([o, v]) => {
        const err = v ?? o;
        if (err) this.deferredError ??= new Error(`webgpu: submission with kernels [${names}] failed: ${err.message}`);
      })
    );
    this.submissions++;
    this.encoder = null;
    this.commands = 0;
    this.uniformUsed = 0;
    this.batchKernels.clear();
    this.recycle();
  }
  recycle() {
    for (const { buffer, bytes } of this.pendingRelease) this.give(buffer, bytes);
    this.pendingRelease = [];
    for (const b of this.pendingDestroy) b.destroy();
    this.pendingDestroy = [];
  }
  pipeline(k) {
    const cached = this.pipelines.get(k.key);
    if (cached) return cached;
    const device = this.device;
    device.pushErrorScope("validation");
    const module = device.createShaderModule({ label: k.name, code: k.source() });
    const pipeline = device.createComputePipeline({ label: k.name, layout: "auto", compute: { module, entryPoint: "main" } });
    this.track(
      device.popErrorScope().then((err) => {
        if (err) this.deferredError = new Error(`webgpu: kernel ${k.name} failed to compile: ${err.message}`);
      })
    );
    this.pipelines.set(k.key, pipeline);
    return pipeline;
  }
  /**
   * Compile a WGSL compute kernel (entry point `main`) and wait for the verdict; throws an error
   * naming the kernel with the compiler's message. Internal: used by tests and diagnostics.
   */
  async compileKernel(name2, wgsl) {
    this.check();
    const device = this.device;
    device.pushErrorScope("validation");
    const module = device.createShaderModule({ label: name2, code: wgsl });
    const pipeline = device.createComputePipeline({ label: name2, layout: "auto", compute: { module, entryPoint: "main" } });
    const err = await device.popErrorScope();
    if (err) throw new Error(`webgpu: kernel ${name2} failed to compile: ${err.message}`);
    return pipeline;
  }
  /** Reserve a uniform range for this dispatch (flushing when the submission's arena is full). */
  uniformSlot(params) {
    const size = Math.ceil(params.byteLength / this.uniformAlign) * this.uniformAlign;
    if (this.uniformUsed + size > this.uniformCapacity) this.submit();
    const off = this.uniformUsed;
    this.uniformWords.set(params, off / 4);
    this.uniformUsed += size;
    return off;
  }
  /** Record one dispatch: storage buffers at bindings 0.., the params uniform after them. */
  dispatch(k, buffers, params, grid) {
    if (grid[0] === 0 || grid[1] === 0 || grid[2] === 0) return;
    this.lastKernel = k.name;
    const pipeline = this.pipeline(k);
    const off = this.uniformSlot(params);
    const entries = buffers.map((buffer, i) => ({ binding: i, resource: { buffer } }));
    entries.push({ binding: buffers.length, resource: { buffer: this.uniformBuffer, offset: off, size: params.byteLength } });
    const group = this.device.createBindGroup({ label: k.name, layout: pipeline.getBindGroupLayout(0), entries });
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
    this.batchKernels.add(k.name);
    this.lastKernel = k.name;
    this.countCommand();
  }
  /** A 1-D launch of `threads` invocations in workgroups of `wg`, as a 2-D grid when needed. */
  grid1d(threads, wg) {
    const groups = Math.ceil(threads / wg);
    if (groups <= this.maxGroups) return { grid: [groups, 1, 1], rowStride: groups * wg };
    const y = Math.ceil(groups / this.maxGroups);
    const x = Math.ceil(groups / y);
    if (y > this.maxGroups) throw new Error(`webgpu: ${threads} invocations exceed the dispatch limits`);
    return { grid: [x, y, 1], rowStride: x * wg };
  }
  /** One workgroup per item as a 2-D grid; returns the grid and its x extent. */
  gridGroups(items) {
    if (items <= this.maxGroups) return { grid: [items, 1, 1], gridX: items };
    const y = Math.ceil(items / this.maxGroups);
    const x = Math.ceil(items / y);
    return { grid: [x, y, 1], gridX: x };
  }
  /** A temporary copy of `buffer`'s first `bytes` (used when an output aliases an input). */
  cloneBuffer(src) {
    const t = this.allocate(src.size, src.dtype);
    if (src.size > 0) this.encoderForCopy().copyBufferToBuffer(src.buffer, 0, t.buffer, 0, src.size * 4);
    return t;
  }
  /** Input buffers, with snapshots of those that are also written by the dispatch (WebGPU forbids the aliasing). */
  safeInputs(inputs, outputs) {
    const temps = [];
    const buffers = inputs.map((s) => {
      if (!outputs.includes(s.buffer)) return s.buffer;
      const t = this.cloneBuffer(s);
      temps.push(t);
      return t.buffer;
    });
    return { buffers, temps };
  }
  // ------------------------------------------------------------------ elementwise
  runElementwise(name2, shape, inputs, out, expr, pre, scalars = {}) {
    const n = shape.reduce((p2, d) => p2 * d, 1);
    if (n === 0) return;
    const c = coalesce(shape, [...inputs.map((i) => ({ strides: i.view.strides, offset: i.view.offset })), { strides: out.strides, offset: out.offset }]);
    if (c.shape.length > MAX_RANK) throw new Error(`webgpu: ${name2}: views of rank ${c.shape.length} after merging dims are not supported (max ${MAX_RANK})`);
    const views = c.views;
    const temps = [];
    const buffers = inputs.map((i) => {
      const s = this.own(i.view.storage, name2);
      if (s.buffer === out.storage.buffer) {
        const t = this.cloneBuffer(s);
        temps.push(t);
        return t.buffer;
      }
      return s.buffer;
    });
    buffers.push(out.storage.buffer);
    const spec = {
      name: name2,
      inputs: inputs.map((inp, i) => ({ type: inp.type, flat: isFlat(views[i]) })),
      out: { type: out.type, flat: isFlat(views[inputs.length]) },
      expr: expr.expr,
      resultType: expr.type,
      pre
    };
    const key = `${ewKey(spec)}|${pre.length > 0 ? "p" : ""}${spec.expr}`;
    const { grid, rowStride } = this.grid1d(n, this.wg);
    const p = new Uint32Array(EW.words);
    p[EW.n] = n;
    p[EW.rank] = c.shape.length;
    p[EW.rowStride] = rowStride;
    views.forEach((v, i) => {
      p[EW.offsets + i] = v.offset;
      v.strides.forEach((s, d) => p[EW.strides + 8 * i + d] = s);
    });
    c.shape.forEach((s, d) => p[EW.shape + d] = s);
    p[EW.a] = f32Bits(scalars.a ?? 0);
    p[EW.b] = f32Bits(scalars.b ?? 0);
    p[EW.ia] = i32Bits(scalars.ia ?? 0);
    p[EW.ib] = i32Bits(scalars.ib ?? 0);
    const wg = this.wg;
    this.dispatch({ key: `${key}|${wg}`, name: name2, source: () => ewSource(spec, wg) }, buffers, p, grid);
    for (const t of temps) this.release(t);
  }
  contiguousOut(out, shape, op) {
    const s = this.own(out, op);
    const n = shape.reduce((p, d) => p * d, 1);
    if (s.size < n) throw new Error(`webgpu: ${op}: output has ${s.size} elements, shape ${shapeStr(shape)} needs ${n}`);
    const strides = new Array(shape.length);
    let acc = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      strides[d] = acc;
      acc *= shape[d];
    }
    return { storage: s, strides, offset: 0 };
  }
  /** Set every element of `out` to `value`. */
  fill(out, value) {
    this.check();
    const s = this.own(out, "fill");
    const t = wtype(s.dtype);
    const bits = t === "i32" ? new Uint32Array(Int32Array.of(value).buffer)[0] : f32Bits(value);
    const name2 = `fill_${t}`;
    const { grid, rowStride } = this.grid1d(s.size, this.wg);
    const p = new Uint32Array(EW.words);
    p[EW.n] = s.size;
    p[EW.rowStride] = rowStride;
    p[EW.a] = bits;
    const spec = { name: name2, inputs: [], out: { type: t, flat: true }, expr: `bitcast<${t}>(pu(${EW.a}u))`, resultType: t };
    const wg = this.wg;
    this.dispatch({ key: `${ewKey(spec)}|${wg}`, name: name2, source: () => ewSource(spec, wg) }, [s.buffer], p, grid);
  }
  /** Copy (and cast) a strided view into another strided view of the same shape. */
  copy(src, dst) {
    this.check();
    if (!sameShape4(src.shape, dst.shape)) throw new Error(`webgpu: copy: shapes differ: ${shapeStr(src.shape)} vs ${shapeStr(dst.shape)}`);
    const d = this.own(dst.storage, "copy");
    this.own(src.storage, "copy");
    const st = wtype(src.storage.dtype);
    const dt = wtype(d.dtype);
    this.runElementwise(`copy_${st}_${dt}`, src.shape, [{ view: src, type: st }], { storage: d, type: dt, strides: dst.strides, offset: dst.offset }, { expr: "x0", type: st }, "");
  }
  /** Elementwise `out = op(x)`. */
  unary(op, x, out, params = {}) {
    this.check();
    const xs = this.own(x.storage, `unary ${op}`);
    const o = this.contiguousOut(out, x.shape, `unary ${op}`);
    const inT = wtype(xs.dtype);
    const outT = wtype(o.storage.dtype);
    let expr;
    let scalars = { a: params.a ?? 0, b: params.b ?? 0 };
    if (inT === "i32") {
      const ie = unaryIntExpr(op);
      if (ie) {
        expr = ie;
        const lo = params.a ?? -Infinity;
        const hi = params.b ?? Infinity;
        scalars = { ia: op === "clamp" ? i32Bits(lo === -Infinity ? -2147483648 : lo) | 0 : params.a ?? 0, ib: op === "clamp" ? i32Bits(hi === Infinity ? 2147483647 : hi) | 0 : 0 };
      } else {
        const fe = unaryFloatExpr(op);
        expr = { expr: fe.expr.replace(/\bx0\b/g, "f32(x0)"), type: fe.type };
      }
    } else {
      expr = unaryFloatExpr(op);
      if (op === "clamp") scalars = { a: params.a ?? -Infinity, b: params.b ?? Infinity };
    }
    if (UNARY_INT_OUT.has(op) && outT !== "i32") throw new Error(`webgpu: unary ${op}: output must be int32, got ${o.storage.dtype}`);
    this.runElementwise(`unary_${op}_${inT}_${outT}`, x.shape, [{ view: x, type: inT }], { ...o, type: outT }, expr, "", scalars);
  }
  /** Elementwise `out = op(a, b)` (inputs already broadcast to out's shape). */
  binary(op, a, b, out) {
    this.check();
    const as = this.own(a.storage, `binary ${op}`);
    const bs = this.own(b.storage, `binary ${op}`);
    if (!sameShape4(a.shape, b.shape)) throw new Error(`webgpu: binary ${op}: shapes differ: ${shapeStr(a.shape)} vs ${shapeStr(b.shape)}`);
    if (as.dtype !== bs.dtype) throw new Error(`webgpu: binary ${op}: dtypes differ: ${as.dtype} vs ${bs.dtype}`);
    const t = wtype(as.dtype);
    const o = this.contiguousOut(out, a.shape, `binary ${op}`);
    const outT = wtype(o.storage.dtype);
    this.runElementwise(`binary_${op}_${t}_${outT}`, a.shape, [{ view: a, type: t }, { view: b, type: t }], { ...o, type: outT }, binaryExpr(op, t), binaryPre(op));
  }
  /** `out = cond != 0 ? a : b`. */
  where(cond, a, b, out) {
    this.check();
    const cs = this.own(cond.storage, "where");
    const as = this.own(a.storage, "where");
    const bs = this.own(b.storage, "where");
    if (!sameShape4(cond.shape, a.shape) || !sameShape4(a.shape, b.shape)) {
      throw new Error(`webgpu: where: shapes differ: cond ${shapeStr(cond.shape)}, a ${shapeStr(a.shape)}, b ${shapeStr(b.shape)}`);
    }
    if (as.dtype !== bs.dtype) throw new Error(`webgpu: where: dtypes differ: ${as.dtype} vs ${bs.dtype}`);
    const ct = wtype(cs.dtype);
    const t = wtype(as.dtype);
    const o = this.contiguousOut(out, a.shape, "where");
    const outT = wtype(o.storage.dtype);
    const zero = ct === "f32" ? "0.0" : "0";
    this.runElementwise(
      `where_${ct}_${t}_${outT}`,
      a.shape,
      [{ view: cond, type: ct }, { view: a, type: t }, { view: b, type: t }],
      { ...o, type: outT },
      { expr: `select(x2, x1, x0 != ${zero})`, type: t },
      ""
    );
  }
  // ------------------------------------------------------------------ rows
  rowParams(rows, cols, offset, gridX, eps = 0) {
    const p = new Uint32Array(ROWS.words);
    p[ROWS.rows] = rows;
    p[ROWS.cols] = cols;
    p[ROWS.offset] = offset;
    p[ROWS.gridX] = gridX;
    p[ROWS.eps] = f32Bits(eps);
    return p;
  }
  checkRows(op, x, offset, rows, cols) {
    if (offset + rows * cols > x.size) throw new Error(`webgpu: ${op}: rows ${rows} x cols ${cols} at offset ${offset} exceed the input's ${x.size} elements`);
  }
  /** Launch a row kernel: one workgroup per row (group) or one invocation per row. */
  runRows(name2, key, source, rows, cols, buffers, offset, forceGroup = false, eps = 0, extra = []) {
    if (rows === 0) return;
    const group = forceGroup || cols > SHORT_ROW;
    if (group) {
      const wg = rowWorkgroup(cols, this.wg);
      const { grid, gridX } = this.gridGroups(rows);
      const p = this.rowParams(rows, cols, offset, gridX, eps);
      for (const [w, bits] of extra) p[w] = bits;
      this.dispatch({ key: `${key}|g${wg}`, name: name2, source: () => source(true, wg) }, buffers, p, grid);
    } else {
      const wg = Math.min(64, this.wg);
      const { grid } = this.grid1d(rows, wg);
      this.dispatch({ key: `${key}|t${wg}`, name: name2, source: () => source(false, wg) }, buffers, this.rowParams(rows, cols, offset, grid[0], eps), grid);
    }
  }
  /** Reduce each row of contiguous `x [rows, cols]` into `out [rows]`. */
  reduce(op, x, offset, rows, cols, out) {
    this.check();
    const xs = this.own(x, `reduce ${op}`);
    const os = this.own(out, `reduce ${op}`);
    this.checkRows(`reduce ${op}`, xs, offset, rows, cols);
    if (os.size < rows) throw new Error(`webgpu: reduce ${op}: output has ${os.size} elements, need ${rows}`);
    if (cols === 0 && (op === "argmax" || op === "argmin" || op === "max" || op === "min")) throw new Error(`webgpu: reduce ${op}: cannot reduce an empty row (cols = 0)`);
    const t = wtype(xs.dtype);
    const ot = wtype(os.dtype);
    const name2 = `reduce_${op}_${t}_${ot}`;
    const { buffers, temps } = this.safeInputs([xs], [os.buffer]);
    this.runRows(name2, name2, (g, wg) => reduceSource(op, t, ot, g, wg), rows, cols, [...buffers, os.buffer], offset);
    for (const tmp of temps) this.release(tmp);
  }
  /** Softmax / log-softmax of each row of contiguous `x [rows, cols]`. */
  softmax(x, offset, rows, cols, out, log) {
    this.check();
    const xs = this.own(x, "softmax");
    const os = this.own(out, "softmax");
    if (xs.dtype !== "float32" || os.dtype !== "float32") throw new Error(`webgpu: softmax: float32 only, got ${xs.dtype} -> ${os.dtype}`);
    this.checkRows("softmax", xs, offset, rows, cols);
    if (os.size < rows * cols) throw new Error(`webgpu: softmax: output has ${os.size} elements, need ${rows * cols}`);
    let xb = xs.buffer;
    let temp = null;
    if (xb === os.buffer) {
      temp = this.cloneBuffer(xs);
      xb = temp.buffer;
    }
    const name2 = log ? "log_softmax" : "softmax";
    this.runRows(name2, name2, (g, wg) => softmaxSource(log, g, wg), rows, cols, [xb, os.buffer], offset);
    if (temp) this.release(temp);
  }
  /** Fused LayerNorm over the last axis; writes out, mean and rstd. */
  layerNorm(x, weight, bias, rows, cols, eps, out, mean2, rstd) {
    this.check();
    const xs = this.own(x, "layerNorm");
    this.checkRows("layerNorm", xs, 0, rows, cols);
    const all = [x, weight, bias, out, mean2, rstd].filter((s) => s !== null).map((s) => this.own(s, "layerNorm"));
    if (all.some((s) => s.dtype !== "float32")) throw new Error("webgpu: layerNorm: float32 only");
    if (weight && weight.size < cols) throw new Error(`webgpu: layerNorm: weight has ${weight.size} elements, need ${cols}`);
    if (bias && bias.size < cols) throw new Error(`webgpu: layerNorm: bias has ${bias.size} elements, need ${cols}`);
    if (out.size < rows * cols || mean2.size < rows || rstd.size < rows) throw new Error(`webgpu: layerNorm: outputs too small for [${rows}, ${cols}] (out ${out.size}, mean ${mean2.size}, rstd ${rstd.size})`);
    const outs = [this.buf(out, "layerNorm"), this.buf(mean2, "layerNorm"), this.buf(rstd, "layerNorm")];
    const ins = [xs, ...weight ? [this.own(weight, "layerNorm")] : [], ...bias ? [this.own(bias, "layerNorm")] : []];
    const { buffers: inBufs, temps } = this.safeInputs(ins, outs);
    const stats = "layer_norm_stats";
    this.runRows(stats, stats, (_g, wg) => layerNormStatsSource(wg), rows, cols, [inBufs[0], outs[1], outs[2]], 0, true, eps);
    const name2 = `layer_norm${weight ? "_w" : ""}${bias ? "_b" : ""}`;
    this.runRows(name2, name2, (_g, wg) => layerNormApplySource(wg, weight !== null, bias !== null), rows, cols, [...inBufs, outs[0]], 0, true, eps);
    for (const tmp of temps) this.release(tmp);
  }
  /** Fused RMSNorm over the last axis: `out = x * rstd * weight`; writes rstd. */
  rmsNorm(x, weight, rows, cols, eps, out, rstd) {
    this.check();
    const xs = this.own(x, "rmsNorm");
    this.checkRows("rmsNorm", xs, 0, rows, cols);
    const all = [x, weight, out, rstd].filter((s) => s !== null).map((s) => this.own(s, "rmsNorm"));
    if (all.some((s) => s.dtype !== "float32")) throw new Error("webgpu: rmsNorm: float32 only");
    if (weight && weight.size < cols) throw new Error(`webgpu: rmsNorm: weight has ${weight.size} elements, need ${cols}`);
    if (out.size < rows * cols || rstd.size < rows) throw new Error(`webgpu: rmsNorm: outputs too small for [${rows}, ${cols}] (out ${out.size}, rstd ${rstd.size})`);
    const outs = [this.buf(out, "rmsNorm"), this.buf(rstd, "rmsNorm")];
    const { buffers, temps } = this.safeInputs([xs, ...weight ? [this.own(weight, "rmsNorm")] : []], outs);
    const name2 = `rms_norm${weight ? "_w" : ""}`;
    this.runRows(name2, name2, (_g, wg) => rmsNormSource(wg, weight !== null), rows, cols, [...buffers, ...outs], 0, true, eps);
    for (const tmp of temps) this.release(tmp);
  }
  // ------------------------------------------------------------------ fused training kernels
  /** Own every storage, require float32 (int32 where listed), and return them. */
  fusedStorages(op, list, ints = []) {
    return list.map((s) => {
      if (s === null) return null;
      const w = this.own(s, op);
      const want = ints.includes(s) ? "int32" : "float32";
      if (w.dtype !== want) throw new Error(`webgpu: ${op}: expected a ${want} storage, got ${w.dtype} (${w.size} elements)`);
      return w;
    });
  }
  needSize(op, what, s, n) {
    if (s && s.size < n) throw new Error(`webgpu: ${op}: ${what} has ${s.size} elements, needs ${n}`);
  }
  /** Fused LayerNorm backward: dx (row kernel) and dweight / dbias (column kernel). */
  layerNormBackward(x, mean2, rstd, weight, grad, rows, cols, dx, dweight, dbias) {
    this.normBackward("layerNormBackward", x, mean2, rstd, weight, grad, rows, cols, dx, dweight, dbias);
  }
  /** Fused RMSNorm backward: dx (row kernel) and dweight (column kernel). */
  rmsNormBackward(x, rstd, weight, grad, rows, cols, dx, dweight) {
    this.normBackward("rmsNormBackward", x, null, rstd, weight, grad, rows, cols, dx, dweight, null);
  }
  normBackward(op, x, mean2, rstd, weight, grad, rows, cols, dx, dweight, dbias) {
    this.check();
    const [xs, ms, rs, ws, gs, dxs, dws, dbs] = this.fusedStorages(op, [x, mean2, rstd, weight, grad, dx, dweight, dbias]);
    this.checkRows(op, xs, 0, rows, cols);
    this.checkRows(`${op} grad`, gs, 0, rows, cols);
    this.needSize(op, "mean", ms, rows);
    this.needSize(op, "rstd", rs, rows);
    this.needSize(op, "weight", ws, cols);
    this.needSize(op, "dx", dxs, rows * cols);
    this.needSize(op, "dweight", dws, cols);
    this.needSize(op, "dbias", dbs, cols);
    if (rows === 0 || cols === 0) return;
    const centered = ms !== null;
    const outs = [dxs, dws, dbs].filter((s) => s !== null).map((s) => s.buffer);
    const ins = [xs, ms, rs, ws, gs].filter((s) => s !== null);
    const { buffers, temps } = this.safeInputs(ins, outs);
    const at = (s) => s === null ? null : buffers[ins.indexOf(s)];
    const stats = [at(ms), at(rs)].filter((b) => b !== null);
    const base = centered ? "layer_norm" : "rms_norm";
    const dxName = `${base}_backward_dx${ws ? "_w" : ""}`;
    const dxBuffers = [at(xs), ...stats, ...ws ? [at(ws)] : [], at(gs), dxs.buffer];
    this.runRows(dxName, dxName, (_g, wg) => normBackwardDxSource(wg, centered, ws !== null), rows, cols, dxBuffers, 0, true);
    if (dws || dbs) {
      const wg = Math.min(64, this.wg);
      const chunkRows = rows <= 256 ? rows : 128;
      const chunks2 = Math.min(Math.ceil(rows / chunkRows), this.maxGroups);
      const rowsPer = Math.ceil(rows / chunks2);
      const { grid, rowStride } = this.grid1d(cols, wg);
      const p = new Uint32Array(COLS.words);
      p[COLS.rows] = rows;
      p[COLS.cols] = cols;
      p[COLS.rowStride] = rowStride;
      p[COLS.chunkRows] = rowsPer;
      p[COLS.chunks] = chunks2;
      const partial = (s) => s === null ? null : chunks2 === 1 ? s : this.allocate(cols * chunks2, "float32");
      const pw = partial(dws);
      const pb = partial(dbs);
      const name2 = `${base}_backward_params${dws ? "_dw" : ""}${dbs ? "_db" : ""}`;
      const bufs = [...dws ? [at(xs), ...stats] : [], at(gs), ...pw ? [pw.buffer] : [], ...pb ? [pb.buffer] : []];
      this.dispatch({ key: `${name2}|${wg}`, name: name2, source: () => normBackwardParamsSource(wg, centered, dws !== null, dbs !== null) }, bufs, p, [grid[0], grid[1], chunks2]);
      for (const [part, final] of [[pw, dws], [pb, dbs]]) {
        if (part && final && part !== final) {
          this.reduce("sum", part, 0, cols, chunks2, final);
          this.release(part);
        }
      }
    }
    for (const t of temps) this.release(t);
  }
  /** Fused cross-entropy rows: losses then logsumexps into `stats [2 rows]`; a bad target is reported at the next read. */
  crossEntropy(logits, targets, rows, cols, ignoreIndex, labelSmoothing, stats) {
    const op = "crossEntropy";
    this.check();
    const [xs, ts, ss] = this.fusedStorages(op, [logits, targets, stats], [targets]);
    this.checkRows(op, xs, 0, rows, cols);
    this.needSize(op, "targets", ts, rows);
    this.needSize(op, "stats", ss, 2 * rows);
    if (rows === 0) return;
    const { buffers, temps } = this.safeInputs([xs, ts], [ss.buffer]);
    const extra = [[CE.ignore, i32Bits(ignoreIndex)], [CE.smoothing, f32Bits(labelSmoothing)]];
    this.runRows("cross_entropy", "cross_entropy", (_g, wg) => crossEntropySource(wg), rows, cols, [...buffers, ss.buffer, this.errorBuffer], 0, true, 0, extra);
    for (const t of temps) this.release(t);
  }
  /** Gradient of the cross-entropy rows with respect to the logits, from `grad [2 rows]`. */
  crossEntropyBackward(logits, targets, stats, grad, rows, cols, ignoreIndex, labelSmoothing, dx) {
    const op = "crossEntropyBackward";
    this.check();
    const [xs, ts, ss, gs, ds] = this.fusedStorages(op, [logits, targets, stats, grad, dx], [targets]);
    this.checkRows(op, xs, 0, rows, cols);
    this.needSize(op, "targets", ts, rows);
    this.needSize(op, "stats", ss, 2 * rows);
    this.needSize(op, "grad", gs, 2 * rows);
    this.needSize(op, "dx", ds, rows * cols);
    if (rows === 0 || cols === 0) return;
    const { buffers, temps } = this.safeInputs([xs, ts, ss, gs], [ds.buffer]);
    const extra = [[CE.ignore, i32Bits(ignoreIndex)], [CE.smoothing, f32Bits(labelSmoothing)]];
    const name2 = "cross_entropy_backward";
    this.runRows(name2, name2, (_g, wg) => crossEntropyBackwardSource(wg), rows, cols, [...buffers, ds.buffer], 0, true, 0, extra);
    for (const t of temps) this.release(t);
  }
  /**
   * Fused attention forward (online softmax over key tiles in workgroup memory). Declines (returns
   * false) for head sizes above 256, tiles that do not fit the device's workgroup storage, or more
   * storage buffers than the device binds.
   */
  attention(q, k, v, mask, scale, out, lse) {
    const op = "attention";
    this.check();
    for (const [what, w] of [["q", q], ["k", k], ["v", v], ["mask", mask]]) {
      if (w && w.shape.length !== 4) throw new Error(`webgpu: ${op}: ${what} must be a rank-4 view, got ${shapeStr(w.shape)}`);
    }
    const [B, H, Lq, D] = q.shape;
    const [B2, Hkv, Lk, D2] = k.shape;
    const Dv = v.shape[3];
    if (B2 !== B || D2 !== D || Hkv === 0 || H % Hkv !== 0 || !sameShape4(v.shape.slice(0, 3), k.shape.slice(0, 3))) {
      throw new Error(`webgpu: ${op}: incompatible q ${shapeStr(q.shape)}, k ${shapeStr(k.shape)}, v ${shapeStr(v.shape)}`);
    }
    if (mask && !sameShape4(mask.shape, [B, H, Lq, Lk])) throw new Error(`webgpu: ${op}: mask view ${shapeStr(mask.shape)} must be [${B},${H},${Lq},${Lk}]`);
    const [qs, ks, vs, ms, os, ls] = this.fusedStorages(op, [q.storage, k.storage, v.storage, mask?.storage ?? null, out, lse]);
    this.needSize(op, "out", os, B * H * Lq * Dv);
    this.needSize(op, "lse", ls, B * H * Lq);
    const lim = this.device.limits;
    if (D < 1 || Dv < 1 || Lk < 1 || D > ATTENTION_MAX_HEAD || Dv > ATTENTION_MAX_HEAD) return false;
    if ((mask ? 6 : 5) > lim.maxStorageBuffersPerShaderStage) return false;
    const TK = Math.min(32, Math.floor(lim.maxComputeWorkgroupStorageSize / ((D + Dv) * 4)));
    if (TK < 1) return false;
    if (B * H * Lq === 0) return true;
    const wg = Math.min(this.wg, Lq <= 16 ? 16 : Lq <= 32 ? 32 : 64);
    const blocks = Math.ceil(Lq / wg);
    const groups = B * H * blocks;
    if (groups > this.maxGroups * this.maxGroups) return false;
    const { grid, gridX } = this.gridGroups(groups);
    const p = new Uint32Array(Math.ceil(ATT.words / 4) * 4);
    p[ATT.B] = B;
    p[ATT.H] = H;
    p[ATT.Hkv] = Hkv;
    p[ATT.Lq] = Lq;
    p[ATT.Lk] = Lk;
    p[ATT.gridX] = gridX;
    p[ATT.blocks] = blocks;
    p[ATT.scale] = f32Bits(scale);
    const put = (w, off, st) => {
      p[off] = w.offset;
      w.strides.forEach((s, i) => p[st + i] = s);
    };
    put(q, ATT.qOff, ATT.qs);
    put(k, ATT.kOff, ATT.ks);
    put(v, ATT.vOff, ATT.vs);
    if (mask) put(mask, ATT.mOff, ATT.ms);
    const spec = { D, Dv, TK, wg, mask: mask !== null };
    const ins = [qs, ks, vs, ...ms ? [ms] : []];
    const { buffers, temps } = this.safeInputs(ins, [os.buffer, ls.buffer]);
    const key = `attention|${D}|${Dv}|${TK}|${wg}|${spec.mask ? "m" : ""}`;
    this.dispatch({ key, name: `attention_d${D}_dv${Dv}${spec.mask ? "_mask" : ""}`, source: () => attentionSource(spec) }, [...buffers, os.buffer, ls.buffer], p, grid);
    for (const t of temps) this.release(t);
    return true;
  }
  // ------------------------------------------------------------------ matmul
  /** Batched `out[b] = a[b] @ b[b]` for views `a [B, M, K]`, `b [B, K, N]`. */
  matmul(a, b, out) {
    this.check();
    if (a.shape.length !== 3 || b.shape.length !== 3) throw new Error(`matmul: expected rank-3 views [B, M, K] x [B, K, N], got ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}`);
    const [B, M, K] = a.shape;
    const [B2, K2, N] = b.shape;
    if (K !== K2) throw new Error(`matmul: inner dimensions differ: ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}`);
    if (B !== B2) throw new Error(`matmul: batch dimensions differ: ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}`);
    const as = this.own(a.storage, "matmul");
    const bs = this.own(b.storage, "matmul");
    const os = this.own(out, "matmul");
    if (as.dtype !== bs.dtype || as.dtype !== os.dtype) throw new Error(`matmul: dtypes differ: ${as.dtype} @ ${bs.dtype} -> ${os.dtype}`);
    if (os.size < B * M * N) throw new Error(`matmul: output has ${os.size} elements, need ${B * M * N}`);
    if (B * M * N === 0) return;
    if (K === 0) {
      this.fill(os, 0);
      return;
    }
    const temps = [];
    const contiguous2 = (v) => {
      const [d0, d1, d2] = v.shape;
      const t = this.allocate(d0 * d1 * d2, v.storage.dtype);
      const cv = { storage: t, shape: v.shape, strides: [d1 * d2, d2, 1], offset: 0 };
      this.copy(v, cv);
      temps.push(t);
      return cv;
    };
    let av = a;
    let aLayout;
    let lda;
    const [, sam, sak] = av.strides;
    if (sak === 1 || K === 1) {
      aLayout = "n";
      lda = M === 1 ? 0 : sam;
    } else if (sam === 1 || M === 1) {
      aLayout = "t";
      lda = K === 1 ? 0 : sak;
    } else {
      av = contiguous2(a);
      aLayout = "n";
      lda = K;
    }
    let bv = b;
    let bLayout;
    let ldb;
    const [, sbk, sbn] = bv.strides;
    if (sbn === 1 || N === 1) {
      bLayout = "n";
      ldb = K === 1 ? 0 : sbk;
    } else if (sbk === 1 || K === 1) {
      bLayout = "t";
      ldb = N === 1 ? 0 : sbn;
    } else {
      bv = contiguous2(b);
      bLayout = "n";
      ldb = N;
    }
    let target = os;
    if (os.buffer === av.storage.buffer || os.buffer === bv.storage.buffer) {
      target = this.allocate(B * M * N, os.dtype);
    }
    const aBatch = B === 1 ? 0 : av.strides[0];
    const bBatch = B === 1 ? 0 : bv.strides[0];
    const al4 = (x) => x % 4 === 0;
    const spec = {
      t: wtype(as.dtype),
      aLayout,
      bLayout,
      aVec4: al4(av.offset) && al4(aBatch) && al4(lda) && al4(aLayout === "n" ? K : M),
      bVec4: bLayout === "n" && al4(bv.offset) && al4(bBatch) && al4(ldb) && al4(N)
    };
    const cfg = this.mmConfig;
    const TM = cfg.wgY * cfg.rm;
    const TN = cfg.wgX * cfg.rn;
    const key = matmulKey(spec, cfg);
    const name2 = `matmul_${spec.t}_${aLayout}${bLayout}`;
    const kernel = { key, name: name2, source: () => matmulSource(spec, cfg) };
    const gx = Math.ceil(N / TN);
    const gy = Math.ceil(M / TM);
    if (gx > this.maxGroups || gy > this.maxGroups) throw new Error(`matmul: ${shapeStr(a.shape)} @ ${shapeStr(b.shape)} exceeds the dispatch limits`);
    const buffers = [av.storage.buffer, bv.storage.buffer, target.buffer];
    for (let base = 0; base < B; base += this.maxGroups) {
      const nb = Math.min(this.maxGroups, B - base);
      const p = new Uint32Array(MM.words);
      p[MM.M] = M;
      p[MM.N] = N;
      p[MM.K] = K;
      p[MM.batchBase] = base;
      p[MM.aOff] = av.offset;
      p[MM.aBatch] = aBatch;
      p[MM.lda] = lda;
      p[MM.bOff] = bv.offset;
      p[MM.bBatch] = bBatch;
      p[MM.ldb] = ldb;
      this.dispatch(kernel, buffers, p, [gx, gy, nb]);
    }
    if (target !== os) {
      this.encoderForCopy().copyBufferToBuffer(target.buffer, 0, os.buffer, 0, B * M * N * 4);
      this.countCommand();
      this.release(target);
    }
    for (const t of temps) this.release(t);
  }
  // ------------------------------------------------------------------ indexing
  rank3(v, what, op) {
    if (v.shape.length !== 3) throw new Error(`webgpu: ${op}: ${what} must be a rank-3 view [outer, dim, inner], got ${shapeStr(v.shape)}`);
    return v.shape;
  }
  /** `out[o, j, i] = x[o, index[o, j, i], i]`. */
  gather(x, index, out) {
    this.check();
    const xs = this.own(x.storage, "gather");
    const is = this.own(index.storage, "gather");
    const os = this.own(out, "gather");
    const [O, Dx, I] = this.rank3(x, "x", "gather");
    const [O2, Dj, I2] = this.rank3(index, "index", "gather");
    if (O !== O2 || I !== I2) throw new Error(`webgpu: gather: x ${shapeStr(x.shape)} and index ${shapeStr(index.shape)} differ outside the gathered dim`);
    if (is.dtype !== "int32") throw new Error(`webgpu: gather: index must be int32, got ${is.dtype}`);
    if (xs.dtype !== os.dtype) throw new Error(`webgpu: gather: dtypes differ: ${xs.dtype} -> ${os.dtype}`);
    const n = O * Dj * I;
    if (os.size < n) throw new Error(`webgpu: gather: output has ${os.size} elements, need ${n}`);
    if (n === 0) return;
    const t = wtype(xs.dtype);
    const { grid, rowStride } = this.grid1d(n, this.wg);
    const p = this.ixParams(O, Dj, I, Dx, x, index, n, rowStride);
    const wg = this.wg;
    const { buffers, temps } = this.safeInputs([xs, is], [os.buffer]);
    this.dispatch({ key: `gather|${t}|${wg}`, name: `gather_${t}`, source: () => gatherSource(t, wg) }, [...buffers, os.buffer, this.errorBuffer], p, grid);
    for (const tmp of temps) this.release(tmp);
  }
  ixParams(O, Dj, I, Dx, x, index, n, rowStride) {
    const p = new Uint32Array(IX.words);
    p[IX.O] = O;
    p[IX.Dj] = Dj;
    p[IX.I] = I;
    p[IX.Dx] = Dx;
    p[IX.xOff] = x.offset;
    p[IX.xs0] = x.strides[0];
    p[IX.xs1] = x.strides[1];
    p[IX.xs2] = x.strides[2];
    p[IX.iOff] = index.offset;
    p[IX.is0] = index.strides[0];
    p[IX.is1] = index.strides[1];
    p[IX.is2] = index.strides[2];
    p[IX.n] = n;
    p[IX.rowStride] = rowStride;
    return p;
  }
  /** `target[o, index[o, j, i], i] += src[o, j, i]`. */
  scatterAdd(target, index, src) {
    this.check();
    const ts = this.own(target, "scatterAdd");
    let is = this.own(index.storage, "scatterAdd");
    let ss = this.own(src.storage, "scatterAdd");
    const [O, Dj, I] = this.rank3(index, "index", "scatterAdd");
    if (!sameShape4(index.shape, src.shape)) throw new Error(`webgpu: scatterAdd: index ${shapeStr(index.shape)} and src ${shapeStr(src.shape)} differ`);
    if (is.dtype !== "int32") throw new Error(`webgpu: scatterAdd: index must be int32, got ${is.dtype}`);
    if (ss.dtype !== ts.dtype) throw new Error(`webgpu: scatterAdd: dtypes differ: src ${ss.dtype}, target ${ts.dtype}`);
    if (O * I === 0 || Dj === 0) return;
    if (ts.size % (O * I) !== 0) throw new Error(`webgpu: scatterAdd: target of ${ts.size} elements is not [${O}, Dt, ${I}]`);
    const Dt = ts.size / (O * I);
    const temps = [];
    if (is.buffer === ts.buffer) temps.push(is = this.cloneBuffer(is));
    if (ss.buffer === ts.buffer) temps.push(ss = this.cloneBuffer(ss));
    const t = wtype(ts.dtype);
    const cols = O * I;
    const atomic = t === "i32" || this.scatterMode === "atomic" || this.scatterMode === "auto" && cols < 64 && Dj > 64;
    const wg = this.wg;
    const buffers = [ts.buffer, is.buffer, ss.buffer, this.errorBuffer];
    if (atomic) {
      const n = O * Dj * I;
      const { grid, rowStride } = this.grid1d(n, wg);
      const p = this.ixParams(O, Dj, I, Dt, src, index, n, rowStride);
      this.dispatch({ key: `scatter_atomic|${t}|${wg}`, name: `scatter_add_atomic_${t}`, source: () => scatterAtomicSource(t, wg) }, buffers, p, grid);
    } else {
      const cwg = Math.min(64, wg);
      const { grid, rowStride } = this.grid1d(cols, cwg);
      const p = this.ixParams(O, Dj, I, Dt, src, index, cols, rowStride);
      this.dispatch({ key: `scatter_column|${t}|${cwg}`, name: `scatter_add_${t}`, source: () => scatterColumnSource(t, cwg) }, buffers, p, grid);
    }
    for (const tmp of temps) this.release(tmp);
  }
};

// ../../packages/webgpu/src/device.ts
var NO_ADAPTER_MESSAGE = "webgpu: no WebGPU adapter found; on Debian/Ubuntu install: apt-get install --no-install-recommends libegl-dev libegl1 libegl-mesa0 libgl1-mesa-dri and run with EGL_PLATFORM=surfaceless, or install your GPU's Vulkan driver";
function isNode() {
  return typeof process !== "undefined" && typeof process.versions?.node === "string" && typeof globalThis.navigator?.gpu === "undefined";
}
var dawnChoices = /* @__PURE__ */ new Map();
async function probeDawn(options, request) {
  const specifier = "webgpu";
  const dawn = await import(
    /* @vite-ignore */
    specifier
  );
  Object.assign(globalThis, dawn.globals);
  const nativeFlags = options.dawnFlags ?? [];
  const native = dawn.create(nativeFlags);
  if (await native.requestAdapter(request).catch(() => null)) return { gpu: native, featureLevel: "core", flags: nativeFlags };
  if (!process.env.EGL_PLATFORM) process.env.EGL_PLATFORM = "surfaceless";
  const glFlags = ["backend=opengles"];
  const gl = dawn.create(glFlags);
  if (await gl.requestAdapter({ ...request, featureLevel: "compatibility" }).catch(() => null)) return { gpu: gl, featureLevel: "compatibility", flags: glFlags };
  return null;
}
async function nodeAdapter(options) {
  const request = {};
  if (options.powerPreference) request.powerPreference = options.powerPreference;
  if (options.forceFallback) request.forceFallbackAdapter = true;
  const key = JSON.stringify([request, options.dawnFlags ?? []]);
  let choice = dawnChoices.get(key);
  if (!choice) dawnChoices.set(key, choice = probeDawn(options, request));
  const c = await choice;
  if (!c) {
    dawnChoices.delete(key);
    return null;
  }
  const adapter = await c.gpu.requestAdapter(c.featureLevel === "compatibility" ? { ...request, featureLevel: "compatibility" } : request);
  return adapter ? { adapter, featureLevel: c.featureLevel, backendFlags: c.flags } : null;
}
async function initWebGPU(options = {}) {
  if (options.device) {
    const info2 = { kind: "webgpu", description: "caller-provided GPUDevice", details: { limits: limitsOf(options.device.limits) } };
    return new WebGPUBackend(options.device, info2, { ...options, ownsDevice: options.ownsDevice ?? false });
  }
  let adapter = null;
  let featureLevel = "core";
  let backendFlags = [];
  if (isNode()) {
    const found = await nodeAdapter(options);
    if (found) ({ adapter, featureLevel, backendFlags } = found);
  } else {
    const gpu = globalThis.navigator?.gpu;
    if (!gpu) throw new Error("webgpu: this browser does not expose navigator.gpu (WebGPU is unavailable or disabled)");
    const request = {};
    if (options.powerPreference) request.powerPreference = options.powerPreference;
    if (options.forceFallback) request.forceFallbackAdapter = true;
    adapter = await gpu.requestAdapter(request);
    if (!adapter) {
      adapter = await gpu.requestAdapter({ ...request, featureLevel: "compatibility" });
      featureLevel = "compatibility";
    }
  }
  if (!adapter) throw new Error(NO_ADAPTER_MESSAGE);
  const requiredLimits = {};
  const limits = adapter.limits;
  for (const key in limits) {
    const v = limits[key];
    if (typeof v === "number") requiredLimits[key] = v;
  }
  const requiredFeatures = [];
  if ((options.f16 ?? true) && adapter.features.has("shader-f16")) requiredFeatures.push("shader-f16");
  const device = await adapter.requestDevice({ label: "unihetero", requiredLimits, requiredFeatures });
  const a = adapter.info;
  const description = [a.vendor, a.architecture, a.device, a.description].filter((s) => s && s.length > 0).join(" ") || "unknown adapter";
  const info = {
    kind: "webgpu",
    description,
    details: {
      vendor: a.vendor,
      architecture: a.architecture,
      device: a.device,
      adapterDescription: a.description,
      featureLevel,
      dawnFlags: backendFlags,
      features: [...device.features].sort(),
      shaderF16: device.features.has("shader-f16"),
      limits: limitsOf(device.limits)
    }
  };
  return new WebGPUBackend(device, info, options);
}
function limitsOf(l) {
  const out = {};
  const rec = l;
  for (const k in rec) if (typeof rec[k] === "number") out[k] = rec[k];
  return out;
}
async function createBackend(kind, options = {}) {
  const env2 = typeof process !== "undefined" ? process.env?.UNIHETERO_BACKEND : void 0;
  const requested = kind ?? (env2 && env2.length > 0 ? env2 : "auto");
  if (requested !== "auto" && requested !== "webgpu" && requested !== "cpu") {
    throw new Error(`createBackend: unknown backend '${requested}'${kind === void 0 ? " (from UNIHETERO_BACKEND)" : ""}; expected 'auto', 'webgpu' or 'cpu'`);
  }
  if (requested === "cpu") return new CpuBackend();
  if (requested === "webgpu") return initWebGPU(options);
  try {
    return await initWebGPU(options);
  } catch (e) {
    console.warn(`unihetero: WebGPU unavailable, using the CPU backend (${e.message})`);
    return new CpuBackend();
  }
}

// src/backend.ts
var SOFTWARE_ADAPTER = /llvmpipe|swiftshader|lavapipe|softpipe/i;
function isSoftwareAdapter(backend) {
  return backend.info.kind === "webgpu" && SOFTWARE_ADAPTER.test(backend.info.description ?? "");
}
async function selectBackend(kind, stderr) {
  const env2 = process.env.UNIHETERO_BACKEND;
  const requested = kind ?? (env2 && env2.length > 0 ? env2 : "auto");
  const backend = await createBackend(requested);
  if (requested === "auto" && isSoftwareAdapter(backend)) {
    stderr.write(`backend auto: the only WebGPU adapter is a software rasterizer (${backend.info.description}); using the CPU backend (pass --backend webgpu to use it anyway)
`);
    backend.destroy();
    return new CpuBackend();
  }
  return backend;
}

// src/demo.ts
import { join as join2 } from "node:path";

// src/files.ts
import { appendFile, mkdir, open, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
async function writeFileAtomic2(path, data) {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
async function exists(path) {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
async function appendJsonl(path, record2) {
  await appendFile(path, `${JSON.stringify(record2)}
`);
}
async function truncateJsonlToStep(path, lastStep) {
  let text = "";
  try {
    text = await readFile(path, "utf8");
  } catch {
    text = "";
  }
  const kept = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === "") continue;
    let rec;
    try {
      rec = JSON.parse(line);
    } catch {
      if (lines.slice(i + 1).some((l) => l.trim() !== "")) throw new Error(`${path}: line ${i + 1} is not valid JSON; the file is corrupt`);
      break;
    }
    if (typeof rec.step !== "number") throw new Error(`${path}: line ${i + 1} has no numeric 'step'`);
    if (rec.step <= lastStep) kept.push(rec);
  }
  await writeFileAtomic2(path, kept.map((r) => `${JSON.stringify(r)}
`).join(""));
  return kept;
}
async function readCheckpointMeta(path) {
  const fh = await open(path, "r");
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(8);
    await fh.read(head, 0, 8, 0);
    const n = Number(head.readBigUInt64LE(0));
    if (size < 8 || n <= 0 || 8 + n > size) throw new Error(`${path}: not a safetensors file (header length ${n}, file size ${size})`);
    const buf = Buffer.alloc(n);
    await fh.read(buf, 0, n, 8);
    const header = JSON.parse(buf.toString("utf8"));
    const raw = header.__metadata__?.[CHECKPOINT_METADATA_KEY];
    if (!raw) throw new Error(`${path}: not a unihetero checkpoint (no '${CHECKPOINT_METADATA_KEY}' metadata)`);
    const json = JSON.parse(raw);
    return { step: json.step ?? 0, extra: json.extra ?? {} };
  } finally {
    await fh.close();
  }
}

// src/progress.ts
import { SingleBar } from "cli-progress";
function createProgress(stream, options = {}) {
  if (options.quiet) return { start() {
  }, update() {
  }, stop() {
  }, log() {
  } };
  let bar = null;
  const tty = stream.isTTY === true;
  return {
    start(label, total, start, unit, training = true) {
      bar?.stop();
      bar = new SingleBar({
        // cli-progress only uses write/isTTY (and readline cursor calls on a TTY).
        stream,
        format: training ? `${label} [{bar}] {value}/{total} ${unit} | {rate} | ETA {eta_formatted} | loss {loss}` : `${label} [{bar}] {value}/{total} ${unit} | ETA {eta_formatted}`,
        barsize: 24,
        noTTYOutput: true,
        notTTYSchedule: options.notTTYSchedule ?? 5e3,
        gracefulExit: false,
        hideCursor: false,
        etaBuffer: 20,
        fps: 5
      });
      bar.start(total, start, { rate: "-", loss: "-" });
    },
    update(value, fields) {
      bar?.update(value, { rate: fields.rate ?? "-", loss: fields.loss ?? "-" });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
    log(line) {
      if (bar && tty) stream.write(`\r\x1B[K${line}
`);
      else stream.write(`${line}
`);
    }
  };
}
var RateMeter = class {
  constructor(window = 20) {
    this.window = window;
  }
  window;
  times = [];
  counts = [];
  /** Record `count` units done at time `now` (ms). */
  add(count, now) {
    this.times.push(now);
    this.counts.push(count);
    if (this.times.length > this.window + 1) {
      this.times.shift();
      this.counts.shift();
    }
  }
  /** Units per second over the window (NaN before two records). */
  perSecond() {
    if (this.times.length < 2) return NaN;
    const dt = (this.times[this.times.length - 1] - this.times[0]) / 1e3;
    const n = this.counts.slice(1).reduce((a, b) => a + b, 0);
    return dt > 0 ? n / dt : NaN;
  }
};

// src/spec.ts
var SpecError = class extends Error {
  issues;
  constructor(where2, issues) {
    super(`${where2}:
  ${issues.join("\n  ")}`);
    this.name = "SpecError";
    this.issues = issues;
  }
};
var DEFAULTS = { preset: "exp2", samples: 2e4, batchSize: 16, lr: 2e-3, seed: 0, evalCount: 64, evalBatchSize: 16, generationEvery: 4, generationCount: 8, generationSteps: 16 };
var show = (v) => JSON.stringify(v) ?? String(v);
var isInt = (v) => typeof v === "number" && Number.isInteger(v);
var posInt4 = (v) => isInt(v) && v > 0 ? null : `expected a positive integer, got ${show(v)}`;
var nonNegInt = (v) => isInt(v) && v >= 0 ? null : `expected a non-negative integer, got ${show(v)}`;
var posNum = (v) => typeof v === "number" && Number.isFinite(v) && v > 0 ? null : `expected a positive number, got ${show(v)}`;
var nonNegNum = (v) => typeof v === "number" && Number.isFinite(v) && v >= 0 ? null : `expected a non-negative number, got ${show(v)}`;
var str = (v) => typeof v === "string" && v.length > 0 ? null : `expected a non-empty string, got ${show(v)}`;
var obj = (v) => v !== null && typeof v === "object" && !Array.isArray(v) ? null : `expected an object, got ${show(v)}`;
var oneOf = (...xs) => (v) => typeof v === "string" && xs.includes(v) ? null : `expected one of ${xs.map((x) => `'${x}'`).join(", ")}, got ${show(v)}`;
var betas = (v) => Array.isArray(v) && v.length === 2 && v.every((b) => typeof b === "number" && b >= 0 && b < 1) ? null : `expected two numbers in [0, 1), got ${show(v)}`;
var TRAINER_KEYS = {
  samples: posInt4,
  batchSize: posInt4,
  lr: posNum,
  seed: nonNegInt,
  flowWarmupSteps: nonNegInt,
  minLr: nonNegNum,
  warmupSteps: nonNegInt,
  weightDecay: nonNegNum,
  betas,
  gradClip: nonNegNum,
  split: oneOf("train", "encoder", "validation"),
  pool: nonNegInt,
  start: nonNegInt
};
var EVAL_KEYS = {
  every: nonNegInt,
  count: posInt4,
  batchSize: posInt4,
  generationEvery: nonNegInt,
  generationCount: nonNegInt,
  generationSteps: posInt4
};
var TOP_KEYS = {
  preset: str,
  config: obj,
  world: obj,
  seed: nonNegInt,
  trainer: obj,
  eval: obj,
  checkpointEvery: nonNegInt
};
function checkKeys(value, keys, prefix, issues) {
  for (const [k, v] of Object.entries(value)) {
    const check = keys[k];
    if (!check) {
      issues.push(`${prefix}${k}: unknown key (known: ${Object.keys(keys).join(", ")})`);
      continue;
    }
    const problem = check(v);
    if (problem) issues.push(`${prefix}${k}: ${problem}`);
  }
}
function validateFileSpec(value, where2 = "config file") {
  const issues = [];
  const top = obj(value);
  if (top) throw new SpecError(where2, [`(root): ${top}`]);
  const v = value;
  checkKeys(v, TOP_KEYS, "", issues);
  if (v.trainer && !obj(v.trainer)) checkKeys(v.trainer, TRAINER_KEYS, "trainer.", issues);
  if (v.eval && !obj(v.eval)) checkKeys(v.eval, EVAL_KEYS, "eval.", issues);
  if (typeof v.preset === "string" && v.preset) {
    try {
      getPreset(v.preset);
    } catch (e) {
      issues.push(`preset: ${e.message}`);
    }
  }
  if (issues.length) throw new SpecError(where2, issues);
  return v;
}
function resolveRunSpec(file = {}, cli = {}) {
  const preset = cli.preset ?? file.preset ?? DEFAULTS.preset;
  let p;
  try {
    p = getPreset(preset);
  } catch (e) {
    throw new SpecError("run spec", [`preset: ${e.message}`]);
  }
  const seed = cli.seed ?? file.seed ?? DEFAULTS.seed;
  const ft = file.trainer ?? {};
  const trainer = {
    ...ft,
    samples: cli.samples ?? ft.samples ?? DEFAULTS.samples,
    batchSize: cli.batchSize ?? ft.batchSize ?? DEFAULTS.batchSize,
    lr: cli.lr ?? ft.lr ?? DEFAULTS.lr,
    // --seed seeds both the initialisation and the run's random stream.
    seed: cli.seed ?? ft.seed ?? seed,
    flowWarmupSteps: ft.flowWarmupSteps ?? p.flowWarmupSteps
  };
  const totalSteps2 = Math.ceil(trainer.samples / trainer.batchSize);
  const fe = file.eval ?? {};
  const evalSpec = {
    every: cli.evalEvery ?? fe.every ?? Math.max(1, Math.ceil(totalSteps2 / 10)),
    count: cli.evalCount ?? fe.count ?? DEFAULTS.evalCount,
    batchSize: fe.batchSize ?? DEFAULTS.evalBatchSize,
    generationEvery: fe.generationEvery ?? DEFAULTS.generationEvery,
    generationCount: fe.generationCount ?? DEFAULTS.generationCount,
    generationSteps: fe.generationSteps ?? DEFAULTS.generationSteps
  };
  const checkpointEvery = cli.ckptEvery ?? file.checkpointEvery ?? Math.max(1, Math.ceil(totalSteps2 / 20));
  const spec = { preset, config: file.config ?? {}, world: file.world ?? {}, seed, trainer, eval: evalSpec, checkpointEvery };
  validateFileSpec(spec, "resolved run spec");
  return spec;
}
function trainerOptions(spec) {
  return { ...spec.trainer };
}
function totalSteps(spec) {
  return Math.ceil(spec.trainer.samples / spec.trainer.batchSize);
}
function parseFileSpec(text, path) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new SpecError(`config file '${path}'`, [`(root): not valid JSON (${e.message})`]);
  }
  return validateFileSpec(value, `config file '${path}'`);
}

// src/train.ts
import { join } from "node:path";
import { mkdir as mkdir2, writeFile as writeFile2 } from "node:fs/promises";

// src/svg.ts
var esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
function linearTicks(lo, hi, count = 6) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}
function logTicks(lo, hi) {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const span = Math.log10(hi / lo);
  const mults = span < 1 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : span <= 2.5 ? [1, 2, 5] : [1];
  const out = [];
  for (let e = a; e <= b; e++) for (const m of mults) {
    const v = m * 10 ** e;
    if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(Number(v.toPrecision(6)));
  }
  return out;
}
var fmt2 = (v) => Math.abs(v) >= 1e4 || Math.abs(v) < 0.01 && v !== 0 ? v.toExponential(0) : String(Number(v.toPrecision(3)));
function lineChartSvg(series, options = {}) {
  const W = options.width ?? 760;
  const H = options.height ?? 420;
  const m = { left: 64, right: 150, top: 36, bottom: 48 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const usable = series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && y > 0) })).filter((s) => s.points.length > 0);
  const xs = usable.flatMap((s) => s.points.map((p) => p[0]));
  const ys = usable.flatMap((s) => s.points.map((p) => p[1]));
  const parts = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  if (options.title) parts.push(`<text x="${m.left}" y="22" font-size="15" font-weight="bold">${esc(options.title)}</text>`);
  if (!usable.length) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text></svg>`);
    return parts.join("\n");
  }
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 === y0) [y0, y1] = [y0 / 2, y1 * 2];
  const ly0 = Math.log10(y0);
  const ly1 = Math.log10(y1);
  const X = (x) => m.left + (x - x0) / (x1 - x0) * pw;
  const Y = (y) => m.top + (1 - (Math.log10(y) - ly0) / (ly1 - ly0)) * ph;
  const r = (v) => v.toFixed(1);
  for (const t of linearTicks(x0, x1)) {
    parts.push(`<line x1="${r(X(t))}" y1="${m.top}" x2="${r(X(t))}" y2="${m.top + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${r(X(t))}" y="${m.top + ph + 16}" text-anchor="middle">${fmt2(t)}</text>`);
  }
  for (const t of logTicks(y0, y1)) {
    parts.push(`<line x1="${m.left}" y1="${r(Y(t))}" x2="${m.left + pw}" y2="${r(Y(t))}" stroke="#eee"/>`);
    parts.push(`<text x="${m.left - 6}" y="${r(Y(t) + 4)}" text-anchor="end">${fmt2(t)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (options.xLabel) parts.push(`<text x="${m.left + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  if (options.yLabel) parts.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
  usable.forEach((s, i) => {
    const pts = s.points.map(([x, y]) => `${r(X(x))},${r(Y(y))}`).join(" ");
    parts.push(`<polyline fill="none" stroke="${esc(s.color)}" stroke-width="1.5" points="${pts}"><title>${esc(s.name)}</title></polyline>`);
    const ly = m.top + 10 + i * 18;
    parts.push(`<line x1="${m.left + pw + 12}" y1="${ly}" x2="${m.left + pw + 32}" y2="${ly}" stroke="${esc(s.color)}" stroke-width="2"/>`);
    parts.push(`<text x="${m.left + pw + 38}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
function lossCurveSvg(records, title = "training loss") {
  const parts = [
    ["loss", "#111"],
    ["text", "#1f77b4"],
    ["ploss", "#d62728"],
    ["diffuloss", "#2ca02c"]
  ];
  const series = parts.map(([key, color]) => ({
    name: key === "loss" ? "total" : key,
    color,
    points: records.filter((r) => typeof r.step === "number" && typeof r[key] === "number").map((r) => [r.step, r[key]])
  }));
  return lineChartSvg(series, { title, xLabel: "step", yLabel: "loss (log scale)" });
}

// src/train.ts
var RUN_FILES = {
  config: "config.json",
  metrics: "metrics.jsonl",
  eval: "eval.jsonl",
  warmup: "warmup.jsonl",
  checkpoint: "checkpoint.safetensors",
  loss: "loss.svg"
};
var RESUMABLE = /* @__PURE__ */ new Set(["eval.every", "eval.count", "checkpointEvery"]);
function resumedSpec(saved, given, explicit, path) {
  const get = (s, key) => key.split(".").reduce((o, k) => o?.[k], s);
  const conflicts = [];
  for (const key of explicit) {
    if (RESUMABLE.has(key)) continue;
    const a = JSON.stringify(get(saved, key));
    const b = JSON.stringify(get(given, key));
    if (a !== b) conflicts.push(`${key}: the checkpoint was trained with ${a}, this command asks for ${b}`);
  }
  if (conflicts.length) throw new UsageError(`--resume: '${path}' continues its own run spec; drop the options that change it or start a new --out:
  ${conflicts.join("\n  ")}`);
  return {
    ...saved,
    eval: { ...saved.eval, every: explicit.has("eval.every") ? given.eval.every : saved.eval.every, count: explicit.has("eval.count") ? given.eval.count : saved.eval.count },
    checkpointEvery: explicit.has("checkpointEvery") ? given.checkpointEvery : saved.checkpointEvery
  };
}
var fix = (v, d = 4) => Number.isFinite(v) ? Number(v.toPrecision(d)).toString() : String(v);
function metricsRecord(m) {
  const num = (v) => Number.isFinite(v) ? v : null;
  return {
    step: m.step,
    samples: m.samples,
    loss: m.loss,
    text: m.text,
    crossEntropy: m.crossEntropy,
    zLoss: m.zLoss,
    ploss: m.ploss,
    diffuloss: m.diffuloss,
    lr: m.lr,
    gradNorm: num(m.gradNorm),
    ms: Math.round(m.ms * 10) / 10
  };
}
async function runTraining(req, io) {
  const name2 = req.name ?? "unihetero-train";
  const out = req.out;
  const file = (k) => join(out, RUN_FILES[k]);
  const ckptPath = file("checkpoint");
  const progress = createProgress(io.stderr, { quiet: req.quiet });
  await mkdir2(out, { recursive: true });
  let spec = req.spec;
  let resumeStep = 0;
  let tag = req.tag;
  if (req.resume) {
    if (!await exists(ckptPath)) throw new UsageError(`--resume: no checkpoint at '${ckptPath}' (run without --resume to start training in '${out}')`);
    const meta = await readCheckpointMeta(ckptPath);
    const saved = meta.extra.run;
    if (!saved) throw new UsageError(`--resume: '${ckptPath}' does not record its run spec (extra.run); it was not written by ${name2}`);
    spec = resumedSpec(validateFileSpec(saved, `run spec in '${ckptPath}'`), req.spec, req.explicit ?? /* @__PURE__ */ new Set(), ckptPath);
    resumeStep = meta.step;
    if (typeof meta.extra.tag === "string") tag ??= meta.extra.tag;
  } else if (await exists(ckptPath)) {
    const previous = req.tag ? (await readCheckpointMeta(ckptPath).catch(() => null))?.extra.tag : void 0;
    if (!req.tag || previous !== req.tag) throw new UsageError(`'${out}' already holds a ${req.tag && !previous ? "training " : ""}run (${RUN_FILES.checkpoint}); pass --resume to continue it, or choose another --out`);
  }
  const build = { preset: spec.preset, config: spec.config, world: spec.world, seed: spec.seed };
  const built = await createShapesModel(build, req.backend);
  const { model, world } = built;
  const trainer = new Trainer(model, world, trainerOptions(spec));
  const steps = totalSteps(spec);
  let history = [];
  let checkpoint = null;
  if (req.resume) {
    await trainer.resume(ckptPath);
    if (trainer.step !== resumeStep) throw new Error(`resume: checkpoint header says step ${resumeStep}, the trainer restored step ${trainer.step}`);
    checkpoint = { path: ckptPath, step: trainer.step };
    history = await truncateJsonlToStep(file("metrics"), trainer.step);
    await truncateJsonlToStep(file("eval"), trainer.step);
    if (history.length !== trainer.step) throw new Error(`resume: ${file("metrics")} has ${history.length} lines up to step ${trainer.step}; expected one per step`);
  } else {
    for (const k of ["metrics", "eval"]) await writeFile2(file(k), "");
  }
  await writeFileAtomic2(file("config"), `${JSON.stringify({ ...spec, trainer: { ...spec.trainer, ...trainer.options } }, null, 2)}
`);
  const params = model.numParameters(true);
  progress.log(
    `${name2}: ${spec.preset} on the shapes world, ${fix(params / 1e6, 3)}M trainable parameters, ${plural(steps, "step")} x ${plural(spec.trainer.batchSize, "sample")}, backend ${req.backend.info.kind}; ` + (req.resume ? `resuming at step ${trainer.step}; ` : "") + `writing ${out}`
  );
  const save = async () => {
    await trainer.save(ckptPath, { build, run: spec, ...tag ? { tag } : {} });
    checkpoint = { path: ckptPath, step: trainer.step };
  };
  const lastGood = () => checkpoint ? `last good checkpoint: ${checkpoint.path} (step ${checkpoint.step})` : "no checkpoint was written yet";
  const finish3 = async (code2, error) => {
    progress.stop();
    await writeFile2(file("loss"), lossCurveSvg(history, `${spec.preset}: training loss`));
    return { code: code2, built, trainer, spec, checkpoint, error };
  };
  const interrupted = async () => {
    progress.stop();
    if (!checkpoint || checkpoint.step !== trainer.step) await save();
    io.stderr.write(`${name2}: interrupted at step ${trainer.step} of ${steps}; checkpoint saved to ${ckptPath} (continue with --resume --out ${out})
`);
    return finish3(130);
  };
  try {
    if (!trainer.flowWarmedUp && trainer.options.flowWarmupSteps > 0) {
      await warmup(trainer, progress, file("warmup"));
      if (io.signal?.aborted) return await interrupted();
    }
    if (trainer.done) {
      progress.log(`${name2}: the run in '${out}' is already complete (${plural(steps, "step")})`);
      return await finish3(0);
    }
    const meter = new RateMeter();
    meter.add(0, performance.now());
    let seen = trainer.samplesSeen;
    progress.start("train", steps, trainer.step, "steps");
    while (!trainer.done) {
      let m;
      try {
        m = await trainer.trainStep();
      } catch (e) {
        if (!(e instanceof NonFiniteLossError)) throw e;
        progress.stop();
        io.stderr.write(`${name2}: training stopped at step ${e.step + 1}: loss part '${e.part}' is ${e.value}; ${lastGood()}
`);
        return await finish3(1, e);
      }
      const rec = metricsRecord(m);
      history.push(rec);
      await appendJsonl(file("metrics"), rec);
      meter.add(m.samples - seen, performance.now());
      seen = m.samples;
      progress.update(m.step, { rate: `${fix(meter.perSecond(), 3)} samples/s`, loss: fix(m.loss) });
      await io.hooks?.afterStep?.(m, trainer);
      const last = trainer.done;
      if (spec.eval.every > 0 && (m.step % spec.eval.every === 0 || last)) {
        const gen2 = spec.eval.generationCount > 0 && spec.eval.generationEvery > 0 && (last || m.step / spec.eval.every % spec.eval.generationEvery === 0);
        await evaluate(built, spec, m, gen2, file("eval"), progress);
      }
      if (last || spec.checkpointEvery > 0 && m.step % spec.checkpointEvery === 0) await save();
      await yieldToEventLoop();
      if (io.signal?.aborted && !trainer.done) return await interrupted();
    }
    progress.stop();
    return await finish3(0);
  } finally {
    progress.stop();
  }
}
async function warmup(trainer, progress, path) {
  const steps = trainer.options.flowWarmupSteps;
  await writeFile2(path, "");
  const meter = new RateMeter();
  meter.add(0, performance.now());
  let prev = 0;
  progress.start("flow warm-up", steps, 0, "steps");
  await trainer.warmupFlow(async (p) => {
    meter.add((p.step - prev) * trainer.options.batchSize, performance.now());
    prev = p.step;
    progress.update(p.step, { rate: `${fix(meter.perSecond(), 3)} samples/s`, loss: fix(p.loss) });
    await appendJsonl(path, { step: p.step, loss: p.loss, lr: p.lr });
    await yieldToEventLoop();
  });
  progress.stop();
}
async function evaluate(built, spec, m, generation, path, progress) {
  const { model, world } = built;
  const t0 = performance.now();
  const u = await evaluateUnderstanding(model, world, { split: "test", count: spec.eval.count, batchSize: spec.eval.batchSize });
  const rec = { step: m.step, samples: m.samples, kind: "understanding", split: u.split, count: u.count, accuracy: u.accuracy, byKind: u.byKind, ms: Math.round(performance.now() - t0) };
  await appendJsonl(path, rec);
  let line = `eval step ${m.step}: multiple-choice accuracy ${fix(u.accuracy * 100, 3)}% on ${u.count} test questions`;
  if (generation) {
    const t1 = performance.now();
    const g = await evaluateGeneration(model, world, { split: "test", count: spec.eval.generationCount, batchSize: spec.eval.batchSize, generate: { steps: Math.min(spec.eval.generationSteps, model.numVisualTokens) } });
    await appendJsonl(path, { step: m.step, samples: m.samples, kind: "generation", split: g.split, count: g.count, scores: g.scores, ms: Math.round(performance.now() - t1) });
    line += `; generation: judge object accuracy ${fix(g.scores.objectAccuracy * 100, 3)}% on ${g.count} images`;
  }
  progress.log(line);
}

// src/demo.ts
var DEMO_RECIPE = {
  config: { backbone: { hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 4 }, flow: { width: 64, depth: 2 } },
  samples: 4e3,
  batchSize: 16,
  lr: 3e-3,
  questions: 200,
  images: 16,
  generationSteps: 8,
  roundTrips: 8
};
var TINY_RECIPE = {
  config: { backbone: { hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2 }, flow: { width: 32, depth: 1 } },
  samples: 8,
  batchSize: 4,
  lr: 3e-3,
  questions: 4,
  images: 2,
  generationSteps: 2,
  roundTrips: 2
};
var pct = (v) => `${(v * 100).toFixed(1)}%`;
function duration(ms) {
  const s = Math.round(ms / 1e3);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}
async function choiceAccuracy(built, split2, count, progress) {
  const chunk2 = 16;
  let correct = 0;
  progress.start(`questions (${split2})`, count, 0, "questions", false);
  for (let start = 0; start < count; start += chunk2) {
    const n = Math.min(chunk2, count - start);
    const r = await evaluateUnderstanding(built.model, built.world, { split: split2, count: n, start, batchSize: chunk2 });
    correct += Math.round(r.accuracy * n);
    progress.update(start + n, {});
  }
  progress.stop();
  return correct / count;
}
async function runDemo(options, io) {
  const recipe = options.recipe ?? DEMO_RECIPE;
  const out = options.out;
  const spec = resolveRunSpec(
    { preset: "exp2", config: recipe.config, seed: options.seed ?? 0, eval: { every: 0 }, trainer: { samples: options.samples ?? recipe.samples, batchSize: recipe.batchSize, lr: recipe.lr } },
    {}
  );
  const t0 = performance.now();
  const run = await runTraining({ spec, out, resume: options.resume, tag: "demo", backend: options.backend, quiet: options.quiet, name: "unihetero-train demo" }, io);
  if (run.code !== 0) return run.code;
  const trainMs = performance.now() - t0;
  const progress = createProgress(io.stderr, { quiet: options.quiet, notTTYSchedule: 2e3 });
  const say = (line) => void io.stdout.write(`${line}
`);
  const { built } = run;
  const steps = run.trainer.step;
  const stopped = () => {
    if (!io.signal?.aborted) return false;
    progress.stop();
    io.stderr.write(`unihetero-train demo: interrupted during the evaluation; the trained checkpoint is ${run.checkpoint?.path}
`);
    return true;
  };
  const tEval = performance.now();
  const test = await choiceAccuracy(built, "test", recipe.questions, progress);
  if (stopped()) return 130;
  const heldout = await choiceAccuracy(built, "heldout", recipe.questions, progress);
  if (stopped()) return 130;
  progress.log(`generating ${recipe.images} images from test captions (${recipe.generationSteps} MAR steps each)`);
  const images = [];
  const captions = [];
  const gen2 = await evaluateGeneration(built.model, built.world, { split: "test", count: recipe.images, batchSize: 8, generate: { steps: Math.min(recipe.generationSteps, built.model.numVisualTokens) } });
  images.push(...gen2.images);
  captions.push(...gen2.captions);
  const sheet = await writeSheet(join2(out, "samples.png"), images, captions);
  if (stopped()) return 130;
  progress.log(`round trip of ${recipe.roundTrips} test captions (caption -> semantic tokens -> caption)`);
  const rt = await evaluateRoundTrip(built.model, built.world, { split: "test", count: recipe.roundTrips, batchSize: 8, generate: { steps: Math.min(recipe.generationSteps, built.model.numVisualTokens) } });
  const rtLines = rt.examples.map((e) => `caption:    ${e.caption}
round trip: ${e.roundTrip}
`);
  const rtText = `Caption -> generated semantic tokens -> caption (no pixel decoder), ${built.preset.name} after ${steps} steps.
Object recall ${pct(rt.objectRecall)}, exact ${pct(rt.exact)}, unparsable ${pct(rt.unparsable)} over ${rt.count} test captions.

` + rtLines.join("\n");
  await writeFileAtomic2(join2(out, "roundtrip.txt"), rtText);
  const evalMs = performance.now() - tEval;
  const s = gen2.scores;
  const report2 = {
    preset: built.preset.name,
    steps,
    samples: run.trainer.samplesSeen,
    trainSeconds: Math.round(trainMs / 1e3),
    evalSeconds: Math.round(evalMs / 1e3),
    understanding: { test: { questions: recipe.questions, accuracy: test }, heldout: { questions: recipe.questions, accuracy: heldout } },
    generation: { images: gen2.count, scores: s },
    roundTrip: { count: rt.count, objectRecall: rt.objectRecall, exact: rt.exact, unparsable: rt.unparsable, examples: rt.examples }
  };
  await writeFileAtomic2(join2(out, "report.json"), `${JSON.stringify(report2, null, 2)}
`);
  say(`demo: trained ${built.preset.name} on the shapes world for ${plural(steps, "step")} (${plural(run.trainer.samplesSeen, "sample")}) in ${duration(trainMs)}; evaluation took ${duration(evalMs)}`);
  say(`understanding, multiple choice (chance 25%): test ${pct(test)} of ${recipe.questions} questions, held-out compositions ${pct(heldout)} of ${recipe.questions}`);
  say(
    `generation, judged on ${gen2.count} images from test captions: objects ${pct(s.objectAccuracy)} (position ${pct(s.position)}, colour ${pct(s.colour)}, shape ${pct(s.shape)}, size ${pct(s.size)}), exact images ${pct(s.exact)}`
  );
  say(`round trip (caption -> semantic tokens -> caption): object recall ${pct(rt.objectRecall)} over ${rt.count} captions; for example:`);
  for (const e of rt.examples.slice(0, 3)) say(`  ${e.caption}
  -> ${e.roundTrip || "(empty)"}`);
  say(`outputs in ${out}/:`);
  say(`  ${sheet.png.split("/").pop()}${sheet.svg ? ` and ${sheet.svg.split("/").pop()}` : ""}  generated images with their captions`);
  say(`  roundtrip.txt  the round trips;  report.json  every number above`);
  say(`  ${RUN_FILES.metrics}, ${RUN_FILES.loss}, ${RUN_FILES.config}, ${RUN_FILES.checkpoint}  the training run`);
  return 0;
}

// src/options.ts
import { InvalidArgumentError } from "commander";
function intArg(option, min) {
  return (text) => {
    const v = Number(text);
    if (text.trim() === "" || !Number.isInteger(v) || v < min) throw new InvalidArgumentError(`${option}: expected an integer >= ${min}, got '${text}'`);
    return v;
  };
}
function positiveArg(option) {
  return (text) => {
    const v = Number(text);
    if (text.trim() === "" || !Number.isFinite(v) || !(v > 0)) throw new InvalidArgumentError(`${option}: expected a positive number, got '${text}'`);
    return v;
  };
}

// src/program.ts
var NAME = "unihetero-train";
var FLAG_KEYS = {
  preset: ["preset"],
  samples: ["trainer.samples"],
  batchSize: ["trainer.batchSize"],
  lr: ["trainer.lr"],
  seed: ["seed", "trainer.seed"],
  evalEvery: ["eval.every"],
  evalCount: ["eval.count"],
  ckptEvery: ["checkpointEvery"]
};
var backendOption = () => new Option("--backend <kind>", "auto | cpu | webgpu (default: UNIHETERO_BACKEND, else auto)").choices(["auto", "cpu", "webgpu"]);
async function withBackend(kind, io, fn) {
  const backend = await selectBackend(kind, io.stderr);
  try {
    return await fn(backend);
  } finally {
    backend.destroy();
  }
}
async function train(flags, io) {
  if (!flags.out) throw new UsageError("--out <dir> is required (the run folder: metrics, evaluations, checkpoint)");
  let file = {};
  const explicit = /* @__PURE__ */ new Set();
  if (flags.config) {
    let text;
    try {
      text = await readFile2(flags.config, "utf8");
    } catch (e) {
      throw new UsageError(`--config: cannot read '${flags.config}' (${e.code ?? e.message})`);
    }
    file = parseFileSpec(text, flags.config);
    if (flags.resume) throw new UsageError("--resume continues the run spec stored in the checkpoint; drop --config");
  }
  const cli = { preset: flags.preset, samples: flags.samples, batchSize: flags.batchSize, lr: flags.lr, seed: flags.seed, evalEvery: flags.evalEvery, evalCount: flags.evalCount, ckptEvery: flags.ckptEvery };
  for (const [k, keys] of Object.entries(FLAG_KEYS)) if (cli[k] !== void 0) keys.forEach((key) => explicit.add(key));
  const spec = resolveRunSpec(file, cli);
  return withBackend(flags.backend, io, async (backend) => {
    const r = await runTraining({ spec, out: flags.out, resume: flags.resume, explicit, backend, quiet: flags.quiet }, io);
    if (r.code === 0) {
      const last = r.checkpoint ? `${r.checkpoint.path} (step ${r.checkpoint.step})` : "none";
      io.stdout.write(`${NAME}: ${r.spec.preset} trained for ${plural(r.trainer.step, "step")} (${plural(r.trainer.samplesSeen, "sample")}); outputs in ${flags.out}/: metrics.jsonl, eval.jsonl, loss.svg, config.json; checkpoint ${last}
`);
    }
    return r.code;
  });
}
function buildProgram(io, done) {
  const program = new Command(NAME).description("Train a UniHetero model on the shapes world: progress on stderr, metrics/evaluations as JSONL, atomic checkpoints, exact --resume.").configureOutput({ writeOut: (t) => void io.stdout.write(t), writeErr: (t) => void io.stderr.write(t) }).exitOverride().enablePositionalOptions().showHelpAfterError("(run with --help for the options)").addOption(new Option("--preset <name>", `training recipe (${presetNames().join(", ")}; default exp2)`)).option("--samples <n>", "training samples, the data budget (default 20000)", intArg("--samples", 1)).option("--batch-size <n>", "samples per step (default 16)", intArg("--batch-size", 1)).option("--lr <x>", "peak learning rate (default 0.002)", positiveArg("--lr")).option("--seed <n>", "seed of the initialisation and of the run (default 0)", intArg("--seed", 0)).addOption(backendOption()).option("--out <dir>", "run folder (required)").option("--config <file.json>", "a JSON run spec: { preset, config, world, seed, trainer, eval, checkpointEvery }").option("--resume", "continue from <out>/checkpoint.safetensors with identical numbers").option("--eval-every <steps>", "evaluate every N steps and at the end (0 = never; default: a tenth of the run)", intArg("--eval-every", 0)).option("--eval-count <n>", "multiple-choice questions per evaluation (default 64)", intArg("--eval-count", 1)).option("--ckpt-every <steps>", "checkpoint every N steps (0 = at the end and on Ctrl-C only; default: a twentieth of the run)", intArg("--ckpt-every", 0)).option("--quiet", "no progress output").action((flags) => {
    done(train(flags, io));
  });
  program.command("demo").description(`the quick end-to-end demo (~10 min on 2 CPU cores): train exp2 on ${DEMO_RECIPE.samples} samples, report accuracy, write a sheet of generated images and a round trip`).option("--out <dir>", "output folder", "runs/demo").option("--samples <n>", `training samples (default ${DEMO_RECIPE.samples})`, intArg("--samples", 1)).option("--seed <n>", "seed (default 0)", intArg("--seed", 0)).addOption(backendOption()).option("--resume", "continue an interrupted demo from its checkpoint").option("--quiet", "no progress output").addOption(new Option("--tiny", "a seconds-long recipe (tests)").hideHelp()).configureOutput({ writeOut: (t) => void io.stdout.write(t), writeErr: (t) => void io.stderr.write(t) }).exitOverride().action((o) => {
    done(withBackend(o.backend, io, (backend) => runDemo({ out: o.out, backend, samples: o.samples, seed: o.seed, resume: o.resume, quiet: o.quiet, recipe: o.tiny ? TINY_RECIPE : DEMO_RECIPE }, io)));
  });
  program.addHelpText(
    "after",
    `
Examples:
  ${NAME} --preset exp2 --samples 20000 --backend auto --out runs/exp2
  ${NAME} --config run.json --out runs/mine
  ${NAME} --resume --out runs/exp2          (after Ctrl-C or a crash)
  ${NAME} demo --out runs/demo

Ctrl-C finishes the current step, saves the checkpoint and exits with code 130.`
  );
  return program;
}
async function runCli(args, io) {
  let pending2 = null;
  const program = buildProgram(io, (p) => pending2 = p);
  try {
    await program.parseAsync(args, { from: "user" });
    return pending2 ? await pending2 : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    const known = e instanceof UsageError || e instanceof SpecError || e instanceof ConfigError;
    const msg = known ? e.message : e instanceof Error ? e.stack ?? e.message : String(e);
    io.stderr.write(`${NAME}: ${msg}
`);
    return 1;
  }
}

// src/cli.ts
var controller = new AbortController();
process.on("SIGINT", interruptHandler(controller, process.stderr, (code2) => process.exit(code2)));
var code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
process.exitCode = code;
setTimeout(() => process.exit(code), 3e3).unref();
