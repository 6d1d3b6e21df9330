/**
 * Checkpoint integrity: every single-byte change and every truncation of a small checkpoint is
 * either detected (an error naming the file) or changes nothing that loads; edited metadata and
 * non-finite values are refused, naming the tensor; the previous checkpoint is kept on request.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator, noGrad, tensor } from '@unihetero/tensor';
import { SafetensorsError, parseSafetensors, serializeSafetensors } from '@unihetero/safetensors';
import {
  AdamW,
  CHECKPOINT_METADATA_KEY,
  CHECKSUM_METADATA_KEY,
  CheckpointIntegrityError,
  MLP,
  checkpointToSafetensors,
  loadCheckpoint,
  previousCheckpointPath,
  readCheckpointInfo,
  saveCheckpoint,
  verifyCheckpoint,
} from '../src/index.js';
import { tempFolder } from './files.js';

const dir = tempFolder('unihetero-nn-integrity-');

/** A tiny model with optimizer state, saved at step 8 as `name` in the test folder; `dispose` frees the model and the optimizer. */
async function tinyCheckpoint(name: string, seed = 0): Promise<{ path: string; bytes: Buffer; model: MLP; opt: AdamW; gen: Generator; dispose(): void }> {
  const path = join(dir, name);
  const model = new MLP([2, 3, 2], { generator: new Generator(seed) });
  const opt = new AdamW(model.parameters(), { lr: 0.01 });
  for (const p of model.parameters()) noGrad(() => p.assign(p.mul(1.5)));
  const gen = new Generator(seed + 1);
  await saveCheckpoint(path, { model, optimizer: opt, step: 8, rng: gen, extra: { note: 'x' } });
  const dispose = () => {
    model.dispose();
    opt.dispose();
  };
  return { path, bytes: readFileSync(path), model, opt, gen, dispose };
}

/** The model's state as plain arrays. */
function state(m: MLP): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of m.stateDict()) out[k] = Array.from(t.dataSync());
  return out;
}

/** Load `bytes` into a fresh model (after `verifyCheckpoint`, the cheap part); returns the loaded state, or the error. */
async function tryLoad(bytes: Uint8Array): Promise<{ ok: true; state: Record<string, number[]>; step: number } | { ok: false; error: unknown }> {
  try {
    await verifyCheckpoint(bytes);
  } catch (error) {
    return { ok: false, error };
  }
  const model = new MLP([2, 3, 2], { generator: new Generator(9) });
  try {
    const r = await loadCheckpoint(bytes, { model });
    return { ok: true, state: state(model), step: r.step };
  } catch (error) {
    return { ok: false, error };
  } finally {
    model.dispose();
  }
}

