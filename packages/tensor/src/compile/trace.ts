/**
 * Recording one eager call of a function into a trace: every backend call the front end makes
 * (allocations, uploads, releases, kernels, host effects) in order, with the storages it touches
 * turned into numbered slots. A slot is a storage allocated (or uploaded) during the call, an
 * argument's storage, a storage the previous trace allocated ("prev"), or any other storage that
 * existed before the call ("ext"). Each event has a canonical text form, so two traces of the
 * same steady-state loop body compare equal.
 */
import { KERNEL_OUTPUTS, type Backend, type Storage, type TypedArray, type View } from '../backend.js';
import type { Program } from '../expr/ir.js';
import { HostScalar, type DispatchRecorder, type ScalarLike } from '../runtime/dispatch.js';

/** Where a slot's storage comes from. */
export type SlotOrigin = 'new' | 'upload' | 'arg' | 'prev' | 'ext';

/** One storage of a trace. */
export interface Slot {
  readonly id: number;
  readonly storage: Storage;
  readonly origin: SlotOrigin;
  /** Allocation order among the trace's new/upload slots (-1 otherwise). */
  readonly allocIndex: number;
  /** For 'prev': the allocation index in the previous trace; for 'arg': the argument storage index. */
  readonly ref: number;
  /** Event index of the allocation (new/upload) or -1. */
  readonly allocAt: number;
  /** Event index of the release during the call, or -1 when alive at the end. */
  releasedAt: number;
  /** Host data of an upload (or write) slot. */
  data?: TypedArray;
}

/** A recorded backend call. */
export interface KernelEvent {
  readonly kind: 'kernel';
  readonly backend: Backend;
  readonly method: string;
  /** Arguments with storages replaced by `{ $slot: id }`. */
  readonly args: unknown[];
  /** Elementwise scalars as given (numbers or host scalars). */
  readonly scalars: readonly ScalarLike[] | null;
  /** Slots read and slots written (with the view written, for in-place checks). */
  readonly reads: number[];
  readonly writes: number[];
}

/** Every kind of event. */
export type TraceEvent =
  | KernelEvent
  | { readonly kind: 'alloc'; readonly slot: number }
  | { readonly kind: 'release'; readonly slot: number }
  | { readonly kind: 'write'; readonly slot: number; readonly data: TypedArray }
  | { readonly kind: 'effect'; readonly fn: () => void };

/** A placeholder for a storage inside recorded arguments. */
export interface SlotRef {
  readonly $slot: number;
}

/** True for a storage (an object with backend, dtype and size). */
export function isStorage(x: unknown): x is Storage {
  return typeof x === 'object' && x !== null && 'backend' in x && 'dtype' in x && 'size' in x && !('storage' in x);
}

function isProgram(x: unknown): x is Program {
  return typeof x === 'object' && x !== null && 'nodes' in x && 'key' in x && 'outputs' in x;
}

/** Which storages allocated in which trace (to recognise a previous trace's storages). */
const birth = new WeakMap<Storage, { trace: number; allocIndex: number }>();
let traceCounter = 0;

/** The recorded call. */
export class Trace implements DispatchRecorder {
  readonly no = ++traceCounter;
  readonly slots: Slot[] = [];
  readonly events: TraceEvent[] = [];
  /** Why the call cannot be replayed (first reason found), or null. */
  untraceable: string | null = null;
  private readonly bySlot = new Map<Storage, number>();
  private allocs = 0;

  /** Record a call whose argument storages are `args` (in argument order), following trace `previous` (if any). */
  constructor(
    private readonly args: readonly Storage[],
    private readonly previousNo: number | null,
  ) {}

  /** The slot of a storage met for the first time as an operand. */
  private slotOf(s: Storage): number {
    const known = this.bySlot.get(s);
    if (known !== undefined) return known;
    let origin: SlotOrigin = 'ext';
    let ref = -1;
    const ai = this.args.indexOf(s);
    if (ai >= 0) {
      origin = 'arg';
      ref = ai;
    } else {
      const b = birth.get(s);
      if (b && this.previousNo !== null && b.trace === this.previousNo) {
        origin = 'prev';
        ref = b.allocIndex;
      }
    }
    return this.addSlot({ storage: s, origin, allocIndex: -1, ref, allocAt: -1, releasedAt: -1 });
  }

  private addSlot(s: Omit<Slot, 'id'>): number {
    const id = this.slots.length;
    this.slots.push({ ...s, id });
    this.bySlot.set(s.storage, id);
    return id;
  }

  allocate(storage: Storage): void {
    const i = this.allocs++;
    birth.set(storage, { trace: this.no, allocIndex: i });
    const id = this.addSlot({ storage, origin: 'new', allocIndex: i, ref: -1, allocAt: this.events.length, releasedAt: -1 });
    this.events.push({ kind: 'alloc', slot: id });
  }

  upload(storage: Storage, data: TypedArray): void {
    const i = this.allocs++;
    birth.set(storage, { trace: this.no, allocIndex: i });
    const id = this.addSlot({ storage, origin: 'upload', allocIndex: i, ref: -1, allocAt: this.events.length, releasedAt: -1, data: data.slice() });
    this.events.push({ kind: 'alloc', slot: id });
  }

