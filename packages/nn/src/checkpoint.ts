/**
 * Checkpoints and HF-style weight files: one `.safetensors` file holding the model (`model.*`),
 * optimizer (`optim.*`) and EMA (`ema.*`) tensors, with step counts, hyperparameters, generator
 * states and user extras as JSON in the header metadata. Written atomically, optionally keeping
 * the replaced file as the previous good checkpoint. Every checkpoint carries CRC-32 checksums of
 * each tensor (name, dtype, shape and bytes) and of its metadata, verified on every load before
 * any state changes; float tensors must be finite.
 */
import CRC32 from 'crc-32';
import { Generator, Tensor, noGrad, tensor, type Backend, type DType, type TypedArray } from '@unihetero/tensor';
import { parseSafetensors, readSafetensorsFile, readSafetensorsHeader, serializeSafetensors, writeSafetensorsFile } from '@unihetero/safetensors';
import { Module, StateDictError, type LoadReport } from './module.js';
import type { Optimizer, OptimizerStateDict, ParamState } from './optim.js';
import type { ExponentialMovingAverage } from './ema.js';
import type { LRScheduler } from './schedule.js';

/** Metadata key under which checkpoints keep their JSON. */
export const CHECKPOINT_METADATA_KEY = 'unihetero.checkpoint';
/** Metadata key under which checkpoints keep their checksums (JSON: algorithm, metadata, tensors). */
export const CHECKSUM_METADATA_KEY = 'unihetero.checksums';
/** Version 2 carries checksums; version 1 files (written before them) still load, unverified. */
const FORMAT_VERSION = 2;
const READABLE_VERSIONS = [1, 2];

/** Safetensors dtype codes for our dtypes. */
const ST_DTYPE: Record<DType, 'F32' | 'I32' | 'F64'> = { float32: 'F32', int32: 'I32', float64: 'F64' };

/** The part of a parsed safetensors file this module uses. */
interface SafetensorsFileLike {
  names(): string[];
  info(name: string): { dtype: string; shape: readonly number[] };
  get(name: string): { dtype: string; shape: readonly number[]; data: ArrayLike<number> | ArrayLike<bigint> };
  getFloat32(name: string): Float32Array;
  bytes?(name: string): Uint8Array;
  readonly metadata: Record<string, string> | undefined | null;
}

/** A tensor entry to serialise. */
type Entry = { dtype: 'F32' | 'I32' | 'F64'; shape: number[]; data: TypedArray };

/** Random generators to save with a checkpoint: one, or several by name. */
export type RngState = Generator | Record<string, Generator>;

/** What `saveCheckpoint` stores. */
export interface SaveCheckpointOptions {
  /** The model (parameters and persistent buffers). */
  model: Module;
  /** Optimizer state (moments, step counts, group hyperparameters). */
  optimizer?: Optimizer<any>;
  /** Training step to record. */
  step?: number;
  /** Generator state(s) to record. */
  rng?: RngState;
  /** An EMA of the model. */
  ema?: ExponentialMovingAverage;
  /** A learning-rate scheduler (its step counter). */
  scheduler?: LRScheduler;
  /** Anything JSON-serialisable (config, data-loader position, metrics). */
  extra?: unknown;
  /** Extra string metadata for the safetensors header. */
  metadata?: Record<string, string>;
  /**
   * Keep the checkpoint being replaced at `previousCheckpointPath(path)` (rotated atomically just
   * before the new file takes its place), so one damaged file costs one interval, not the run.
   */
  keepPrevious?: boolean;
  /** Write non-finite float values (default false: such a checkpoint is refused, naming the tensor). */
  allowNonFinite?: boolean;
}

/** What `loadCheckpoint` restores into. */
export interface LoadCheckpointOptions {
  /** The model to load into (strictly by default). */
  model: Module;
  /** Optimizer to restore (the checkpoint must contain one). */
  optimizer?: Optimizer<any>;
  /** Generator(s) to restore, in the same form as saved. */
  rng?: RngState;
  /** EMA to restore. */
  ema?: ExponentialMovingAverage;
  /** Scheduler to restore. */
  scheduler?: LRScheduler;
  /** Strict model / EMA loading (default true). */
  strict?: boolean;
  /** Accept non-finite float values (default false: they are reported as damage, naming the tensor). */
  allowNonFinite?: boolean;
}

