/**
 * `compile(fn)`: trace a function of tensors (a training step with `backward()` and the optimizer
 * update, or a forward pass) and replay it.
 *
 * Each call runs eagerly and is recorded (`trace.ts`) until two consecutive calls record the same
 * program (the first calls create optimizer state and gradients, so they differ). From then on a
 * call replays the plan (`plan.ts`): the same backend kernels on the same storages, with chains of
 * elementwise kernels fused, intermediates in reused buffers, arguments rebound, outputs freshly
 * allocated, and no autograd bookkeeping. A different input signature (shapes, dtypes, strides,
 * requiresGrad, non-tensor arguments) gets its own trace.
 *
 * What cannot be replayed falls back to eager for that signature, with a one-line reason (see
 * `FALLBACK_REASONS` in the README): reading values on the host inside the function, returning a
 * Promise, a program that keeps changing between calls (host random numbers, data or scalars that
 * change: pass them as tensor arguments or `hostScalar`s), state freed between calls, a buffer
 * read after its successor overwrote it, or returning a tensor with a live autograd graph.
 * Returned tensors computed by the call are fresh at each replay; returned arguments, parameters
 * or state are shared as in eager.
 */
import type { Storage } from '../backend.js';
import { isGradEnabled } from '../autograd.js';
import { isRecording, setRecorder } from '../runtime/dispatch.js';
import { Slab, Tensor } from '../tensor.js';
import { PlanError, ReplayPlan, type PlanStats, type ReturnedTensor } from './plan.js';
import { Trace, firstDifference, objectIds } from './trace.js';

/** Options of `compile`. */
export interface CompileOptions {
  /** Name used in fallback messages (default: the function's name). */
  name?: string;
  /** Called once per signature that falls back to eager, with the message (default: `console.warn`). */
  onFallback?: (message: string) => void;
  /** Eager traced calls before giving up on a program that keeps changing (default 6). */
  maxTraces?: number;
  /** Fuse chains of elementwise kernels (default true). */
  fuse?: boolean;
}

/** What one input signature of a compiled function is doing. */
export interface CompileStats {
  /** 'tracing' (eager, recording), 'replay', or 'eager' (fell back). */
  mode: 'tracing' | 'replay' | 'eager';
  /** Why it fell back, or null. */
  reason: string | null;
  /** Calls so far. */
  calls: number;
  /** Of which traced (eager). */
  traced: number;
  /** Of which replayed. */
  replayed: number;
  /** Plan counters once replaying (kernels before and after fusion, reused buffers). */
  plan: PlanStats | null;
}

/** A compiled function: call it like the original; `stats()` reports per signature. */
export interface CompiledFunction<A extends unknown[], R> {
  (...args: A): R;
  /** Counters of the most recently used signature (null before the first call). */
  stats(): CompileStats | null;
  /** Forget every trace and plan (freeing the plans' buffers); the next call traces again. */
  reset(): void;
}

interface SignatureState {
  mode: 'tracing' | 'replay' | 'eager';
  reason: string | null;
  calls: number;
  traced: number;
  replayed: number;
  invalidations: number;
  prev: Trace | null;
  prevSig: string[] | null;
  plan: ReplayPlan | null;
  template: unknown;
  returned: Returned[];
}

/** A tensor of the result: computed by the call (fresh per replay), an argument, or kept state (shared). */
type Returned = ({ kind: 'output' } & ReturnedTensor) | { kind: 'arg'; index: number; shape: number[]; strides: number[]; offset: number } | { kind: 'slab'; slab: Slab; shape: number[]; strides: number[]; offset: number };

/** Walk arguments: tensors in a fixed order, and a signature text. */
function flatten(args: readonly unknown[]): { tensors: Tensor[]; key: string } {
  const tensors: Tensor[] = [];
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const visit = (v: unknown): void => {
    if (v instanceof Tensor) {
      v.assertAlive('compile');
      tensors.push(v);
      parts.push(`T(${v.dtype},[${v.shape}],[${v.strides}],${v.offset},${v._slab.storage.size},${v.requiresGrad ? 'g' : ''},${v.backend.name}#${objId(v.backend)})`);
    } else if (v === null || v === undefined || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') {
      parts.push(`${typeof v}:${String(v)}`);
    } else if (Array.isArray(v) && !seen.has(v)) {
      seen.add(v);
      parts.push('[');
      v.forEach(visit);
      parts.push(']');
    } else if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && !seen.has(v)) {
      seen.add(v);
      parts.push('{');
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        parts.push(k);
        visit(x);
      }
      parts.push('}');
    } else parts.push(`o#${objId(v as object)}`);
  };
  args.forEach(visit);
  return { tensors, key: parts.join(' ') };
}

const objId = objectIds();

/** Replace the tensors of a result by placeholders; collect them. */
function templateOf(result: unknown, args: readonly Tensor[], slotOf: (t: Tensor) => number): { template: unknown; returned: Returned[] } {
  const returned: Returned[] = [];
  const walk = (v: unknown): unknown => {
    if (v instanceof Tensor) {
      if (v.isDisposed) throw new PlanError('it returns a disposed tensor');
      if (v._node && !v._node.released) throw new PlanError('it returns a tensor that still has an autograd graph (call backward() inside the function, or run it under noGrad)');
      if (v.isLeaf && v.requiresGrad) throw new PlanError('it returns a tensor that requires grad');
      const view = { shape: [...v.shape], strides: [...v.strides], offset: v.offset };
      const ai = args.findIndex((a) => a._slab.storage === v._slab.storage);
      const slot = slotOf(v);
      if (ai >= 0) returned.push({ kind: 'arg', index: ai, ...view });
      else if (slot >= 0) returned.push({ kind: 'output', slot, ...view });
      else returned.push({ kind: 'slab', slab: v._slab, ...view });
      return { $returned: returned.length - 1 };
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = walk(x);
      return out;
    }
    if (v instanceof Promise) throw new PlanError('it returns a Promise (compile traces synchronous functions only)');
    return v;
  };
  return { template: walk(result), returned };
}

