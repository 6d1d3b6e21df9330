/**
 * The page's shared state: the backend, the shapes world and its judge, the shipped encoder, and
 * the current model (the shipped checkpoint, a loaded file, or weights trained in the Train tab).
 * Model work runs one task at a time (`ctx.run`), so tabs never interleave on one model.
 */
import { Judge, ShapesWorld } from '@unihetero/data';
import { loadEncoderFromBytes, loadShapesModelFromBytes, type ShapesModel } from '@unihetero/model';
import type { SemanticEncoder } from '@unihetero/vision';
import { CHECKPOINT_URL, ENCODER_URL, fetchBytes } from './assets.js';
import type { BackendChoice, ChosenBackend } from './backend.js';

/** The model the tabs use, with where it came from. */
export type LoadedModel = ShapesModel & { step: number; extra: Record<string, unknown>; source: string };

/** Shared state and helpers of the page. */
export class Context {
  readonly world = new ShapesWorld();
  readonly judge = new Judge(this.world);
  model!: LoadedModel;
  encoder!: SemanticEncoder;
  encoderBytes!: Uint8Array;
  private busy = false;
  private readonly listeners: ((busy: boolean) => void)[] = [];
  private readonly modelListeners: ((m: LoadedModel) => void)[] = [];

  constructor(
    readonly choice: BackendChoice,
    readonly chosen: ChosenBackend,
  ) {}

  /** Fetch the shipped encoder and a checkpoint (`url`, default the shipped one); start this before the backend is ready. */
  static fetchModelFiles(url: string | null): Promise<[Uint8Array, Uint8Array]> {
    return Promise.all([fetchBytes(new URL(ENCODER_URL, document.baseURI)), fetchBytes(new URL(url ?? CHECKPOINT_URL, document.baseURI))]);
  }

  /** Load the encoder and the model from the fetched files. */
  async init(files: [Uint8Array, Uint8Array], source: string | null): Promise<void> {
    const [encoderBytes, checkpoint] = files;
    this.encoderBytes = encoderBytes;
    this.encoder = await loadEncoderFromBytes(encoderBytes, this.chosen.backend);
    await this.setModel(checkpoint, source ?? CHECKPOINT_URL);
  }

  /** Replace the model by checkpoint bytes (the previous model's tensors are freed). */
  async setModel(bytes: Uint8Array, source: string): Promise<void> {
    const loaded = await loadShapesModelFromBytes(bytes, this.encoder, this.chosen.backend);
    loaded.model.eval();
    const previous = this.model as LoadedModel | undefined;
    this.model = { ...loaded, source };
    previous?.model.dispose();
    for (const l of this.modelListeners) l(this.model);
  }

  /** Call `fn` whenever the model changes. */
  onModel(fn: (m: LoadedModel) => void): void {
    this.modelListeners.push(fn);
  }

  /** Call `fn(busy)` when a model task starts or ends. */
  onBusy(fn: (busy: boolean) => void): void {
    this.listeners.push(fn);
  }

  /** Run one model task at a time; errors are shown in the header and rethrown. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy) throw new Error('the model is busy with another task');
    this.busy = true;
    for (const l of this.listeners) l(true);
    try {
      return await fn();
    } catch (e) {
      showError(e);
      throw e;
    } finally {
      this.busy = false;
      for (const l of this.listeners) l(false);
    }
  }
}

/** Show an error in the header (and keep it for the tests). */
export function showError(e: unknown): void {
  const el = document.getElementById('error')!;
  const message = e instanceof Error ? e.message : String(e);
  el.hidden = false;
  el.textContent = message;
  state().errors.push(message);
  console.error(e);
}

/** What the end-to-end test and the measurements read from `window.__playground`. */
export interface PageState {
  /** ms since navigation start when the model was ready (null while loading). */
  readyMs: number | null;
  /** ms since navigation start when the backend was ready and when the model files had arrived. */
  timings: { backendMs: number | null; filesMs: number | null };
  errors: string[];
  gpuErrors: string[];
  backend: string;
  /** Last generation: ms and the judge's object accuracy. */
  lastGeneration: { ms: number; caption: string; steps: number; revealedPerStep: number[]; objectAccuracy: number | null } | null;
  /** Training: steps seen, ms per step, losses. */
  training: { backend: string; steps: number; msPerStep: number[]; losses: number[]; done: boolean; checkpointStep: number | null };
}

/** The page state object (created on first use). */
export function state(): PageState {
  const g = globalThis as { __playground?: PageState };
  g.__playground ??= { readyMs: null, timings: { backendMs: null, filesMs: null }, errors: [], gpuErrors: [], backend: '', lastGeneration: null, training: { backend: '', steps: 0, msPerStep: [], losses: [], done: false, checkpointStep: null } };
  return g.__playground;
}

/** Wait for the next frame so the browser paints what changed. */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') requestAnimationFrame(() => resolve());
    else setTimeout(resolve, 0);
  });
}

/** Escape text for innerHTML. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
