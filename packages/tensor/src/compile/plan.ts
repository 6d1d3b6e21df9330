/**
 * From a steady-state trace to a replay plan: storages classified (arguments rebound per call,
 * parameters and state kept, outputs allocated fresh per call, intermediates assigned to a small
 * set of reusable buffers by liveness), chains of elementwise kernels fused into single kernels,
 * and the kernel calls prepared so that a replay is a flat loop of backend calls.
 */
import type { Backend, Storage, View } from '../backend.js';
import { input as inputExpr, program as makeProgram, scalar as scalarExpr, substitute, type Program } from '../expr/ir.js';
import { HostScalar, wasReleased, type ScalarLike } from '../runtime/dispatch.js';
import type { KernelEvent, Slot, SlotRef, Trace } from './trace.js';

/** A reason the trace cannot be replayed (turned into the eager fallback's message). */
export class PlanError extends Error {}

/** Where a slot's storage comes from at replay. */
type Role =
  | { kind: 'static'; storage: Storage } // ext, persistent (allocated by the trace, kept by JS state), prev
  | { kind: 'arg'; index: number }
  | { kind: 'output' }
  | { kind: 'temp' }
  | { kind: 'const' }; // uploaded inside the call, never written: written once at plan time

/** A kernel call of the plan (mutable during fusion). */
interface Op {
  backend: Backend;
  method: string;
  args: unknown[];
  scalars: readonly ScalarLike[] | null;
  reads: number[];
  writes: number[];
}

/** Counters of a plan (for `compiled.stats()`). */
export interface PlanStats {
  /** Backend calls in the traced call. */
  tracedKernels: number;
  /** Backend calls in the plan after fusion. */
  kernels: number;
  /** Elementwise kernels merged into others. */
  fused: number;
  /** Buffers holding intermediates (reused across them). */
  tempBuffers: number;
  /** Intermediates they hold. */
  temps: number;
  /** Bytes of those buffers. */
  tempBytes: number;
}

/** A returned tensor: its slot and view. */
export interface ReturnedTensor {
  slot: number;
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}

/** What a replay produces: the storage of each output slot. */
export interface ReplayResult {
  outputs: Map<number, Storage>;
}

function isRef(x: unknown): x is SlotRef {
  return typeof x === 'object' && x !== null && '$slot' in x;
}

function sameViewRef(a: View | (Omit<View, 'storage'> & { storage: SlotRef }), b: Omit<View, 'storage'> & { storage: SlotRef }): boolean {
  return (
    (a.storage as SlotRef).$slot === b.storage.$slot &&
    a.offset === b.offset &&
    a.shape.length === b.shape.length &&
    a.shape.every((d, i) => d === b.shape[i] && a.strides[i] === b.strides[i])
  );
}

type ViewRef = Omit<View, 'storage'> & { storage: SlotRef };

function numel(s: readonly number[]): number {
  let n = 1;
  for (const d of s) n *= d;
  return n;
}

function isContiguousFull(v: ViewRef, size: number): boolean {
  if (v.offset !== 0 || numel(v.shape) !== size) return false;
  let acc = 1;
  for (let d = v.shape.length - 1; d >= 0; d--) {
    if (v.shape[d] !== 1 && v.strides[d] !== acc) return false;
    acc *= v.shape[d]!;
  }
  return true;
}

/** The replay plan of one steady-state trace. */
export class ReplayPlan {
  readonly stats: PlanStats;
  private readonly roles: Role[];
  private readonly steps: ((phys: Storage[]) => void)[] = [];
  private readonly staticStorages: Storage[] = [];
  private readonly outputSlots: number[] = [];
  private readonly owned: Storage[] = [];
  private readonly slots: readonly Slot[];