describe('checksums', () => {
  it('are written for every tensor and the metadata, and verified on load, header reads and verifyCheckpoint', async () => {
    const { path, bytes, model, dispose } = await tinyCheckpoint('ok.safetensors');
    const file = parseSafetensors(bytes);
    const sums = JSON.parse(file.metadata![CHECKSUM_METADATA_KEY]!) as { algorithm: string; metadata: string; tensors: Record<string, string> };
    expect(sums.algorithm).toBe('crc32');
    expect(sums.metadata).toMatch(/^[0-9a-f]{8}$/);
    expect(Object.keys(sums.tensors).sort()).toEqual(file.names().sort());
    expect(JSON.parse(file.metadata![CHECKPOINT_METADATA_KEY]!).version).toBe(2);
    const fresh = new MLP([2, 3, 2], { generator: new Generator(5) });
    const r = await loadCheckpoint(path, { model: fresh });
    expect(r.verified).toBe(true);
    expect(state(fresh)).toEqual(state(model));
    expect(await readCheckpointInfo(path)).toMatchObject({ step: 8, extra: { note: 'x' }, version: 2, verified: true });
    expect(await verifyCheckpoint(path)).toMatchObject({ step: 8, verified: true });
    fresh.dispose();
    dispose();
  });

  it('every single-byte change and every truncation is detected or changes nothing that loads', async () => {
    const { bytes: original, model, dispose } = await tinyCheckpoint('flips.safetensors');
    const expected = state(model);
    let detected = 0;
    let harmless = 0;
    const gen = new Generator(42);
    for (let i = 0; i < original.length; i++) {
      const bytes = new Uint8Array(original);
      bytes[i] = bytes[i]! ^ (1 + Math.floor(gen.uniform() * 255)); // a random non-zero XOR
      const r = await tryLoad(bytes);
      if (r.ok) {
        // Only bytes that do not carry content may change unnoticed (header padding becoming other whitespace).
        expect(r.state, `byte ${i} of ${original.length} changed silently`).toEqual(expected);
        expect(r.step).toBe(8);
        harmless++;
      } else {
        expect(r.error instanceof SafetensorsError || r.error instanceof CheckpointIntegrityError || /checkpoint/.test(String(r.error)), String(r.error)).toBe(true);
        detected++;
      }
    }
    for (let n = 0; n < original.length; n++) {
      const r = await tryLoad(original.subarray(0, n));
      expect(r.ok, `truncation to ${n} bytes loaded`).toBe(false);
    }
    expect(detected + harmless).toBe(original.length);
    expect(harmless).toBeLessThan(16);
    dispose();
  });

  it('name the file and the tensor whose data changed, and change nothing in the target', async () => {
    const { bytes, model, dispose } = await tinyCheckpoint('data.safetensors');
    const file = parseSafetensors(bytes);
    const name = file.names()[0]!;
    const [begin] = file.info(name).dataOffsets;
    const at = 8 + file.header.headerLength + begin;
    bytes[at + 1] = bytes[at + 1]! ^ 0x10;
    const damaged = join(dir, 'damaged.safetensors');
    writeFileSync(damaged, bytes);
    const target = new MLP([2, 3, 2], { generator: new Generator(5) });
    const before = state(target);
    const err = await loadCheckpoint(damaged, { model: target }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointIntegrityError);
    expect((err as CheckpointIntegrityError).tensor).toBe(name);
    expect((err as CheckpointIntegrityError).path).toBe(damaged);
    expect((err as Error).message).toMatch(new RegExp(`^loadCheckpoint: '.*damaged\\.safetensors' is damaged: tensor '${name.replace(/\./g, '\\.')}' fails its checksum \\(stored crc32 [0-9a-f]{8}, the data gives [0-9a-f]{8}\\)$`));
    expect(state(target)).toEqual(before);
    await expect(verifyCheckpoint(damaged)).rejects.toThrow(/verifyCheckpoint: .* is damaged: tensor/);
    // The header alone still reads (its metadata is intact).
    expect((await readCheckpointInfo(damaged)).step).toBe(8);
    target.dispose();
    dispose();
  });

  it('refuse edited metadata (step 8 -> 2, well-formed) and a removed checksum key', async () => {
    const { bytes, model, dispose } = await tinyCheckpoint('meta.safetensors');
    const file = parseSafetensors(bytes);
    const tensors = Object.fromEntries(file.names().map((n) => [n, { dtype: file.info(n).dtype, shape: file.info(n).shape, data: file.get(n).data }]));
    const json = JSON.parse(file.metadata![CHECKPOINT_METADATA_KEY]!) as { step: number };
    json.step = 2;
    const edited = join(dir, 'edited.safetensors');
    writeFileSync(edited, serializeSafetensors(tensors, { ...file.metadata!, [CHECKPOINT_METADATA_KEY]: JSON.stringify(json) }));
    await expect(readCheckpointInfo(edited)).rejects.toThrow(/^readCheckpointInfo: '.*edited\.safetensors' is damaged: its metadata \(step, optimizer, generator and run settings\) fails its checksum/);
    await expect(tryLoad(readFileSync(edited)).then((r) => r.ok)).resolves.toBe(false);
    const { [CHECKSUM_METADATA_KEY]: _gone, ...rest } = file.metadata!;
    const stripped = join(dir, 'stripped.safetensors');
    writeFileSync(stripped, serializeSafetensors(tensors, rest));
    const target = new MLP([2, 3, 2], { generator: new Generator(5) });
    await expect(loadCheckpoint(stripped, { model: target })).rejects.toThrow(/is damaged: it has no 'unihetero\.checksums' metadata, which every version-2 checkpoint carries/);
    // A version-1 file (written before checksums) still loads, reported as unverified.
    const v1 = JSON.parse(rest[CHECKPOINT_METADATA_KEY]!) as { version: number };
    v1.version = 1;
    const legacy = join(dir, 'legacy.safetensors');
    writeFileSync(legacy, serializeSafetensors(tensors, { ...rest, [CHECKPOINT_METADATA_KEY]: JSON.stringify(v1) }));
    const r = await loadCheckpoint(legacy, { model: target });
    expect(r.verified).toBe(false);
    expect(state(target)).toEqual(state(model));
    target.dispose();
    dispose();
  });

  it('non-finite values: refused at save, and reported by name at load even with matching checksums', async () => {
    const model = new MLP([2, 3, 2], { generator: new Generator(1) });
    const [name, w] = [...model.stateDict()][0]!;
    const poisoned = new Float32Array(w.dataSync());
    poisoned[2] = NaN;
    noGrad(() => w.assign(tensor(poisoned, { shape: [...w.shape] })));
    const path = join(dir, 'nan.safetensors');
    await expect(saveCheckpoint(path, { model })).rejects.toThrow(new RegExp(`^saveCheckpoint: tensor 'model\\.${name.replace(/\./g, '\\.')}' is NaN at element 2; refusing to write`));
    expect(readdirSync(dir)).not.toContain('nan.safetensors');
    const { tensors, metadata } = await checkpointToSafetensors({ model, allowNonFinite: true });
    writeFileSync(path, serializeSafetensors(tensors, metadata));
    const target = new MLP([2, 3, 2], { generator: new Generator(5) });
    await expect(loadCheckpoint(path, { model: target })).rejects.toThrow(new RegExp(`holds a non-finite value: tensor 'model\\.${name.replace(/\./g, '\\.')}' is NaN at element 2$`));
    const r = await loadCheckpoint(path, { model: target, allowNonFinite: true });
    expect(r.verified).toBe(true);
    target.dispose();
    model.dispose();
  });
});

describe('keepPrevious', () => {
  it('rotates the replaced checkpoint to <name>.prev.safetensors', async () => {
    const sub = mkdtempSync(join(dir, 'rot-'));
    const path = join(sub, 'checkpoint.safetensors');
    const prev = previousCheckpointPath(path);
    expect(prev).toBe(join(sub, 'checkpoint.prev.safetensors'));
    const model = new MLP([2, 3, 2], { generator: new Generator(0) });
    for (const step of [1, 2, 3]) await saveCheckpoint(path, { model, step, keepPrevious: true });
    expect(readdirSync(sub).sort()).toEqual(['checkpoint.prev.safetensors', 'checkpoint.safetensors']);
    expect((await readCheckpointInfo(path)).step).toBe(3);
    expect((await readCheckpointInfo(prev)).step).toBe(2);
    model.dispose();
  });
});
