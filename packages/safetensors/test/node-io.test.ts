import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsError, readSafetensorsFile, readSafetensorsHeader, serializeSafetensors, writeSafetensorsFile } from '../src/index.js';

// The package loads its builtins with process.getBuiltinModule: spy on that module object.
const fsp = process.getBuiltinModule('node:fs/promises');

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'st-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe('files', () => {
  it('writes atomically and reads back; no temporary file remains', async () => {
    const dir = tmp();
    const path = join(dir, 'w.safetensors');
    await writeSafetensorsFile(path, { a: { dtype: 'F32', shape: [2], data: [1, 2] } }, { k: 'v' });
    expect(readdirSync(dir)).toEqual(['w.safetensors']);
    const file = await readSafetensorsFile(path);
    expect([...file.getFloat32('a')]).toEqual([1, 2]);
    expect(file.metadata).toEqual({ k: 'v' });
  });

  it('a write that fails before the rename leaves the previous file intact and no temp file', async () => {
    const dir = tmp();
    const path = join(dir, 'ckpt.safetensors');
    await writeSafetensorsFile(path, { a: { dtype: 'F32', shape: [1], data: [1] } });
    const before = readFileSync(path);
    vi.spyOn(fsp, 'rename').mockRejectedValueOnce(new Error('simulated crash'));
    await expect(writeSafetensorsFile(path, { a: { dtype: 'F32', shape: [1000], data: new Float32Array(1000) } })).rejects.toThrow(/writeFileAtomic: cannot write '.*ckpt.safetensors': simulated crash/);
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });

  it('reads only the header when asked', async () => {
    const dir = tmp();
    const path = join(dir, 'h.safetensors');
    await writeSafetensorsFile(path, { w: { dtype: 'BF16', shape: [3, 4], data: new Float32Array(12) } });
    const h = await readSafetensorsHeader(path);
    expect(h.tensors.get('w')).toEqual({ dtype: 'BF16', shape: [3, 4], dataOffsets: [0, 24] });
  });

  it('a truncated file on disk is rejected with its path', async () => {
    const dir = tmp();
    const path = join(dir, 't.safetensors');
    const bytes = serializeSafetensors({ a: { dtype: 'F32', shape: [4], data: [1, 2, 3, 4] } });
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    await expect(readSafetensorsFile(path)).rejects.toThrow(SafetensorsError);
    await expect(readSafetensorsFile(path)).rejects.toThrow(/t\.safetensors/);
    await expect(readSafetensorsHeader(path)).rejects.toThrow(/go past the end/);
    await expect(readSafetensorsFile(join(dir, 'missing.safetensors'))).rejects.toThrow(/cannot read/);
  });
});
