/**
 * Node's builtin modules, loaded where they are used with `process.getBuiltinModule`: synchronous
 * and invisible to bundlers, so a browser build of this package contains no Node import (the
 * functions that need the file system then throw, naming themselves).
 */

/** The Node builtin `id` (e.g. `'node:fs/promises'`); throws, naming `op`, outside Node. */
export function nodeBuiltin<T>(id: string, op: string): T {
  const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (typeof get !== 'function') throw new Error(`${op}: needs Node.js >= 20.16 (it uses ${id}); in a browser, pass bytes instead of a path`);
  return get(id) as T;
}