  /**
   * Build the plan of trace `t` (already known to repeat): `returned` are the slots of the
   * tensors the call returned, `fuse` enables elementwise fusion.
   */
  constructor(t: Trace, returned: readonly ReturnedTensor[], fuse: boolean) {
    this.slots = t.slots;
    const nSlots = t.slots.length;
    const returnedSlots = new Set(returned.map((r) => r.slot));
    const byAlloc = new Map<number, Slot>();
    for (const s of t.slots) if (s.allocIndex >= 0) byAlloc.set(s.allocIndex, s);
    // Slots written by kernels (an upload that is written must be re-uploaded per replay).
    const written = new Set<number>();
    for (const e of t.events) if (e.kind === 'kernel') for (const w of e.writes) written.add(w);
    // ---- roles
    const roles: Role[] = new Array(nSlots);
    for (const s of t.slots) {
      switch (s.origin) {
        case 'arg':
          if (s.releasedAt >= 0) throw new PlanError('it disposes one of its arguments');
          roles[s.id] = { kind: 'arg', index: s.ref };
          break;
        case 'ext':
          if (s.releasedAt >= 0) throw new PlanError('it disposes a tensor created outside it (other than its own previous results)');
          roles[s.id] = { kind: 'static', storage: s.storage };
          break;
        case 'prev': {
          const own = byAlloc.get(s.ref);
          if (!own || own.releasedAt >= 0 || returnedSlots.has(own.id)) {
            throw new PlanError('a tensor created by one call is used by the next one but not kept in the same role (return it and pass it back as an argument instead)');
          }
          roles[s.id] = { kind: 'static', storage: own.storage };
          break;
        }
        default: {
          const escapes = s.releasedAt < 0;
          if (returnedSlots.has(s.id)) {
            if (s.origin === 'upload') throw new PlanError('it returns a tensor made from host data inside the function (return a computed tensor)');
            roles[s.id] = { kind: 'output' };
          } else if (escapes) roles[s.id] = { kind: 'static', storage: s.storage };
          else if (s.origin === 'upload' && !written.has(s.id)) roles[s.id] = { kind: 'const' };
          else roles[s.id] = { kind: 'temp' };
        }
      }
    }
    this.roles = roles;
    // ---- prev/new aliasing: a storage carried over from the previous call and its successor are
    // one buffer at replay; every use of the old one must come before the new one is written.
    const prevOf = new Map<number, number>(); // new slot id -> prev slot id sharing its storage
    for (const s of t.slots) if (s.origin === 'prev') prevOf.set(byAlloc.get(s.ref)!.id, s.id);
    const kernels = t.events.map((e, i) => [e, i] as const).filter(([e]) => e.kind === 'kernel') as [KernelEvent, number][];
    for (const [newId, prevId] of prevOf) {
      let firstWrite = Infinity;
      for (const [e, i] of kernels) if (e.writes.includes(newId)) firstWrite = Math.min(firstWrite, i);
      for (const [e, i] of kernels) {
        if (!e.reads.includes(prevId) && !e.writes.includes(prevId)) continue;
        if (i < firstWrite) continue;
        const inPlace = i === firstWrite && e.method === 'elementwise' && inPlaceOk(e, prevId, newId);
        if (!inPlace) throw new PlanError(`a buffer carried from the previous call is read after the call overwrites it (${e.method}); the replay would see the new values`);
      }
    }
    // ---- ops (kernels), effects and writes in order
    type Step = { op: Op } | { effect: () => void } | { write: number; data: Parameters<Backend['write']>[1] } | { upload: number };
    let seq: Step[] = [];
    for (const e of t.events) {
      if (e.kind === 'kernel') seq.push({ op: { backend: e.backend, method: e.method, args: e.args, scalars: e.scalars, reads: [...e.reads], writes: [...e.writes] } });
      else if (e.kind === 'effect') seq.push({ effect: e.fn });
      else if (e.kind === 'write') seq.push({ write: e.slot, data: e.data });
      else if (e.kind === 'alloc') {
        const s = t.slots[e.slot]!;
        if (s.origin === 'upload' && roles[s.id]!.kind !== 'const') seq.push({ upload: s.id });
      }
    }
    const tracedKernels = seq.filter((x) => 'op' in x).length;
    let fusedCount = 0;
    if (fuse) {
      const ops = seq.map((x) => ('op' in x ? x.op : null));
      const r = fuseElementwise(ops, roles, t.slots);
      fusedCount = r.fused;
      seq = seq.map((x, i) => ('op' in x ? { op: ops[i]! } : x)).filter((x, i) => !('op' in x) || r.keep[i]);
    }
    // ---- memory plan for temps
    const first = new Map<number, number>();
    const last = new Map<number, number>();
    seq.forEach((x, i) => {
      if (!('op' in x)) {
        if ('write' in x || 'upload' in x) {
          const id = 'write' in x ? x.write : x.upload;
          if (!first.has(id)) first.set(id, i);
          last.set(id, i);
        }
        return;
      }
      for (const id of [...x.op.reads, ...x.op.writes]) {
        if (!first.has(id)) first.set(id, i);
        last.set(id, i);
      }
    });
    const phys: Storage[] = new Array(nSlots);
    const free: Storage[] = [];
    let tempBuffers = 0;
    let tempBytes = 0;
    let temps = 0;
    const byStart = new Map<number, number[]>();
    const byEnd = new Map<number, number[]>();
    for (const [id, i] of first) {
      if (roles[id]!.kind !== 'temp') continue;
      temps++;
      (byStart.get(i) ?? byStart.set(i, []).get(i)!).push(id);
      (byEnd.get(last.get(id)!) ?? byEnd.set(last.get(id)!, []).get(last.get(id)!)!).push(id);
    }
    const take = (s: Slot): Storage => {
      const st = s.storage;
      const j = free.findIndex((f) => f.backend === st.backend && f.dtype === st.dtype && f.size === st.size);
      if (j >= 0) return free.splice(j, 1)[0]!;
      const fresh = st.backend.allocate(st.size, st.dtype);
      this.owned.push(fresh);
      tempBuffers++;
      tempBytes += st.size * (st.dtype === 'float64' ? 8 : 4);
      return fresh;
    };
    seq.forEach((x, i) => {
      const starting = byStart.get(i) ?? [];
      const ending = byEnd.get(i) ?? [];
      const op = 'op' in x ? x.op : null;
      for (const id of starting) {
        // In place: an elementwise output takes the buffer of an input that dies here with the identical view.
        let donor = -1;
        if (op && op.method === 'elementwise') {
          const outs = op.args[2] as ViewRef[];
          const ins = op.args[1] as ViewRef[];
          const ov = outs.find((v) => v.storage.$slot === id);
          if (ov) {
            for (const iv of ins) {
              const src = iv.storage.$slot;
              if (src !== id && roles[src]!.kind === 'temp' && ending.includes(src) && phys[src] && sameViewRef(iv, ov) && this.slots[src]!.storage.dtype === this.slots[id]!.storage.dtype && this.slots[src]!.storage.size === this.slots[id]!.storage.size && !outs.some((o) => o.storage.$slot === src)) {
                donor = src;
                break;
              }
            }
          }
        }
        if (donor >= 0) {
          phys[id] = phys[donor]!;
          ending.splice(ending.indexOf(donor), 1);
        } else phys[id] = take(this.slots[id]!);
      }
      for (const id of ending) if (phys[id] && !starting.includes(id)) free.push(phys[id]!);
      for (const id of ending) if (starting.includes(id)) free.push(phys[id]!);
    });
    // Constants: their own buffers, filled once.
    for (const s of t.slots) {
      if (roles[s.id]!.kind !== 'const') continue;
      const c = s.storage.backend.upload(s.data!, s.storage.dtype);
      this.owned.push(c);
      phys[s.id] = c;
    }
    for (const s of t.slots) {
      const r = roles[s.id]!;
      if (r.kind === 'static') {
        phys[s.id] = r.storage;
        this.staticStorages.push(r.storage);
      } else if (r.kind === 'output') this.outputSlots.push(s.id);
    }
    this.basePhys = phys;
    // ---- steps
    for (const x of seq) {
      if ('effect' in x) this.steps.push(() => x.effect());
      else if ('write' in x) this.steps.push((p) => p[x.write]!.backend.write(p[x.write]!, x.data));
      else if ('upload' in x) {
        const s = t.slots[x.upload]!;
        this.steps.push((p) => p[x.upload]!.backend.write(p[x.upload]!, s.data!));
      } else this.steps.push(makeStep(x.op));
    }
    this.stats = { tracedKernels, kernels: seq.filter((x) => 'op' in x).length, fused: fusedCount, tempBuffers, temps, tempBytes };
  }

