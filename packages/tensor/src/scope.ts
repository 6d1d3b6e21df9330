/**
 * Lifetime scopes: `tidy(fn)` disposes every tensor created inside `fn` except what it returns.
 * Kept independent of the Tensor class through the small `Disposable` shape below.
 */

/** What a scope can track. */
export interface ScopedResource {
  /** Scope that currently owns the resource (set by the scope machinery). */
  _scope: Set<ScopedResource> | null;
  /** Release the resource. */
  dispose(): void;
  /** True once disposed. */
  readonly isDisposed: boolean;
}

const scopes: Set<ScopedResource>[] = [];

/** Register a new resource with the innermost open scope, if any. */
export function track(r: ScopedResource): void {
  const top = scopes[scopes.length - 1];
  if (top) {
    top.add(r);
    r._scope = top;
  }
}

/** Remove a resource from its scope (it then lives until disposed explicitly). */
export function untrack(r: ScopedResource): void {
  if (r._scope) {
    r._scope.delete(r);
    r._scope = null;
  }
}

function collect(value: unknown, out: Set<ScopedResource>, seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if ('_scope' in (value as object) && 'dispose' in (value as object)) {
    out.add(value as ScopedResource);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value as Record<string, unknown>)) collect(v, out, seen);
  }
}

/**
 * Run `fn` in a scope: every tensor created inside that is not part of the returned value
 * (a tensor, or arrays / plain objects / Maps containing tensors) is disposed when `fn` returns
 * or throws. Returned tensors move to the enclosing scope. `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<ScopedResource>();
  scopes.push(scope);
  let result: T;
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
    throw new Error('tidy: fn must be synchronous (it returned a Promise); await outside tidy and keep() what you need');
  }
  const keepSet = new Set<ScopedResource>();
  collect(result, keepSet, new Set());
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

/** Exempt a tensor (or several) from every enclosing `tidy`; returns its argument. */
export function keep<T>(value: T): T {
  const set = new Set<ScopedResource>();
  collect(value, set, new Set());
  for (const r of set) untrack(r);
  return value;
}