/** What `loadCheckpoint` returns. */
export interface LoadCheckpointResult {
  /** The saved step (0 if none was saved). */
  step: number;
  /** The saved `extra` value (undefined if none). */
  extra: unknown;
  /** The model load report (all empty under strict loading). */
  report: LoadReport;
  /** The raw safetensors header metadata. */
  metadata: Record<string, string>;
  /** Whether the file carried checksums and they matched (false only for version-1 files). */
  verified: boolean;
}

/**
 * A checkpoint that fails its integrity checks: a checksum mismatch, missing checksums, a
 * non-finite value. `path` names the file (or 'the checkpoint bytes'), `tensor` the damaged tensor
 * when one is to blame.
 */
export class CheckpointIntegrityError extends Error {
  /** The file, as given. */
  readonly path: string;
  /** The tensor at fault, when one is. */
  readonly tensor: string | undefined;
  constructor(message: string, path: string, tensor?: string) {
    super(message);
    this.name = 'CheckpointIntegrityError';
    this.path = path;
    this.tensor = tensor;
  }
}

/** Where `saveCheckpoint(path, { keepPrevious: true })` keeps the previous checkpoint: `x.safetensors` -> `x.prev.safetensors`. */
export function previousCheckpointPath(path: string): string {
  return path.endsWith('.safetensors') ? `${path.slice(0, -'.safetensors'.length)}.prev.safetensors` : `${path}.prev`;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextEncoder();

/** The stored (little-endian) bytes of a typed array. */
function storedBytes(data: TypedArray): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return view;
  const w = data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(view.length);
  for (let i = 0; i < view.length; i += w) for (let j = 0; j < w; j++) out[i + j] = view[i + w - 1 - j]!;
  return out;
}

const hex = (crc: number) => (crc >>> 0).toString(16).padStart(8, '0');

/** CRC-32 of a tensor: its name, dtype and shape, then its stored bytes. */
function tensorCrc(name: string, dtype: string, shape: readonly number[], bytes: Uint8Array): string {
  return hex(CRC32.buf(bytes, CRC32.buf(utf8.encode(`${name}\u0000${dtype}\u0000${shape.join(',')}\u0000`))));
}

/** CRC-32 of every metadata entry but the checksums themselves, in key order. */
function metadataCrc(metadata: Readonly<Record<string, string>>): string {
  let crc = 0;
  for (const k of Object.keys(metadata).sort()) if (k !== CHECKSUM_METADATA_KEY) crc = CRC32.buf(utf8.encode(`${k}\u0000${metadata[k]}\u0000`), crc);
  return hex(crc);
}

interface ChecksumJson {
  algorithm: 'crc32';
  metadata: string;
  tensors: Record<string, string>;
}

/** The first non-finite element of float data, or -1. */
function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Verify the metadata checksum of a parsed file (cheap: no tensor data). */
function verifyMetadata(file: SafetensorsFileLike, where: string, path: string): ChecksumJson | null {
  const metadata = file.metadata ?? {};
  const raw = metadata[CHECKSUM_METADATA_KEY];
  if (raw === undefined) return null;
  let sums: ChecksumJson;
  try {
    sums = JSON.parse(raw) as ChecksumJson;
  } catch {
    throw new CheckpointIntegrityError(`${where} is damaged: its '${CHECKSUM_METADATA_KEY}' metadata is not valid JSON`, path);
  }
  if (sums === null || typeof sums !== 'object' || sums.algorithm !== 'crc32' || typeof sums.metadata !== 'string' || sums.tensors === null || typeof sums.tensors !== 'object') {
    throw new CheckpointIntegrityError(`${where} is damaged: its '${CHECKSUM_METADATA_KEY}' metadata is not { algorithm: 'crc32', metadata, tensors }`, path);
  }
  const got = metadataCrc(metadata);
  if (got !== sums.metadata) throw new CheckpointIntegrityError(`${where} is damaged: its metadata (step, optimizer, generator and run settings) fails its checksum (stored crc32 ${sums.metadata}, the header gives ${got})`, path);
  return sums;
}