  private basePhys: Storage[];

  /** Why this plan cannot run now (a kept storage was freed), or null. */
  invalid(): string | null {
    for (const s of this.staticStorages) if (wasReleased(s)) return 'tensors the function created or used were disposed outside it between calls (e.g. zeroGrad() outside the compiled step: call it inside)';
    return null;
  }

  /** Run the plan with the argument storages `args`; returns the fresh output storages by slot. */
  run(args: readonly Storage[]): Map<number, Storage> {
    const phys = this.basePhys.slice();
    for (let id = 0; id < phys.length; id++) {
      const r = this.roles[id]!;
      if (r.kind === 'arg') phys[id] = args[r.index]!;
    }
    const outs = new Map<number, Storage>();
    for (const id of this.outputSlots) {
      const s = this.slots[id]!.storage;
      const o = s.backend.allocate(s.size, s.dtype);
      phys[id] = o;
      outs.set(id, o);
    }
    for (const step of this.steps) step(phys);
    return outs;
  }

  /** Free the plan's own buffers (temporaries and constants). */
  dispose(): void {
    for (const s of this.owned) s.backend.release(s);
    this.owned.length = 0;
  }
}

/** Whether elementwise event `e` writes `newId` with the same view it reads `prevId` (an in-place update). */
function inPlaceOk(e: KernelEvent, prevId: number, newId: number): boolean {
  const ins = e.args[1] as ViewRef[];
  const outs = e.args[2] as ViewRef[];
  const reads = ins.filter((v) => v.storage.$slot === prevId);
  const w = outs.find((v) => v.storage.$slot === newId);
  if (!w) return false;
  return reads.every((v) => v.offset === w.offset && v.shape.every((d, i) => d === w.shape[i] && v.strides[i] === w.strides[i]));
}

