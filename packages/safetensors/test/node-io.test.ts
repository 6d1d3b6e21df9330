import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATOMIC_TEMP_PATTERN, SafetensorsError, readSafetensorsFile, readSafetensorsHeader, serializeSafetensors, writeFileAtomic, writeSafetensorsFile } from '../src/index.js';

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

  it('a damaged header is a SafetensorsError naming the file, never a bare SyntaxError', async () => {
    const dir = tmp();
    const path = join(dir, 'damaged.safetensors');
    const bytes = serializeSafetensors({ a: { dtype: 'F32', shape: [1], data: [1] } });
    bytes[9] = 0x21; // '{"a"' -> '{!a"'
    writeFileSync(path, bytes);
    for (const read of [readSafetensorsFile, readSafetensorsHeader]) {
      const err = await read(path).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(SafetensorsError);
      expect((err as SafetensorsError).code).toBe('header-json');
      expect((err as Error).message).toMatch(/^safetensors: header is not valid JSON \(.*\) \(in '.*damaged\.safetensors'\)$/);
    }
  });

  it('keeps the replaced file under `previous`, and names temporary files by ATOMIC_TEMP_PATTERN', async () => {
    const dir = tmp();
    const path = join(dir, 'c.safetensors');
    const prev = join(dir, 'c.prev.safetensors');
    await writeFileAtomic(path, 'one', { previous: prev });
    expect(readdirSync(dir)).toEqual(['c.safetensors']);
    await writeFileAtomic(path, 'two', { previous: prev });
    await writeFileAtomic(path, 'three', { previous: prev });
    expect(readFileSync(path, 'utf8')).toBe('three');
    expect(readFileSync(prev, 'utf8')).toBe('two');
    expect(readdirSync(dir).sort()).toEqual(['c.prev.safetensors', 'c.safetensors']);
    // A failure at the final rename leaves both files as they were and no temporary file.
    const names: string[] = [];
    vi.spyOn(fsp, 'rename').mockImplementationOnce(async (from) => {
      names.push(String(from));
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    const err = await writeFileAtomic(path, 'four', { previous: prev }).then(() => null, (e: unknown) => e);
    expect((err as Error).message).toMatch(/^writeFileAtomic: cannot write '.*c\.safetensors': ENOSPC/);
    expect(((err as Error).cause as { code: string }).code).toBe('ENOSPC');
    expect(readFileSync(path, 'utf8')).toBe('three');
    expect(readFileSync(prev, 'utf8')).toBe('two');
    expect(readdirSync(dir).sort()).toEqual(['c.prev.safetensors', 'c.safetensors']);
    expect(names[0]!.split('/').pop()).toMatch(ATOMIC_TEMP_PATTERN);
    expect(ATOMIC_TEMP_PATTERN.exec(names[0]!.split('/').pop()!)![1]).toBe('c.prev.safetensors');
    // `previous` and `path` as two links of one file (a kill between the renames): no temporary link stays behind.
    rmSync(prev);
    const { linkSync } = await import('node:fs');
    linkSync(path, prev);
    await writeFileAtomic(path, 'five', { previous: prev });
    expect(readdirSync(dir).sort()).toEqual(['c.prev.safetensors', 'c.safetensors']);
    expect(readFileSync(prev, 'utf8')).toBe('three');
  });
});