  write(storage: Storage, data: TypedArray): void {
    this.events.push({ kind: 'write', slot: this.slotOf(storage), data: data.slice() });
  }

  release(storage: Storage): void {
    const id = this.slotOf(storage);
    this.slots[id]!.releasedAt = this.events.length;
    this.events.push({ kind: 'release', slot: id });
    this.bySlot.delete(storage);
  }

  hostRead(): void {
    this.untraceable ??= 'it reads tensor values on the host (data(), item(), dataSync() ...) inside the function, so later calls could take another path';
  }

  effect(fn: () => void): void {
    this.events.push({ kind: 'effect', fn });
  }

  kernel(backend: Backend, method: string, args: readonly unknown[], scalars: readonly ScalarLike[] | null): void {
    const reads: number[] = [];
    const writes: number[] = [];
    const outNames = KERNEL_OUTPUTS[method] ?? [];
    // Positional outputs of the required kernels, named fields of override argument objects.
    const positional: Record<string, number> = { elementwise: 2, reduce: 5, matmul: 2, gather: 2, scatterAdd: 0 };
    const mapped = args.map((a, i) => {
      const isOut = method in positional ? positional[method] === i : false;
      return this.mapArg(a, isOut, method === 'scatterAdd' && i === 0, reads, writes, outNames, method in positional);
    });
    this.events.push({ kind: 'kernel', backend, method, args: mapped, scalars, reads, writes });
  }

  /** Replace storages by slot refs, collecting the slots read and written. */
  private mapArg(a: unknown, isOut: boolean, readToo: boolean, reads: number[], writes: number[], outNames: readonly string[], positional: boolean): unknown {
    if (a === null || typeof a !== 'object' || isProgram(a)) return a;
    if (isStorage(a)) {
      const id = this.slotOf(a);
      if (isOut) {
        writes.push(id);
        if (readToo) reads.push(id);
      } else reads.push(id);
      return { $slot: id } satisfies SlotRef;
    }
    if (Array.isArray(a)) return a.map((x) => this.mapArg(x, isOut, readToo, reads, writes, outNames, positional));
    if (Object.getPrototypeOf(a) === Object.prototype || Object.getPrototypeOf(a) === null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(a as Record<string, unknown>)) {
        // A View: map its storage with the view's role; override args: outputs by field name.
        const childOut = isOut || (!positional && outNames.includes(k));
        out[k] = this.mapArg(v, childOut, readToo, reads, writes, outNames, positional);
      }
      return out;
    }
    return a;
  }

  /** Canonical text of every event (slot refs by role), for comparing two traces. */
  signature(): string[] {
    const ref = (id: number): string => {
      const s = this.slots[id]!;
      switch (s.origin) {
        case 'new':
        case 'upload':
          return `n${s.allocIndex}`;
        case 'arg':
          return `a${s.ref}`;
        case 'prev':
          return `p${s.ref}`;
        default:
          return `e${extId(s.storage)}`;
      }
    };
    const argText = (a: unknown): string => {
      if (a === null || a === undefined) return String(a);
      if (typeof a !== 'object') return typeof a === 'number' && Object.is(a, -0) ? '-0' : String(a);
      if (isProgram(a)) return `P${a.key}`;
      if ('$slot' in (a as object)) return ref((a as SlotRef).$slot);
      if (Array.isArray(a)) return `[${a.map(argText).join(',')}]`;
      return `{${Object.entries(a as Record<string, unknown>)
        .map(([k, v]) => `${k}:${argText(v)}`)
        .join(',')}}`;
    };
    return this.events.map((e) => {
      switch (e.kind) {
        case 'alloc': {
          const s = this.slots[e.slot]!;
          return `alloc ${ref(e.slot)} ${s.storage.dtype}[${s.storage.size}] ${s.storage.backend.name}${s.data ? ` data#${hashData(s.data)}` : ''}`;
        }
        case 'release':
          return `release ${ref(e.slot)}`;
        case 'write':
          return `write ${ref(e.slot)} data#${hashData(e.data)}`;
        case 'effect':
          return 'effect';
        default:
          return `${e.method}@${backendId(e.backend)}(${e.args.map(argText).join(';')})${e.scalars ? ` s[${e.scalars.map((x) => (x instanceof HostScalar ? 'h' : String(x))).join(',')}]` : ''}`;
      }
    });
  }
}

/** A numbering of objects, held weakly: an object keeps its number, a new one gets the next (from 1). */
export function objectIds(): (o: object) => number {
  const ids = new WeakMap<object, number>();
  let next = 1;
  return (o) => {
    let id = ids.get(o);
    if (id === undefined) ids.set(o, (id = next++));
    return id;
  };
}

const extId = objectIds();
function backendId(b: Backend): string {
  return `${b.name}#${extId(b)}`;
}

/** FNV-1a over the bytes of a typed array (for comparing uploads between traces). */
export function hashData(d: TypedArray): string {
  const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 16777619);
  return `${d.length}:${(h >>> 0).toString(16)}`;
}

/** The first index where two signatures differ, or -1 when equal. */
export function firstDifference(a: readonly string[], b: readonly string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** A view whose storage is a slot ref. */
export type ViewRef = Omit<View, 'storage'> & { storage: SlotRef };