/** Substitute slot refs by the storages of `phys`. */
function resolve(a: unknown, phys: readonly Storage[]): unknown {
  if (a === null || typeof a !== 'object') return a;
  if (isRef(a)) return phys[a.$slot];
  if (Array.isArray(a)) return a.map((x) => resolve(x, phys));
  if (Object.getPrototypeOf(a) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(a as Record<string, unknown>)) out[k] = resolve(v, phys);
    return out;
  }
  return a;
}

/** A replay step calling the backend directly (no recording). */
function makeStep(op: Op): (phys: Storage[]) => void {
  const b = op.backend;
  const scalars = op.scalars;
  switch (op.method) {
    case 'elementwise': {
      const program = op.args[0] as Program;
      const hasHost = scalars !== null && scalars.some((s) => s instanceof HostScalar);
      const fixed = scalars ? scalars.map((s) => (typeof s === 'number' ? s : NaN)) : [];
      return (phys) => {
        let values: ArrayLike<number> = fixed;
        if (hasHost) values = scalars!.map((s) => (typeof s === 'number' ? s : s.value));
        b.elementwise(program, resolve(op.args[1], phys) as View[], resolve(op.args[2], phys) as View[], values);
      };
    }
    case 'reduce':
      return (phys) => {
        const a = resolve(op.args, phys) as Parameters<Backend['reduce']>;
        b.reduce(...a);
      };
    case 'matmul':
    case 'gather':
    case 'scatterAdd': {
      const m = op.method;
      return (phys) => {
        const a = resolve(op.args, phys) as [never, never, never];
        (b[m] as (...x: unknown[]) => void).call(b, ...a);
      };
    }
    default: {
      const name = op.method as keyof NonNullable<Backend['overrides']>;
      return (phys) => {
        const fn = b.overrides![name] as (a: unknown) => unknown;
        fn.call(b.overrides, resolve(op.args[0], phys));
      };
    }
  }
}

// ------------------------------------------------------------------------------------ fusion

/**
 * Inline elementwise kernels into their elementwise consumers: a kernel with one output that is
 * an intermediate (written once, read only by later elementwise kernels over the same shape
 * through the same view) disappears, and each consumer evaluates its expression instead of
 * reading the intermediate. A kernel read by several consumers is inlined into each only when it
 * is cheap (a few arithmetic ops). Returns which ops remain.
 */