/** Rebuild a result from its template with the replay's output storages. */
function rebuild(template: unknown, returned: readonly Returned[], outs: Map<number, Storage>, args: readonly Tensor[]): unknown {
  const slabs = new Map<number, Slab>();
  const walk = (v: unknown): unknown => {
    if (v !== null && typeof v === 'object' && '$returned' in (v as object)) {
      const r = returned[(v as { $returned: number }).$returned]!;
      let slab: Slab;
      if (r.kind === 'arg') slab = args[r.index]!._slab.retain();
      else if (r.kind === 'slab') slab = r.slab.retain();
      else {
        const known = slabs.get(r.slot);
        if (known) slab = known.retain();
        else slabs.set(r.slot, (slab = new Slab(outs.get(r.slot)!)));
      }
      return new Tensor(slab, [...r.shape], [...r.strides], r.offset);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(template);
}

/**
 * Compile `fn`: trace it per input signature and replay the traced kernels (fused, with planned
 * memory) once two calls record the same program; fall back to eager with a one-line reason when
 * it cannot be replayed. Results equal eager ones to float rounding. See the module comment.
 */
export function compile<A extends unknown[], R>(fn: (...args: A) => R, options: CompileOptions = {}): CompiledFunction<A, R> {
  const name = options.name ?? (fn.name || 'function');
  const maxTraces = options.maxTraces ?? 6;
  const fuse = options.fuse ?? true;
  const onFallback = options.onFallback ?? ((m: string) => console.warn(m));
  const states = new Map<string, SignatureState>();
  let last: SignatureState | null = null;

  const fallback = (st: SignatureState, reason: string): void => {
    st.mode = 'eager';
    st.reason = reason;
    st.plan?.dispose();
    st.plan = null;
    st.prev = null;
    onFallback(`compile: ${name}: running eagerly: ${reason}`);
  };

  const call = (...args: A): R => {
    if (isRecording()) return fn(...args); // inside another trace: part of its program
    const { tensors, key: argKey } = flatten(args);
    const key = `${isGradEnabled() ? 'grad' : 'nograd'} ${argKey}`;
    let st = states.get(key);
    if (!st) {
      st = { mode: 'tracing', reason: null, calls: 0, traced: 0, replayed: 0, invalidations: 0, prev: null, prevSig: null, plan: null, template: null, returned: [] };
      states.set(key, st);
    }
    last = st;
    st.calls++;
    if (st.mode === 'eager') return fn(...args);
    if (st.mode === 'replay') {
      const why = st.plan!.invalid();
      if (why === null) {
        st.replayed++;
        const outs = st.plan!.run(tensors.map((t) => t._slab.storage));
        return rebuild(st.template, st.returned, outs, tensors) as R;
      }
      st.plan!.dispose();
      st.plan = null;
      st.prev = null;
      st.prevSig = null;
      st.mode = 'tracing';
      if (++st.invalidations > 2) {
        fallback(st, why);
        return fn(...args);
      }
    }
    // Trace an eager call.
    const trace = new Trace(
      tensors.map((t) => t._slab.storage),
      st.prev?.no ?? null,
    );
    st.traced++;
    const prevRec = setRecorder(trace);
    let result: R;
    try {
      result = fn(...args);
    } finally {
      setRecorder(prevRec);
    }
    if (result instanceof Promise) {
      fallback(st, 'it returns a Promise (compile traces synchronous functions only)');
      return result;
    }
    if (trace.untraceable) {
      fallback(st, trace.untraceable);
      return result;
    }
    const sig = trace.signature();
    const prevSig = st.prevSig;
    st.prev = trace;
    st.prevSig = sig;
    if (prevSig !== null && firstDifference(prevSig, sig) < 0) {
      try {
        const slotOf = (t: Tensor) => {
          const s = trace.slots.findIndex((x) => x.storage === t._slab.storage && (x.origin === 'new' || x.origin === 'upload') && x.releasedAt < 0);
          return s;
        };
        const { template, returned } = templateOf(result, tensors, slotOf);
        st.plan = new ReplayPlan(
          trace,
          returned.filter((r): r is Extract<Returned, { kind: 'output' }> => r.kind === 'output'),
          fuse,
        );
        st.template = template;
        st.returned = returned;
        st.mode = 'replay';
      } catch (e) {
        if (!(e instanceof PlanError)) throw e;
        fallback(st, e.message);
      }
    } else if (st.traced >= maxTraces) {
      const i = prevSig ? firstDifference(prevSig, sig) : -1;
      const what = i >= 0 ? ` (first difference at backend call ${i}: '${short(prevSig![i])}' then '${short(sig[i])}')` : '';
      fallback(st, `the traced program kept changing between calls${what}: host random numbers, uploaded data or scalars that change each call (pass them as tensor arguments or hostScalar)`);
    }
    return result;
  };

  const compiled = call as CompiledFunction<A, R>;
  compiled.stats = () =>
    last && {
      mode: last.mode,
      reason: last.reason,
      calls: last.calls,
      traced: last.traced,
      replayed: last.replayed,
      plan: last.plan?.stats ?? null,
    };
  compiled.reset = () => {
    for (const st of states.values()) st.plan?.dispose();
    states.clear();
    last = null;
  };
  return compiled;
}

function short(s: string | undefined): string {
  if (s === undefined) return '(end)';
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
