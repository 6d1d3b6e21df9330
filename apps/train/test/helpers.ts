/** Shared test helpers: in-memory streams, temporary run folders, a tiny run spec. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { AppIO, TrainHooks } from '../src/io.js';

/** An `AppIO` writing into strings. */
export function memoryIO(options: { signal?: AbortSignal; hooks?: TrainHooks } = {}): AppIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t), isTTY: false },
    stderr: { write: (t: string) => (err += t), isTTY: false },
    signal: options.signal,
    hooks: options.hooks,
    out: () => out,
    err: () => err,
  };
}

/** A fresh temporary folder. */
export async function tempDir(prefix = 'unihetero-train-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Remove a temporary folder. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A temporary folder for the tests of one file: made before them (hooks registered later see it), removed after them. */
export function useTempDir(prefix?: string): { readonly dir: string } {
  const folder = { dir: '' };
  beforeAll(async () => {
    folder.dir = await tempDir(prefix);
  });
  afterAll(async () => {
    if (folder.dir) await removeDir(folder.dir);
  });
  return folder;
}

/** Model overrides small enough for a step in well under a second. */
export const TINY_CONFIG = { backbone: { hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2 }, flow: { width: 32, depth: 1 } };

/** Write a tiny run spec file; returns its path. */
export async function tinySpecFile(dir: string, extra: Record<string, unknown> = {}): Promise<string> {
  const path = join(dir, 'spec.json');
  const spec = { preset: 'exp2', config: TINY_CONFIG, trainer: { samples: 16, batchSize: 4, lr: 0.003 }, eval: { every: 2, count: 4, batchSize: 4, generationEvery: 2, generationCount: 2, generationSteps: 2 }, checkpointEvery: 2, ...extra };
  await writeFile(path, JSON.stringify(spec));
  return path;
}

/** The records of a JSONL file. */
export async function readJsonl(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A metrics record without its wall time (the only field that differs between identical runs). */
export function withoutTime(r: Record<string, unknown>): Record<string, unknown> {
  const { ms: _ms, ...rest } = r;
  return rest;
}
