/**
 * `Module`: the PyTorch-style container of parameters, buffers and submodules, plus the
 * `ModuleList`, `ModuleDict` and `Sequential` containers and state-dict loading with a report.
 */
import { Tensor, fmtShape, noGrad, tidy, type Backend } from '@unihetero/tensor';

/** One shape mismatch found while loading a state dict. */
export interface ShapeMismatch {
  /** The state-dict key. */
  key: string;
  /** Shape of the module's tensor. */
  expected: number[];
  /** Shape of the tensor in the state dict. */
  got: number[];
}

/** What `loadStateDict` found: keys the module has but the dict lacks, extra keys, and shape mismatches. */
export interface LoadReport {
  /** Keys of the module missing from the state dict. */
  missing: string[];
  /** Keys of the state dict the module does not have. */
  unexpected: string[];
  /** Keys present in both with different shapes (not loaded). */
  mismatched: ShapeMismatch[];
}

/** Thrown by a strict `loadStateDict`: names every missing, unexpected and mismatched key. */
export class StateDictError extends Error {
  /** The full report. */
  readonly report: LoadReport;
  constructor(op: string, report: LoadReport) {
    super(`${op}: ${describeReport(report)}`);
    this.name = 'StateDictError';
    this.report = report;
  }
}

/** A one-line description of a load report (`missing keys [...]; unexpected keys [...]; ...`). */
export function describeReport(r: LoadReport): string {
  const parts: string[] = [];
  if (r.missing.length) parts.push(`missing keys [${r.missing.join(', ')}]`);
  if (r.unexpected.length) parts.push(`unexpected keys [${r.unexpected.join(', ')}]`);
  if (r.mismatched.length) {
    parts.push(`shape mismatches [${r.mismatched.map((m) => `${m.key}: module ${fmtShape(m.expected)} vs state dict ${fmtShape(m.got)}`).join(', ')}]`);
  }
  return parts.length ? parts.join('; ') : 'no problems';
}

/** A state dict: `Map` (ordered) or plain record from dotted key to tensor. */
export type StateDict = Map<string, Tensor> | Record<string, Tensor>;

/** Options of `loadStateDict`. */
export interface LoadStateDictOptions {
  /** Throw a `StateDictError` (loading nothing) when any key is missing, unexpected or mismatched (default true). */
  strict?: boolean;
}