/** Verify every tensor of a parsed file against its checksum (and, unless allowed, that floats are finite). */
function verifyTensors(file: SafetensorsFileLike & { bytes(name: string): Uint8Array }, sums: ChecksumJson, where: string, path: string, allowNonFinite: boolean): void {
  const names = file.names();
  const have = new Set(names);
  for (const name of Object.keys(sums.tensors)) {
    if (!have.has(name)) throw new CheckpointIntegrityError(`${where} is damaged: its checksums list tensor '${name}', which the file does not hold`, path, name);
  }
  for (const name of names) {
    const stored = sums.tensors[name];
    if (stored === undefined) throw new CheckpointIntegrityError(`${where} is damaged: tensor '${name}' has no checksum (a renamed or added tensor)`, path, name);
    const info = file.info(name);
    const got = tensorCrc(name, info.dtype, info.shape, file.bytes(name));
    if (got !== stored) throw new CheckpointIntegrityError(`${where} is damaged: tensor '${name}' fails its checksum (stored crc32 ${stored}, the data gives ${got})`, path, name);
    if (!allowNonFinite && (info.dtype === 'F32' || info.dtype === 'F64' || info.dtype === 'F16' || info.dtype === 'BF16')) {
      const values = info.dtype === 'F64' ? (file.get(name).data as Float64Array) : file.getFloat32(name);
      const at = firstNonFinite(values);
      if (at >= 0) throw new CheckpointIntegrityError(`${where} holds a non-finite value: tensor '${name}' is ${values[at]} at element ${at}`, path, name);
    }
  }
}

/** Check a parsed checkpoint: metadata and tensor checksums (required from version 2 on) and finite floats. */
function verifyFile(file: SafetensorsFileLike, json: CheckpointJson, where: string, path: string, allowNonFinite: boolean): boolean {
  const sums = verifyMetadata(file, where, path);
  if (!sums) {
    if (json.version >= 2) throw new CheckpointIntegrityError(`${where} is damaged: it has no '${CHECKSUM_METADATA_KEY}' metadata, which every version-${json.version} checkpoint carries`, path);
    return false;
  }
  verifyTensors(file as SafetensorsFileLike & { bytes(name: string): Uint8Array }, sums, where, path, allowNonFinite);
  return true;
}

interface CheckpointJson {
  version: number;
  step: number;
  rng?: { single: number[] } | { named: Record<string, number[]> };
  optimizer?: { paramGroups: OptimizerStateDict['paramGroups']; steps: Record<string, number>; tensors: Record<string, string[]> };
  ema?: { numUpdates: number; decay: number };
  scheduler?: { currentStep: number };
  extra?: unknown;
}

async function entryOf(t: Tensor): Promise<Entry> {
  const data = await t.data();
  return { dtype: ST_DTYPE[t.dtype], shape: [...t.shape], data };
}

/** Model / EMA state dicts as safetensors entries under a prefix. */
async function moduleEntries(m: Module, prefix: string, out: Record<string, Entry>): Promise<void> {
  for (const [k, t] of m.stateDict()) out[prefix + k] = await entryOf(t);
}

function rngJson(rng: RngState): CheckpointJson['rng'] {
  if (rng instanceof Generator) return { single: rng.getState() };
  const named: Record<string, number[]> = {};
  for (const [k, g] of Object.entries(rng)) {
    if (!(g instanceof Generator)) throw new Error(`saveCheckpoint: rng.${k} is not a Generator`);
    named[k] = g.getState();
  }
  return { named };
}