function fuseElementwise(ops: (Op | null)[], roles: readonly Role[], slots: readonly Slot[]): { keep: boolean[]; fused: number } {
  const keep = ops.map(() => true);
  let fused = 0;
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = 0; i < ops.length; i++) {
      const p = ops[i];
      if (!p || !keep[i] || p.method !== 'elementwise') continue;
      const prog = p.args[0] as Program;
      const outs = p.args[2] as ViewRef[];
      if (outs.length !== 1) continue;
      const t = outs[0]!.storage.$slot;
      if (roles[t]!.kind !== 'temp') continue;
      if (!isContiguousFull(outs[0]!, slots[t]!.storage.size)) continue;
      // every other access of t: an elementwise read through the same view, after i
      const consumers: number[] = [];
      let ok = true;
      for (let j = 0; j < ops.length && ok; j++) {
        const q = ops[j];
        if (!q || !keep[j] || j === i) continue;
        if (!q.reads.includes(t) && !q.writes.includes(t)) continue;
        if (j < i || q.method !== 'elementwise' || q.writes.includes(t)) ok = false;
        else consumers.push(j);
      }
      if (!ok || consumers.length === 0) continue;
      const cheap = prog.nodes.filter((e) => e.op !== 'input' && e.op !== 'const' && e.op !== 'scalar').length <= 3 && !prog.nodes.some((e) => ['exp', 'log', 'tanh', 'erf', 'erfc', 'sin', 'cos', 'pow', 'log1p', 'atan2'].includes(e.op));
      if (consumers.length > 1 && !cheap) continue;
      const inViews = p.args[1] as ViewRef[];
      const inSlots = inViews.map((v) => v.storage.$slot);
      const plans: { j: number; op: Op }[] = [];
      for (const j of consumers) {
        const q = ops[j]!;
        const qIns = q.args[1] as ViewRef[];
        const qOuts = q.args[2] as ViewRef[];
        if (!qIns.every((v) => v.storage.$slot !== t || sameViewRef(v, outs[0]!))) {
          ok = false;
          break;
        }
        // nothing between i and j writes what p reads
        for (let m = i + 1; m < j && ok; m++) {
          const r = ops[m];
          if (r && keep[m] && r.writes.some((w) => inSlots.includes(w))) ok = false;
        }
        // q's outputs may overwrite p's inputs only in place (same view)
        for (const ov of qOuts) for (const iv of inViews) if (ov.storage.$slot === iv.storage.$slot && !sameViewRef(iv, ov)) ok = false;
        if (!ok) break;
        const merged = inline(p, q, t, outs[0]!);
        const limit = q.backend.maxElementwiseOperands ?? Infinity;
        const distinct = new Set([...(merged.args[1] as ViewRef[]), ...(merged.args[2] as ViewRef[])].map((v) => v.storage.$slot)).size;
        if (distinct > limit) {
          ok = false;
          break;
        }
        plans.push({ j, op: merged });
      }
      if (!ok) continue;
      for (const { j, op } of plans) ops[j] = op;
      keep[i] = false;
      fused++;
      changed = true;
    }
  }
  return { keep, fused };
}

/** Consumer `q` with its reads of slot `t` (through view `tv`) replaced by producer `p`'s expression. */
function inline(p: Op, q: Op, t: number, tv: ViewRef): Op {
  const pProg = p.args[0] as Program;
  const qProg = q.args[0] as Program;
  const pIns = p.args[1] as ViewRef[];
  const qIns = q.args[1] as ViewRef[];
  const newIns: ViewRef[] = [];
  const index = (v: ViewRef): number => {
    const k = newIns.findIndex((w) => sameViewRef(w, v) && w.storage.$slot === v.storage.$slot);
    if (k >= 0) return k;
    newIns.push(v);
    return newIns.length - 1;
  };
  const qMap = qIns.map((v) => (v.storage.$slot === t && sameViewRef(v, tv) ? -1 : index(v)));
  const pMap = pIns.map((v) => index(v));
  const qScalars = q.scalars ?? [];
  const offset = qScalars.length;
  const producer = substitute(
    pProg.outputs[0]!,
    (i, dt) => inputExpr(pMap[i]!, dt),
    (i, dt) => scalarExpr(i + offset, dt),
  );
  const outputs = qProg.outputs.map((o) => substitute(o, (i, dt) => (qMap[i]! < 0 ? producer : inputExpr(qMap[i]!, dt))));
  const prog = makeProgram(outputs, newIns.map((v, k) => (pMap.includes(k) ? pProg.inputs[pMap.indexOf(k)]! : qProg.inputs[qMap.indexOf(k)]!)));
  const scalars = [...qScalars, ...(p.scalars ?? [])];
  const reads = [...new Set(newIns.map((v) => v.storage.$slot))];
  return { backend: q.backend, method: 'elementwise', args: [prog, newIns, q.args[2]], scalars, reads, writes: q.writes };
}
