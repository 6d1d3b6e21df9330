/**
 * Models from bytes (the browser path): encoder and checkpoint as Uint8Arrays, checkpoints as
 * bytes that Node's `loadShapesModel` reads too; and `generateImages`' per-step callback.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator } from '@unihetero/tensor';
import { serializeSafetensors } from '@unihetero/safetensors';
import { defaultEncoderPath } from '@unihetero/vision';
import { createShapesModelFrom, generateImages, loadEncoderFromBytes, loadShapesModel, loadShapesModelFromBytes, readCheckpointMetaFromBytes, shapesCheckpointBytes, type GenerationStep } from '../src/index.js';
import { TINY, tinyModel } from './helpers.js';

const spec = { preset: 'exp2', seed: 3, config: { backbone: { ...TINY.backbone }, flow: { ...TINY.flow } } };

async function params(model: { stateDict(): Map<string, { data(): Promise<ArrayLike<number>> }> }): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of model.stateDict()) out[k] = Array.from(await t.data());
  return out;
}

describe('shapes-world models from bytes', () => {
  it('builds from encoder bytes the same model as from the shipped file', async () => {
    const bytes = new Uint8Array(await readFile(await defaultEncoderPath()));
    const a = await createShapesModelFrom(spec, bytes);
    const b = await tinyModel('exp2', { seed: 3 });
    expect(a.spec).toEqual(b.spec);
    expect(await params(a.model)).toEqual(await params(b.model));
  });

  it('round-trips a checkpoint through bytes, and through a file that loadShapesModel reads', async () => {
    const encoder = await loadEncoderFromBytes(new Uint8Array(await readFile(await defaultEncoderPath())));
    const built = await createShapesModelFrom(spec, encoder);
    const bytes = await shapesCheckpointBytes(built, { step: 20, extra: { source: 'test' } });
    expect(readCheckpointMetaFromBytes(bytes)).toEqual({ step: 20, extra: { source: 'test', build: built.spec } });
    const again = await loadShapesModelFromBytes(bytes, encoder);
    expect(again.step).toBe(20);
    expect(again.extra.source).toBe('test');
    expect(await params(again.model)).toEqual(await params(built.model));
    const dir = await mkdtemp(join(tmpdir(), 'unihetero-portable-'));
    await writeFile(join(dir, 'c.safetensors'), bytes);
    const fromFile = await loadShapesModel(join(dir, 'c.safetensors'));
    expect(fromFile.step).toBe(20);
    expect(await params(fromFile.model)).toEqual(await params(built.model));
  });

  it('names what is wrong with bytes that are not a checkpoint', async () => {
    const plain = serializeSafetensors({ x: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } });
    expect(() => readCheckpointMetaFromBytes(plain)).toThrow(/readCheckpointMetaFromBytes: not a unihetero checkpoint \(\d+ bytes, no 'unihetero.checkpoint' metadata\)/);
  });
});

describe('generateImages onStep', () => {
  it('reports every step of the full pass, revealing each position once, with the same result as without it', async () => {
    const { model } = await tinyModel('exp3', { seed: 4 });
    const prompts = [model.tokenizer.encode('a red circle at the top left.', { bos: false, eos: false })];
    const seen: { step: number; steps: number; revealed: number[]; nonzeroRows: number }[] = [];
    const onStep = async (s: GenerationStep) => {
      const lat = s.latents ? Array.from(await s.latents.data()) : [];
      const C = lat.length / 64;
      let rows = 0;
      for (let r = 0; r < 64; r++) if (lat.slice(r * C, (r + 1) * C).some((v) => v !== 0)) rows++;
      seen.push({ step: s.step, steps: s.steps, revealed: Array.from(s.revealed), nonzeroRows: rows });
    };
    const a = await generateImages(model, prompts, { steps: 4, generator: new Generator(7), onStep });
    const b = await generateImages(model, prompts, { steps: 4, generator: new Generator(7) });
    expect(seen.map((s) => [s.step, s.steps])).toEqual([[1, 4], [2, 4], [3, 4], [4, 4]]);
    expect(seen.flatMap((s) => s.revealed).sort((x, y) => x - y)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    let total = 0;
    for (const s of seen) {
      total += s.revealed.length;
      expect(s.nonzeroRows).toBe(total);
    }
    expect(Array.from(await a.latents!.data())).toEqual(Array.from(await b.latents!.data()));
    for (const g of [a, b]) {
      g.embeddings.dispose();
      g.predictions.dispose();
      g.latents?.dispose();
    }
  });
});