/** Build the tensors and metadata of a checkpoint (what `saveCheckpoint` writes). */
export async function checkpointToSafetensors(options: SaveCheckpointOptions): Promise<{ tensors: Record<string, Entry>; metadata: Record<string, string> }> {
  const { model, optimizer, ema, scheduler } = options;
  if (!(model instanceof Module)) throw new Error('saveCheckpoint: options.model must be a Module');
  const step = options.step ?? 0;
  if (!Number.isInteger(step) || step < 0) throw new Error(`saveCheckpoint: step must be a non-negative integer, got ${step}`);
  const tensors: Record<string, Entry> = {};
  await moduleEntries(model, 'model.', tensors);
  const json: CheckpointJson = { version: FORMAT_VERSION, step };
  if (optimizer) {
    const sd = optimizer.stateDict();
    const steps: Record<string, number> = {};
    const names: Record<string, string[]> = {};
    for (const [i, st] of sd.state) {
      steps[i] = st.step;
      names[i] = Object.keys(st.tensors);
      for (const [n, t] of Object.entries(st.tensors)) tensors[`optim.state.${i}.${n}`] = await entryOf(t);
    }
    json.optimizer = { paramGroups: sd.paramGroups, steps, tensors: names };
  }
  if (ema) {
    await moduleEntries(ema, 'ema.', tensors);
    json.ema = { numUpdates: ema.numUpdates, decay: ema.decay };
  }
  if (scheduler) json.scheduler = scheduler.stateDict();
  if (options.rng) json.rng = rngJson(options.rng);
  if (options.extra !== undefined) json.extra = options.extra;
  let text: string;
  try {
    text = JSON.stringify(json);
  } catch (err) {
    throw new Error(`saveCheckpoint: extra is not JSON-serialisable: ${(err as Error).message}`);
  }
  const metadata: Record<string, string> = { ...(options.metadata ?? {}), format: 'pt', [CHECKPOINT_METADATA_KEY]: text };
  delete metadata[CHECKSUM_METADATA_KEY];
  const sums: ChecksumJson = { algorithm: 'crc32', metadata: metadataCrc(metadata), tensors: {} };
  for (const [name, e] of Object.entries(tensors)) {
    if (!options.allowNonFinite && e.dtype !== 'I32') {
      const at = firstNonFinite(e.data);
      if (at >= 0) throw new Error(`saveCheckpoint: tensor '${name}' is ${e.data[at]} at element ${at}; refusing to write a checkpoint that cannot be resumed (the previous checkpoint is kept)`);
    }
    sums.tensors[name] = tensorCrc(name, e.dtype, e.shape, storedBytes(e.data));
  }
  metadata[CHECKSUM_METADATA_KEY] = JSON.stringify(sums);
  return { tensors, metadata };
}

/**
 * Save a training run to ONE `.safetensors` file at `path`, atomically: model parameters and
 * persistent buffers (`model.*`), optimizer moments (`optim.state.<i>.<name>`), EMA averages
 * (`ema.*`), and as JSON metadata the step, per-parameter optimizer step counts and group
 * hyperparameters, generator states, scheduler step and `extra`.
 */
export async function saveCheckpoint(path: string, options: SaveCheckpointOptions): Promise<void> {
  const { tensors, metadata } = await checkpointToSafetensors(options);
  await writeSafetensorsFile(path, tensors, metadata, options.keepPrevious ? { previous: previousCheckpointPath(path) } : {});
}

