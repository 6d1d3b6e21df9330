import { describe, expect, it } from 'vitest';
import { TENSOR_PACKAGE } from '../src/index.js';
import { registerTensorCopy } from '../src/copies.js';

describe('one copy of @unihetero/tensor per realm', () => {
  it('describes the loaded copy and registers it on globalThis', () => {
    expect(TENSOR_PACKAGE.version).toBe('source'); // the build defines the package.json version
    expect(TENSOR_PACKAGE.format).toBe('source');
    expect(TENSOR_PACKAGE.location).toMatch(/^file:\/\/.*\/src\/copies\.ts$/);
    const registry = (globalThis as Record<symbol, { copies: unknown[] } | undefined>)[Symbol.for('@unihetero/tensor')];
    expect(registry?.copies).toEqual([TENSOR_PACKAGE]);
  });

  it('throws when a copy from another file loads, naming both', () => {
    const scope = {};
    registerTensorCopy({ version: '0.1.0', format: 'esm', location: 'file:///app/node_modules/@unihetero/tensor/dist/index.js' }, scope);
    expect(() =>
      registerTensorCopy({ version: '0.2.0', format: 'cjs', location: 'file:///app/node_modules/x/node_modules/@unihetero/tensor/dist/index.cjs' }, scope),
    ).toThrow(
      '@unihetero/tensor: a second copy is being loaded: 0.2.0 (cjs) from file:///app/node_modules/x/node_modules/@unihetero/tensor/dist/index.cjs, ' +
        'while 0.1.0 (esm) from file:///app/node_modules/@unihetero/tensor/dist/index.js is loaded already.',
    );
    // Nothing was registered by the failed load.
    expect((scope as Record<symbol, { copies: unknown[] }>)[Symbol.for('@unihetero/tensor')]!.copies).toHaveLength(1);
  });

  it('the same file evaluated again (a reload) replaces its entry', () => {
    const scope = {};
    const loc = 'file:///app/node_modules/@unihetero/tensor/dist/index.js';
    registerTensorCopy({ version: '0.1.0', format: 'esm', location: loc }, scope);
    const again = { version: '0.1.0', format: 'esm', location: loc };
    expect(() => registerTensorCopy(again, scope)).not.toThrow();
    expect((scope as Record<symbol, { copies: unknown[] }>)[Symbol.for('@unihetero/tensor')]!.copies).toEqual([again]);
  });

  it('copies whose files are unknown are never taken for the same one', () => {
    const scope = {};
    registerTensorCopy({ version: '0.1.0', format: 'iife', location: 'unknown location' }, scope);
    expect(() => registerTensorCopy({ version: '0.1.0', format: 'iife', location: 'unknown location' }, scope)).toThrow(/a second copy is being loaded/);
  });
});