/** Options of `registerBuffer`. */
export interface BufferOptions {
  /** Whether the buffer is part of `stateDict()` (default true). */
  persistent?: boolean;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Own fields never auto-discovered or shadowed. */
const RESERVED = new Set(['training', 'constructor']);

function checkName(op: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new Error(`${op}: name must be a non-empty string, got ${JSON.stringify(name)}`);
  if (name.includes('.')) throw new Error(`${op}: name must not contain '.', got '${name}'`);
}

/**
 * Make `t` a trainable parameter (PyTorch's `nn.Parameter(t)`): checks that it is a floating leaf
 * tensor and switches `requiresGrad` on. Assigning the result to a field of a `Module`
 * (`this.scale = parameter(ones([dim]))`) is all it takes to register it. Returns `t`.
 */
export function parameter(t: Tensor): Tensor {
  return markParameter(t).requiresGrad_(true);
}

/** Tensors made parameters with `parameter()`: found as parameters even when frozen before the first traversal. */
const PARAMETERS = new WeakSet<Tensor>();

function markParameter(t: Tensor): Tensor {
  if (!(t instanceof Tensor)) throw new Error(`parameter: expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.dtype === 'int32') throw new Error(`parameter: a parameter must be a floating tensor, got int32 ${fmtShape(t.shape)}`);
  if (!t.isLeaf) throw new Error(`parameter: a parameter must be a leaf tensor (detach() it first), got the result of an op ${fmtShape(t.shape)}`);
  PARAMETERS.add(t);
  return t;
}

/**
 * Base class of every layer and model, written as in PyTorch: assign submodules and parameters
 * (`parameter(t)` or any grad-requiring leaf tensor) to plain fields in the constructor, and
 * implement `forward(...)` as plain maths that runs submodules with `this.sub.call(x)`. Fields are
 * discovered on the first traversal (in field order) and from then on read and write the registry.
 * Run a module with `module.call(...)`: its forward runs inside a `tidy` scope, so every
 * intermediate is freed when it returns and a forward needs no `dispose()` lines.
 * `registerParameter` / `registerBuffer` / `registerModule` remain for buffers, for names that are
 * not identifiers (`'0'`) and for code written against the earlier API.
 */
export class Module {
  /** True in training mode (dropout active); set with `train()` / `eval()`. */
  training = true;
  /** @internal parameters by name (null = registered but absent, as PyTorch's `bias=None`). */
  readonly _parameters = new Map<string, Tensor | null>();
  /** @internal buffers by name. */
  readonly _buffers = new Map<string, Tensor | null>();
  /** @internal names of buffers excluded from the state dict. */
  readonly _nonPersistent = new Set<string>();
  /** @internal submodules by name. */
  readonly _modules = new Map<string, Module | null>();

  /**
   * The computation; subclasses override it with their own signature. Write it as plain maths
   * (no `dispose()`, no `tidy`) and run submodules with `sub.call(...)`; callers run a module
   * with `call(...)`, which frees the intermediates. A direct `forward(...)` call leaves them to
   * the enclosing `tidy` (or to the caller).
   */
  forward(..._args: any[]): any {
    throw new Error(`${this.constructor.name}.forward: not implemented (subclasses must override forward)`);
  }

  /**
   * Run `forward(...args)` inside a `tidy` scope (PyTorch's `module(x)`): every tensor created
   * during the forward is freed except what it returns (a tensor, or arrays / plain objects / Maps
   * of tensors). Use it for submodules inside a forward and for running a model.
   */
  call<M extends Module>(this: M, ...args: Parameters<M['forward']>): ReturnType<M['forward']> {
    return tidy(() => this.forward(...args)) as ReturnType<M['forward']>;
  }

  // ------------------------------------------------------------------ registration

  /** Register a trainable parameter (sets `requiresGrad`); `null` registers an absent one. Returns it. */
  registerParameter<T extends Tensor | null>(name: string, t: T): T {
    checkName('registerParameter', name);
    if (this._buffers.has(name) || this._modules.has(name)) throw new Error(`registerParameter: '${name}' is already registered as a ${this._buffers.has(name) ? 'buffer' : 'module'} of ${this.constructor.name}`);
    if (t !== null) {
      if (!(t instanceof Tensor)) throw new Error(`registerParameter: '${name}' must be a Tensor or null, got ${typeof t}`);
      if (t.dtype === 'int32') throw new Error(`registerParameter: '${name}' must be a floating tensor, got int32`);
      if (!t.isLeaf) throw new Error(`registerParameter: '${name}' must be a leaf tensor (detach() it first)`);
      if (!t.requiresGrad) t.requiresGrad_(true);
    }
    this._parameters.set(name, t);
    this.defineAccessor(name);
    return t;
  }

  /** Register a non-trained tensor (running stats, EMA copies, masks). Returns it. */
  registerBuffer<T extends Tensor | null>(name: string, t: T, options: BufferOptions = {}): T {
    checkName('registerBuffer', name);
    if (this._parameters.has(name) || this._modules.has(name)) throw new Error(`registerBuffer: '${name}' is already registered as a ${this._parameters.has(name) ? 'parameter' : 'module'} of ${this.constructor.name}`);
    if (t !== null && !(t instanceof Tensor)) throw new Error(`registerBuffer: '${name}' must be a Tensor or null, got ${typeof t}`);
    this._buffers.set(name, t);
    if (options.persistent === false) this._nonPersistent.add(name);
    else this._nonPersistent.delete(name);
    this.defineAccessor(name);
    return t;
  }

  /** Register a submodule (its parameters appear under `name.`). Returns it. */
  registerModule<M extends Module | null>(name: string, m: M): M {
    checkName('registerModule', name);
    if (this._parameters.has(name) || this._buffers.has(name)) throw new Error(`registerModule: '${name}' is already registered as a ${this._parameters.has(name) ? 'parameter' : 'buffer'} of ${this.constructor.name}`);
    if (m !== null && !(m instanceof Module)) throw new Error(`registerModule: '${name}' must be a Module or null, got ${typeof m}`);
    this._modules.set(name, m);
    this.defineAccessor(name);
    return m;
  }

  /** Make `this.name` read and write the registry entry, unless it would shadow a method or other member. */
  private defineAccessor(name: string): void {
    if (!IDENT.test(name) || RESERVED.has(name) || name.startsWith('_')) return;
    const own = Object.getOwnPropertyDescriptor(this, name);
    if (own) {
      const ok = own.get !== undefined || own.value === undefined || own.value === null || own.value instanceof Tensor || own.value instanceof Module;
      if (!ok || own.configurable === false) return;
    } else if (name in this) {
      return; // a method or accessor of the class: leave it alone
    }
    Object.defineProperty(this, name, {
      configurable: true,
      enumerable: false,
      get: () => this._parameters.get(name) ?? this._buffers.get(name) ?? this._modules.get(name) ?? null,
      set: (v: unknown) => this.setMember(name, v),
    });
  }

  /** Replace a registered member by name (through `this.name = v`). */
  private setMember(name: string, v: unknown): void {
    if (this._parameters.has(name)) {
      if (v !== null && !(v instanceof Tensor)) throw new Error(`${this.constructor.name}.${name}: a parameter can only be set to a Tensor or null`);
      this.registerParameter(name, v as Tensor | null);
    } else if (this._buffers.has(name)) {
      if (v !== null && !(v instanceof Tensor)) throw new Error(`${this.constructor.name}.${name}: a buffer can only be set to a Tensor or null`);
      this._buffers.set(name, v as Tensor | null);
    } else {
      if (v !== null && !(v instanceof Module)) throw new Error(`${this.constructor.name}.${name}: a submodule can only be set to a Module or null`);
      this._modules.set(name, v as Module | null);
    }
  }

  /** Register public fields holding a Module or a grad-requiring Tensor that were assigned without registration. */
  private discover(): void {
    for (const key of Object.keys(this)) {
      if (key.startsWith('_') || RESERVED.has(key)) continue;
      if (this._parameters.has(key) || this._buffers.has(key) || this._modules.has(key)) continue;
      const v = (this as Record<string, unknown>)[key];
      if (v instanceof Module) {
        this._modules.set(key, v);
        this.defineAccessor(key);
      } else if (v instanceof Tensor && (v.requiresGrad || PARAMETERS.has(v)) && v.isLeaf && !v.isDisposed) {
        this._parameters.set(key, v);
        this.defineAccessor(key);
      }
    }
  }

  // ------------------------------------------------------------------ traversal

  /** Direct submodules with their names. */
  namedChildren(): [string, Module][] {
    this.discover();
    const out: [string, Module][] = [];
    for (const [n, m] of this._modules) if (m) out.push([n, m]);
    return out;
  }

  /** Direct submodules. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant (each once), with dotted paths; this module's path is `prefix`. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, path: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([path, m]);
      for (const [n, c] of m.namedChildren()) visit(c, path ? `${path}.${n}` : n);
    };
    visit(this, prefix);
    return out;
  }

  /** The submodule at a dotted path (`'layers.0.self_attn.q_proj'`; `''` is this module), like PyTorch's `get_submodule`. */
  getSubmodule(path: string): Module {
    let m: Module = this;
    if (path === '') return m;
    for (const part of path.split('.')) {
      const next = m.namedChildren().find(([n]) => n === part)?.[1];
      if (!next) throw new Error(`getSubmodule: ${m.constructor.name} has no submodule '${part}' (path '${path}'; it has: ${m.namedChildren().map(([n]) => n).join(', ') || 'none'})`);
      m = next;
    }
    return m;
  }

  /** Replace the submodule at a dotted path (PyTorch's `set_submodule`); returns the new module. */
  setSubmodule<M extends Module>(path: string, module: M): M {
    const dot = path.lastIndexOf('.');
    const parent = this.getSubmodule(dot < 0 ? '' : path.slice(0, dot));
    const name = path.slice(dot + 1);
    if (!(module instanceof Module)) throw new Error(`setSubmodule: '${path}' must be set to a Module, got ${module === null ? 'null' : typeof module}`);
    if (!parent.namedChildren().some(([n]) => n === name)) throw new Error(`setSubmodule: ${parent.constructor.name} has no submodule '${name}' (path '${path}')`);
    parent._modules.set(name, module);
    const own = Object.getOwnPropertyDescriptor(parent, name);
    if (own && 'value' in own) (parent as unknown as Record<string, unknown>)[name] = module;
    return module;
  }

  /** This module and every descendant. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Every parameter with its dotted path (`layers.0.attn.q_proj.weight`); shared tensors once. */
  namedParameters(prefix = ''): [string, Tensor][] {
    return this.namedMembers('_parameters', prefix, true);
  }

  /** Every parameter (shared tensors once). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Every buffer with its dotted path (persistent or not). */
  namedBuffers(prefix = ''): [string, Tensor][] {
    return this.namedMembers('_buffers', prefix, true);
  }

  /** Every buffer. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  private namedMembers(kind: '_parameters' | '_buffers', prefix: string, dedupe: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
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
  numParameters(trainableOnly = false): number {
    let n = 0;
    for (const p of this.parameters()) if (!trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }

  /** Call `fn` on every submodule (children first) and then on this module; returns this. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // ------------------------------------------------------------------ modes and gradients

  /** Set training mode (default on) on this module and every descendant; returns this. */
  train(on = true): this {
    for (const m of this.modules()) m.training = on;
    return this;
  }

  /** Evaluation mode (`train(false)`); returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Switch gradient tracking of every parameter (freezing with `false`); returns this. */
  requiresGrad_(on = true): this {
    for (const p of this.parameters()) p.requiresGrad_(on);
    return this;
  }

  /** Drop every parameter's gradient (sets `.grad` to null, disposing it). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  // ------------------------------------------------------------------ state

  /**
   * Parameters and persistent buffers by dotted key, in registration order. The values are the
   * module's own tensors (not copies): read them, do not dispose them. Tied tensors appear under
   * every key that holds them (as in PyTorch).
   */
  stateDict(prefix = ''): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [path, m] of this.namedModules(prefix)) {
      m.discover();
      const p = path ? `${path}.` : '';
      for (const [n, t] of m._parameters) if (t) out.set(p + n, t);
      for (const [n, t] of m._buffers) if (t && !m._nonPersistent.has(n)) out.set(p + n, t);
    }
    return out;
  }

  /** Compare a state dict against this module's keys and shapes without loading anything. */
  checkStateDict(sd: StateDict): LoadReport {
    const own = this.stateDict();
    const given = toMap(sd);
    const report: LoadReport = { missing: [], unexpected: [], mismatched: [] };
    for (const [k, t] of own) {
      const v = given.get(k);
      if (!v) report.missing.push(k);
      else if (!sameShape(t.shape, v.shape)) report.mismatched.push({ key: k, expected: [...t.shape], got: [...v.shape] });
    }
    for (const k of given.keys()) if (!own.has(k)) report.unexpected.push(k);
    return report;
  }

  /**
   * Copy values from a state dict into this module's tensors in place (casting dtype; the values
   * must be on the same backend). Strict (default): any missing, unexpected or mismatched key
   * throws one `StateDictError` naming them all, and nothing is loaded. Non-strict: loads the
   * matching keys and returns the report.
   */
  loadStateDict(sd: StateDict, options: LoadStateDictOptions = {}): LoadReport {
    const strict = options.strict ?? true;
    const report = this.checkStateDict(sd);
    const bad = report.missing.length + report.unexpected.length + report.mismatched.length;
    if (strict && bad > 0) throw new StateDictError(`${this.constructor.name}.loadStateDict`, report);
    const own = this.stateDict();
    const given = toMap(sd);
    const skip = new Set(report.mismatched.map((m) => m.key));
    noGrad(() => {
      for (const [k, t] of own) {
        const v = given.get(k);
        if (!v || skip.has(k)) continue;
        if (v.backend !== t.backend) throw new Error(`loadStateDict: '${k}' is on backend ${v.backend.name} but the module's tensor is on ${t.backend.name}`);
        if (v !== t) t.assign(v);
      }
    });
    return report;
  }

  // ------------------------------------------------------------------ devices and lifetime

  /** The backend of the first parameter or buffer, or undefined for an empty module. */
  get backend(): Backend | undefined {
    const t = this.parameters()[0] ?? this.buffers()[0];
    return t?.backend;
  }

  /**
   * Move every parameter and buffer to `backend` (copies, then disposes the old tensors;
   * `requiresGrad` is kept, gradients are dropped). Shared tensors stay shared. Create
   * optimizers and EMAs after moving (they hold the tensors). Returns this.
   */
  async toBackend(backend: Backend): Promise<this> {
    const moved = new Map<Tensor, Tensor>();
    const all: { m: Module; kind: '_parameters' | '_buffers'; name: string; t: Tensor }[] = [];
    for (const m of this.modules()) {
      m.discover();
      for (const kind of ['_parameters', '_buffers'] as const) for (const [name, t] of m[kind]) if (t) all.push({ m, kind, name, t });
    }
    for (const { t } of all) {
      if (moved.has(t) || t.backend === backend) continue;
      const n = await t.toBackend(backend);
      if (t.requiresGrad) n.requiresGrad_(true);
      if (t.name) n.name = t.name;
      moved.set(t, n);
    }
    for (const { m, kind, name, t } of all) {
      const n = moved.get(t);
      if (!n) continue;
      m[kind].set(name, n);
      m.replaceFields(t, n);
    }
    for (const t of moved.keys()) t.dispose();
    return this;
  }

  /** Point own data fields holding `old` at `next` (for fields that are not registry accessors). */
  private replaceFields(old: Tensor, next: Tensor): void {
    for (const key of Object.keys(this)) {
      const d = Object.getOwnPropertyDescriptor(this, key);
      if (d && 'value' in d && d.value === old && d.writable) (this as Record<string, unknown>)[key] = next;
    }
  }

  /** Dispose every parameter, buffer and gradient of this module and its descendants. */
  dispose(): void {
    for (const m of this.modules()) {
      for (const t of m._parameters.values()) t?.dispose();
      for (const t of m._buffers.values()) t?.dispose();
    }
  }

  /** `using model = new Net()` support. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** A short multi-line description of the module tree. */
  toString(): string {
    const lines: string[] = [];
    const visit = (m: Module, name: string, depth: number): void => {
      const pad = '  '.repeat(depth);
      const own = [...m._parameters].filter(([, t]) => t).map(([n, t]) => `${n}${fmtShape(t!.shape)}`);
      lines.push(`${pad}${name ? `(${name}): ` : ''}${m.extraRepr() || m.constructor.name}${own.length ? ` {${own.join(', ')}}` : ''}`);
      for (const [n, c] of m.namedChildren()) visit(c, n, depth + 1);
    };
    visit(this, '', 0);
    return lines.join('\n');
  }

  /** One-line description used by `toString` (override to show hyperparameters). */
  extraRepr(): string {
    return this.constructor.name;
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** @internal a state dict as a Map. */
export function toMap(sd: StateDict): Map<string, Tensor> {
  return sd instanceof Map ? sd : new Map(Object.entries(sd));
}

/** An indexable list of submodules (`layers.0`, `layers.1`, ...), like `torch.nn.ModuleList`. */
export class ModuleList<M extends Module = Module> extends Module {
  /** Build from modules. */
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Number of modules. */
  get length(): number {
    return this._modules.size;
  }

  /** Add a module at the end; returns this. */
  append(m: M): this {
    this.registerModule(String(this._modules.size), m);
    return this;
  }

  /** The module at index `i` (negative counts from the end). */
  at(i: number): M {
    const n = this._modules.size;
    const j = i < 0 ? n + i : i;
    if (!Number.isInteger(j) || j < 0 || j >= n) throw new Error(`${this.constructor.name}.at: index ${i} out of range for length ${n}`);
    return this._modules.get(String(j)) as M;
  }

  /** Replace the module at index `i` (negative counts from the end), like `layers[i] = m`; returns this. */
  set(i: number, m: M): this {
    const n = this._modules.size;
    const j = i < 0 ? n + i : i;
    if (!Number.isInteger(j) || j < 0 || j >= n) throw new Error(`${this.constructor.name}.set: index ${i} out of range for length ${n}`);
    if (!(m instanceof Module)) throw new Error(`${this.constructor.name}.set: expected a Module, got ${m === null ? 'null' : typeof m}`);
    this._modules.set(String(j), m);
    return this;
  }

  /** Iterate the modules in order. */
  *[Symbol.iterator](): IterableIterator<M> {
    for (const m of this._modules.values()) yield m as M;
  }

  /** ModuleList has no forward; iterate it in the parent's forward. */
  override forward(..._args: any[]): any {
    throw new Error('ModuleList.forward: a ModuleList is a container; iterate over it in the parent forward');
  }
}

/** Submodules by string key (`blocks.encoder.weight`), like `torch.nn.ModuleDict`. */
export class ModuleDict<M extends Module = Module> extends Module {
  /** Build from a record of modules. */
  constructor(modules: Record<string, M> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }

  /** Add or replace a module under `key`; returns this. */
  set(key: string, m: M): this {
    if (this._modules.has(key)) this._modules.set(key, m);
    else this.registerModule(key, m);
    return this;
  }

  /** The module under `key` (throws when absent). */
  get(key: string): M {
    const m = this._modules.get(key);
    if (!m) throw new Error(`ModuleDict.get: no module '${key}' (have: ${[...this._modules.keys()].join(', ')})`);
    return m as M;
  }

  /** Whether `key` is present. */
  has(key: string): boolean {
    return this._modules.has(key);
  }

  /** The keys in insertion order. */
  keys(): string[] {
    return [...this._modules.keys()];
  }

  /** ModuleDict has no forward. */
  override forward(): never {
    throw new Error('ModuleDict.forward: a ModuleDict is a container; index it in the parent forward');
  }
}

/**
 * Modules applied one after another (`0.weight`, `1.weight`, ...), like `torch.nn.Sequential`: a
 * `ModuleList` (`length`, `append`, `at`, `set`, iteration) whose forward feeds each module's
 * output to the next.
 */
export class Sequential extends ModuleList<Module> {
  /** Build from modules (each takes and returns one tensor). */
  constructor(...modules: Module[]) {
    super(modules);
  }

  /** Feed `x` through every module in order (each run with `call`); the result is a new tensor. */
  override forward(x: Tensor): Tensor {
    let h = x;
    for (const m of this) h = m.call(h) as Tensor;
    return h === x ? x.mul(1) : h;
  }
}
