/**
 * One copy of this package per JavaScript realm. Its state (the default backend and generator,
 * the `Tensor` class that `instanceof` checks use) lives in the module instance, so a second
 * copy splits it and fails far from the cause (`matmul: tensors are on different backends (cpu
 * and cpu)`). Two copies appear with a nested install of another version, or when the CJS build
 * is `require()`d next to the ESM build `import`ed in one process.
 *
 * Each copy registers itself when it loads, in a registry on `globalThis` under
 * `Symbol.for('@unihetero/tensor')`; a copy from another file throws at load, naming both. The
 * same file evaluated again (hot module reload, a test runner resetting its modules) replaces
 * its own entry.
 */

declare const __UNIHETERO_TENSOR_VERSION__: string | undefined;
declare const __UNIHETERO_TENSOR_FORMAT__: string | undefined;

/** Which copy of `@unihetero/tensor` this is: its version, build format and file. */
export interface TensorPackageCopy {
  /** `version` of its package.json (`'source'` when run from the TypeScript sources). */
  readonly version: string;
  /** `'esm'`, `'cjs'` (the two builds), `'iife'`, or `'source'`. */
  readonly format: string;
  /** The module's URL without query or hash (`'unknown location'` where the bundler hides it). */
  readonly location: string;
}

/** The registry shared by every copy in a realm. */
interface CopyRegistry {
  copies: TensorPackageCopy[];
}

const REGISTRY_KEY = Symbol.for('@unihetero/tensor');

function describe(c: TensorPackageCopy): string {
  return `${c.version} (${c.format}) from ${c.location}`;
}

/**
 * Register `copy` in `scope`'s registry; throw when a copy from another file is there already.
 * Exported for tests; the package calls it once, at load.
 */
export function registerTensorCopy(copy: TensorPackageCopy, scope: object = globalThis): void {
  const holder = scope as Record<symbol, CopyRegistry | undefined>;
  const registry = (holder[REGISTRY_KEY] ??= { copies: [] });
  const known = copy.location !== 'unknown location';
  const others = registry.copies.filter((c) => !(known && c.location === copy.location));
  if (others.length > 0) {
    throw new Error(
      `@unihetero/tensor: a second copy is being loaded: ${describe(copy)}, while ${others.map(describe).join(' and ')} is loaded already. ` +
        'Tensors, backends and the default backend of one copy do not work with the other. Keep one copy installed ' +
        '(`npm ls @unihetero/tensor`; it is a peer dependency of the @unihetero packages, so `npm dedupe` or one shared version range removes a nested copy) ' +
        'and load it through one module system in a process (all `import` or all `require()`).',
    );
  }
  registry.copies = [copy]; // the same file again (a reload) replaces its entry
}

function moduleLocation(): string {
  let url: string | undefined;
  try {
    url = import.meta.url;
  } catch {
    url = undefined;
  }
  return typeof url === 'string' && url.length > 0 ? url.replace(/[?#].*$/, '') : 'unknown location';
}

/** This copy of `@unihetero/tensor` (version, build format, file): what a duplicate-copy error names. */
export const TENSOR_PACKAGE: TensorPackageCopy = Object.freeze({
  version: typeof __UNIHETERO_TENSOR_VERSION__ === 'string' ? __UNIHETERO_TENSOR_VERSION__ : 'source',
  format: typeof __UNIHETERO_TENSOR_FORMAT__ === 'string' ? __UNIHETERO_TENSOR_FORMAT__ : 'source',
  location: moduleLocation(),
});

registerTensorCopy(TENSOR_PACKAGE);