/** Parse the checkpoint JSON from a safetensors header (`op` names the caller in errors). */
function checkpointJson(file: SafetensorsFileLike, where: string, op = 'loadCheckpoint'): CheckpointJson {
  const raw = file.metadata?.[CHECKPOINT_METADATA_KEY];
  if (raw === undefined) throw new Error(`${op}: ${where} has no '${CHECKPOINT_METADATA_KEY}' metadata; it is not a unihetero checkpoint (use loadSafetensors for plain weight files)`);
  let json: CheckpointJson;
  try {
    json = JSON.parse(raw) as CheckpointJson;
  } catch (err) {
    throw new Error(`${op}: ${where} has invalid checkpoint metadata JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || !READABLE_VERSIONS.includes(json.version)) {
    throw new Error(`${op}: ${where} has checkpoint format version ${JSON.stringify((json as CheckpointJson | null)?.version)}, this build reads ${READABLE_VERSIONS.join(' and ')}`);
  }
  if (!Number.isSafeInteger(json.step) || json.step < 0) throw new Error(`${op}: ${where} records step ${JSON.stringify(json.step)}, not a non-negative integer`);
  return json;
}

/** What `readCheckpointInfo` and `verifyCheckpoint` return. */
export interface CheckpointInfo {
  /** The saved step. */
  step: number;
  /** The saved `extra` value (undefined if none). */
  extra: unknown;
  /** Format version (1: no checksums; 2: checksums). */
  version: number;
  /** Whether checksums were present and matched (the metadata's only, for `readCheckpointInfo`). */
  verified: boolean;
  /** The raw safetensors header metadata. */
  metadata: Record<string, string>;
}

/**
 * A checkpoint's step and `extra` from its header alone (no tensor data is read), with the header
 * validated and the metadata checksum verified: cheap enough to call before deciding what to load.
 * Throws naming the file (`SafetensorsError` for a malformed file, `CheckpointIntegrityError` for
 * a checksum mismatch).
 */
export async function readCheckpointInfo(path: string): Promise<CheckpointInfo> {
  const header = await readSafetensorsHeader(path);
  const where = `'${path}'`;
  const file = { metadata: header.metadata } as SafetensorsFileLike;
  const json = checkpointJson(file, where, 'readCheckpointInfo');
  const sums = verifyMetadata(file, `readCheckpointInfo: ${where}`, path);
  if (!sums && json.version >= 2) throw new CheckpointIntegrityError(`readCheckpointInfo: ${where} is damaged: it has no '${CHECKSUM_METADATA_KEY}' metadata, which every version-${json.version} checkpoint carries`, path);
  return { step: json.step, extra: json.extra, version: json.version, verified: sums !== null, metadata: { ...(header.metadata ?? {}) } };
}

/**
 * Read a whole checkpoint and verify it (metadata and every tensor's checksum, finite floats)
 * without loading it into anything; throws naming the file and the damaged tensor.
 */
export async function verifyCheckpoint(source: string | Uint8Array, options: { allowNonFinite?: boolean } = {}): Promise<CheckpointInfo> {
  const file = await openFile(source);
  const path = typeof source === 'string' ? source : 'the checkpoint bytes';
  const where = typeof source === 'string' ? `'${source}'` : 'the checkpoint bytes';
  const json = checkpointJson(file, where, 'verifyCheckpoint');
  const verified = verifyFile(file, json, `verifyCheckpoint: ${where}`, path, options.allowNonFinite ?? false);
  return { step: json.step, extra: json.extra, version: json.version, verified, metadata: { ...(file.metadata ?? {}) } };
}

/** A tensor from a file entry with `dtype` on `backend`. */
function tensorFromFile(file: SafetensorsFileLike, name: string, dtype: DType, backend: Backend): Tensor {
  const info = file.info(name);
  const shape = [...info.shape];
  let data: TypedArray;
  if (dtype === 'int32') {
    const raw = file.get(name).data;
    if (raw instanceof Int32Array) data = raw;
    else {
      data = new Int32Array(raw.length);
      for (let i = 0; i < raw.length; i++) data[i] = Number(raw[i]);
    }
  } else if (dtype === 'float64' && info.dtype === 'F64') {
    data = file.get(name).data as Float64Array;
  } else {
    data = file.getFloat32(name);
  }
  return noGrad(() => tensor(data, { shape, dtype, backend }));
}

function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** Options of `loadSafetensors`. */
export interface LoadSafetensorsOptions {
  /** Throw (loading nothing) on any missing, unexpected or mismatched key (default true). */
  strict?: boolean;
  /** Map a file key to a module key; return null to skip the tensor (not reported as unexpected). */
  remap?: (key: string) => string | null;
  /** Only load keys under this prefix of the file, stripped before `remap` (default: all). */
  prefix?: string;
}

/** Accept a path, bytes or an already parsed file. */
async function openFile(source: string | Uint8Array | SafetensorsFileLike): Promise<SafetensorsFileLike> {
  if (typeof source === 'string') return (await readSafetensorsFile(source)) as unknown as SafetensorsFileLike;
  if (source instanceof Uint8Array) return parseSafetensors(source) as unknown as SafetensorsFileLike;
  return source;
}

/** Match file keys (after prefix and remap) against a module's state dict, loading nothing. */
function planLoad(module: Module, file: SafetensorsFileLike, op: string, options: LoadSafetensorsOptions): { report: LoadReport; mapped: Map<string, string> } {
  const prefix = options.prefix ?? '';
  const own = module.stateDict();
  const mapped = new Map<string, string>(); // module key -> file key
  const report: LoadReport = { missing: [], unexpected: [], mismatched: [] };
  for (const fileKey of file.names()) {
    if (!fileKey.startsWith(prefix)) continue;
    const stripped = fileKey.slice(prefix.length);
    const key = options.remap ? options.remap(stripped) : stripped;
    if (key === null) continue;
    if (typeof key !== 'string') throw new Error(`${op}: remap('${stripped}') returned ${String(key)}, expected a string or null`);
    const prev = mapped.get(key);
    if (prev !== undefined) throw new Error(`${op}: file keys '${prev}' and '${fileKey}' both map to '${key}'`);
    mapped.set(key, fileKey);
    const t = own.get(key);
    if (!t) report.unexpected.push(key);
    else {
      const shape = file.info(fileKey).shape;
      if (!shapesEqual(shape, t.shape)) report.mismatched.push({ key, expected: [...t.shape], got: [...shape] });
    }
  }
  for (const k of own.keys()) if (!mapped.has(k)) report.missing.push(k);
  return { report, mapped };
}

function hasProblems(r: LoadReport): boolean {
  return r.missing.length + r.unexpected.length + r.mismatched.length > 0;
}

/** Load file tensors into a module in place by (remapped) key; the shared core of the loaders. */
function loadIntoModule(module: Module, file: SafetensorsFileLike, op: string, options: LoadSafetensorsOptions): LoadReport {
  const { report, mapped } = planLoad(module, file, op, options);
  if ((options.strict ?? true) && hasProblems(report)) throw new StateDictError(op, report);
  const skip = new Set(report.mismatched.map((m) => m.key));
  for (const [key, t] of module.stateDict()) {
    const fileKey = mapped.get(key);
    if (fileKey === undefined || skip.has(key)) continue;
    const v = tensorFromFile(file, fileKey, t.dtype, t.backend);
    try {
      noGrad(() => t.assign(v));
    } finally {
      v.dispose();
    }
  }
  return report;
}

/**
 * Restore a run saved by `saveCheckpoint` EXACTLY: model parameters and buffers, optimizer
 * moments, step counts and hyperparameters, EMA averages, generator states and scheduler step.
 * Tensors are created on each target tensor's backend. Returns `{ step, extra, report, metadata }`.
 */
export async function loadCheckpoint(path: string | Uint8Array, options: LoadCheckpointOptions): Promise<LoadCheckpointResult> {
  const { model, optimizer, ema, scheduler } = options;
  const where = typeof path === 'string' ? `'${path}'` : 'the checkpoint bytes';
  const file = await openFile(path);
  const json = checkpointJson(file, where);
  // Validate everything that can fail before changing any state, integrity first.
  const verified = verifyFile(file, json, `loadCheckpoint: ${where}`, typeof path === 'string' ? path : where, options.allowNonFinite ?? false);
  if (optimizer && !json.optimizer) throw new Error(`loadCheckpoint: ${where} has no optimizer state, but an optimizer was given`);
  if (ema && !json.ema) throw new Error(`loadCheckpoint: ${where} has no EMA state, but an EMA was given`);
  if (options.rng) checkRng(options.rng, json, where);
  const strict = options.strict ?? true;
  if (strict) {
    const mr = planLoad(model, file, `loadCheckpoint: model in ${where}`, { prefix: 'model.' }).report;
    if (hasProblems(mr)) throw new StateDictError(`loadCheckpoint: model in ${where}`, mr);
    if (ema) {
      const er = planLoad(ema, file, `loadCheckpoint: EMA in ${where}`, { prefix: 'ema.' }).report;
      if (hasProblems(er)) throw new StateDictError(`loadCheckpoint: EMA in ${where}`, er);
    }
  }
  if (optimizer) {
    const { sd, created } = optimizerStateFrom(file, json.optimizer!, optimizer, where);
    try {
      optimizer.loadStateDict(sd);
    } finally {
      for (const t of created) t.dispose();
    }
  }
  const report = loadIntoModule(model, file, `loadCheckpoint: model in ${where}`, { strict, prefix: 'model.' });
  if (ema) {
    loadIntoModule(ema, file, `loadCheckpoint: EMA in ${where}`, { strict, prefix: 'ema.' });
    ema.numUpdates = json.ema!.numUpdates;
    ema.decay = json.ema!.decay;
  }
  if (scheduler && json.scheduler) scheduler.loadStateDict(json.scheduler);
  if (options.rng) restoreRng(options.rng, json);
  return { step: json.step ?? 0, extra: json.extra, report, metadata: { ...(file.metadata ?? {}) }, verified };
}

function checkRng(rng: RngState, json: CheckpointJson, where: string): void {
  if (!json.rng) throw new Error(`loadCheckpoint: ${where} has no generator state, but rng was given`);
  if (rng instanceof Generator) {
    if (!('single' in json.rng)) throw new Error(`loadCheckpoint: ${where} saved named generators [${Object.keys(json.rng.named).join(', ')}], but one Generator was given`);
    return;
  }
  if (!('named' in json.rng)) throw new Error(`loadCheckpoint: ${where} saved one Generator, but named generators were given`);
  const named = json.rng.named;
  const missing = Object.keys(rng).filter((k) => !(k in named));
  if (missing.length) throw new Error(`loadCheckpoint: ${where} has no state for generators [${missing.join(', ')}]`);
}

function restoreRng(rng: RngState, json: CheckpointJson): void {
  if (rng instanceof Generator) rng.setState((json.rng as { single: number[] }).single);
  else for (const [k, g] of Object.entries(rng)) g.setState((json.rng as { named: Record<string, number[]> }).named[k]!);
}

/** Rebuild an optimizer state dict from the file, with tensors on the parameters' backends. */
function optimizerStateFrom(file: SafetensorsFileLike, o: NonNullable<CheckpointJson['optimizer']>, optimizer: Optimizer<any>, where: string): { sd: OptimizerStateDict; created: Tensor[] } {
  const params = optimizer.params();
  const state = new Map<number, ParamState>();
  const created: Tensor[] = [];
  const available = new Set(file.names());
  try {
    for (const [idx, names] of Object.entries(o.tensors)) {
      const i = Number(idx);
      const p = params[i];
      if (!p) throw new Error(`loadCheckpoint: ${where} has optimizer state for parameter ${i}, but the optimizer has ${params.length} parameters`);
      const tensors: Record<string, Tensor> = {};
      for (const n of names) {
        const key = `optim.state.${i}.${n}`;
        if (!available.has(key)) throw new Error(`loadCheckpoint: ${where} lacks tensor '${key}'`);
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

/**
 * A module's state dict as safetensors bytes (parameters and persistent buffers under their
 * dotted names, HF-compatible), with optional string metadata.
 */
export async function stateDictToSafetensors(module: Module, metadata?: Record<string, string>): Promise<Uint8Array> {
  const tensors: Record<string, Entry> = {};
  await moduleEntries(module, '', tensors);
  return serializeSafetensors(tensors, { format: 'pt', ...(metadata ?? {}) });
}

/** Write a module's state dict to a `.safetensors` file (atomically). */
export async function saveSafetensors(path: string, module: Module, metadata?: Record<string, string>): Promise<void> {
  const tensors: Record<string, Entry> = {};
  await moduleEntries(module, '', tensors);
  await writeSafetensorsFile(path, tensors, { format: 'pt', ...(metadata ?? {}) });
}

/**
 * Load weights from a `.safetensors` path, bytes, or parsed file into `module` in place, for
 * example HF checkpoints: `remap` renames file keys (return null to skip one), `prefix` selects
 * a sub-tree. F16/BF16/F64 data are converted to the module's dtypes. Strict by default (throws
 * a `StateDictError` naming every missing, unexpected and mismatched key and loads nothing);
 * otherwise returns the report.
 */
export async function loadSafetensors(module: Module, source: string | Uint8Array | SafetensorsFileLike, options: LoadSafetensorsOptions = {}): Promise<LoadReport> {
  const file = await openFile(source);
  const where = typeof source === 'string' ? ` '${source}'` : '';
  // A file that carries our checksums (a checkpoint) is verified before anything is loaded.
  if (file.metadata?.[CHECKSUM_METADATA_KEY] !== undefined && file.bytes) {
    const path = typeof source === 'string' ? source : 'the safetensors bytes';
    const sums = verifyMetadata(file, `loadSafetensors:${where || ' the bytes'}`, path)!;
    verifyTensors(file as SafetensorsFileLike & { bytes(name: string): Uint8Array }, sums, `loadSafetensors:${where || ' the bytes'}`, path, true);
  }
  return loadIntoModule(module, file, `loadSafetensors${where}`, options);
}
