import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuBackend } from '@unihetero/tensor';
import { Trainer, createShapesModel } from '@unihetero/model';
import { cli } from './helpers.js';

describe('diagnose', () => {
  it('needs an existing checkpoint', async () => {
    const r = await cli(['diagnose', '--checkpoint', '/nonexistent/ckpt.safetensors', '--backend', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.err).toContain("diagnose: checkpoint '/nonexistent/ckpt.safetensors' does not exist");
  });

  it('prints every rung of the ladder for a checkpoint and writes its numbers as JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'unihetero-diagnose-'));
    try {
      const config = { backbone: { hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2 }, flow: { width: 16, depth: 1 } };
      const built = await createShapesModel({ preset: 'exp2', config, seed: 0 }, new CpuBackend());
      const trainer = new Trainer(built.model, built.world, { samples: 4, batchSize: 2, seed: 0 });
      while (!trainer.done) await trainer.trainStep();
      const checkpoint = join(dir, 'checkpoint.safetensors');
      await trainer.save(checkpoint, { build: built.spec });
      built.model.dispose();
      const json = join(dir, 'ladder.json');
      const r = await cli(['diagnose', '--checkpoint', checkpoint, '--count', '2', '--probe-images', '16', '--roundtrip-count', '2', '--gen-steps', '2', '--guidance', '2', '--semantic-guidance', '1.5', '--temperature', '0.5', '--json', json, '--backend', 'cpu']);
      expect(r.code, r.err).toBe(0);
      for (const rung of ['decoder (real semantics -> pixels)', 'semantics (caption -> tokens, probe)', 'probe ceiling (true tokens)', 'end to end (caption -> pixels)']) expect(r.out).toContain(rung);
      expect(r.out).toMatch(/round trip \(caption -> tokens -> caption\): object recall \d+\.\d%, exact \d+\.\d%, unparsable \d+\.\d% over 2 captions; ceiling \(the model's captions of the real images\): object recall \d+\.\d%/);
      expect(r.out).toMatch(/round trip by objects in the scene: (\d objects? \d+\.\d% \(\d+\)(, )?)+; objects missed: position \d+, colour \d+, shape \d+, size \d+, absent \d+/);
      expect(r.out).toMatch(/ceiling by objects in the scene: +(\d objects? \d+\.\d% \(\d+\)(, )?)+; objects missed: position \d+/);
      const saved = JSON.parse(await readFile(json, 'utf8'));
      expect(saved).toMatchObject({ preset: 'exp2', step: 2, options: { guidance: 2, semanticGuidance: 1.5, temperature: 0.5 }, report: { roundTrip: { count: 2 } } });
      expect(saved.report.roundTripCeiling.objectRecall).toBeGreaterThanOrEqual(0);
      expect(Object.keys(saved.report.roundTrip.misses)).toEqual(['position', 'colour', 'shape', 'size', 'absent']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
