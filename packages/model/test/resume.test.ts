import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memory, tensor, tidy } from '@unihetero/tensor';
import { Trainer, type BatchFeatureEncoder, type StepMetrics } from '../src/index.js';
import { tinyModel } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'unihetero-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const strip = (m: StepMetrics) => ({ ...m, ms: 0 });
const opts = { samples: 32, batchSize: 8, seed: 3, lr: 3e-3 };

describe('Trainer', () => {
  it('with a feature encoder (one batch ahead) takes exactly the steps of one encoding on its own thread', async () => {
    const a = await tinyModel('exp3', { seed: 1 });
    const straight = new Trainer(a.model, a.world, opts);
    const full: StepMetrics[] = [];
    while (!straight.done) full.push(strip(await straight.trainStep()));

    const b = await tinyModel('exp3', { seed: 1 });
    const requests: number[] = [];
    // The model's own encoder behind an asynchronous interface, as a worker thread would answer.
    const encoder: BatchFeatureEncoder = {
      encode: async (images, batch) => {
        requests.push(batch);
        await new Promise((r) => setTimeout(r, 1));
        return tidy(() => b.model.semanticEncoder.encode(tensor(images, { shape: [batch, 3, 32, 32] })).dataSync() as Float32Array).slice();
      },
    };
    const ahead = new Trainer(b.model, b.world, opts);
    ahead.setFeatureEncoder(encoder);
    const got: StepMetrics[] = [];
    while (!ahead.done) got.push(strip(await ahead.trainStep()));
    expect(got).toEqual(full);
    expect(requests).toEqual([8, 8, 8, 8]); // each batch encoded once: the next one is sent while a step trains
  });

  it('a feature encoder that fails stops the step with its error, before any update', async () => {
    const a = await tinyModel('exp3', { seed: 1 });
    const t = new Trainer(a.model, a.world, opts);
    t.setFeatureEncoder({ encode: async () => Promise.reject(new Error('worker gone')) });
    await expect(t.trainStep()).rejects.toThrow('worker gone');
    expect(t.step).toBe(0);
  });

  it('resumes after a simulated kill with exactly the uninterrupted losses', async () => {
    const a = await tinyModel('exp3', { seed: 1 });
    const straight = new Trainer(a.model, a.world, opts);
    const full: StepMetrics[] = [];
    while (!straight.done) full.push(strip(await straight.trainStep()));
    expect(full.length).toBe(4);

    const b = await tinyModel('exp3', { seed: 1 });
    const first = new Trainer(b.model, b.world, opts);
    const part: StepMetrics[] = [strip(await first.trainStep()), strip(await first.trainStep())];
    const path = join(dir, 'ckpt.safetensors');
    await first.save(path, { build: b.spec });
    b.model.dispose(); // the "killed" process

    const c = await tinyModel('exp3', { seed: 99 }); // different init: everything must come from the checkpoint
    const resumed = new Trainer(c.model, c.world, opts);
    await resumed.resume(path);
    expect(resumed.step).toBe(2);
    while (!resumed.done) part.push(strip(await resumed.trainStep()));
    expect(part).toEqual(full);
  });

  it('refuses a checkpoint of a different run and a finished run', async () => {
    const a = await tinyModel('exp3', { seed: 1 });
    const t = new Trainer(a.model, a.world, opts);
    await t.trainStep();
    const path = join(dir, 'other.safetensors');
    await t.save(path);
    const other = new Trainer(a.model, a.world, { ...opts, batchSize: 4 });
    await expect(other.resume(path)).rejects.toThrow(/was trained with batchSize = 8, this run has 4/);
    while (!t.done) await t.trainStep();
    await expect(t.trainStep()).rejects.toThrow(/the run is complete \(4 steps\)/);
  });

  it('lrScale trains the parameters under a name prefix at a multiple of the scheduled rate', async () => {
    const a = await tinyModel('exp3', { seed: 1 });
    const t = new Trainer(a.model, a.world, { ...opts, lrScale: { flow_head: 2 } });
    const flow = new Set(a.model.namedParameters().filter(([n]) => n.startsWith('flow_head.')).map(([, p]) => p));
    expect(flow.size).toBeGreaterThan(0);
    const groups = t.optimizer.paramGroups;
    for (const g of groups) expect(g.params.every((p) => flow.has(p))).toBe(g.lrScale === 2);
    expect(groups.filter((g) => g.lrScale === 2).reduce((n, g) => n + g.params.length, 0)).toBe(flow.size);
    await t.trainStep();
    const base = groups.find((g) => g.lrScale === undefined)!.lr;
    expect(base).toBeGreaterThan(0);
    for (const g of groups) expect(g.lr).toBeCloseTo(g.lrScale === 2 ? 2 * base : base, 15);
    const path = join(dir, 'scaled.safetensors');
    await t.save(path);
    const plain = new Trainer(a.model, a.world, opts);
    await expect(plain.resume(path)).rejects.toThrow(/does not fit this trainer's optimizer \(AdamW.loadStateDict: .*another lrScale than \{\}/);
    expect(() => new Trainer(a.model, a.world, { ...opts, lrScale: { nope: 2 } })).toThrow(/lrScale prefix 'nope' names no trainable parameter \(top-level modules: .*flow_head/);
    expect(() => new Trainer(a.model, a.world, { ...opts, lrScale: { flow_head: 0 } })).toThrow("Trainer: lrScale['flow_head'] must be a positive finite number, got 0");
  });

  it("gradClipGroups clips the flow head apart: exp2's backbone step no longer depends on the diffuloss weight", async () => {
    // exp2 stops the diffuloss at the hidden state, so beta changes only the flow head's gradient;
    // under one global clip it still rescales the backbone's step, under separate groups it cannot.
    const backboneAfterStep = async (beta: number, gradClipGroups?: string[][]) => {
      const m = await tinyModel('exp2', { seed: 1, config: { loss: { beta } } });
      const t = new Trainer(m.model, m.world, { ...opts, gradClip: 1e-3, ...(gradClipGroups ? { gradClipGroups } : {}) });
      const metrics = await t.trainStep();
      const lm = m.model.namedParameters().filter(([n]) => n.startsWith('lm.'));
      return { gradNorm: metrics.gradNorm, lm: await Promise.all(lm.map(async ([, p]) => Array.from(await p.data()))) };
    };
    const groups = [['flow_head']];
    const [a, b] = [await backboneAfterStep(10, groups), await backboneAfterStep(20, groups)];
    expect(a.lm).toEqual(b.lm);
    expect(b.gradNorm).toBeGreaterThan(a.gradNorm);
    const [c, d] = [await backboneAfterStep(10), await backboneAfterStep(20)];
    expect(c.lm).not.toEqual(d.lm);
    expect(c.gradNorm).toBeCloseTo(a.gradNorm, 4);
    const m = await tinyModel('exp2', { seed: 1 });
    expect(() => new Trainer(m.model, m.world, { ...opts, gradClipGroups: [['nope']] })).toThrow(/gradClipGroups prefix 'nope' names no trainable parameter \(top-level modules: .*flow_head/);
    expect(() => new Trainer(m.model, m.world, { ...opts, gradClipGroups: [['flow_head'], ['flow_head.']] })).toThrow(/gradClipGroups prefix 'flow_head\.' names no trainable parameter/);
    expect(() => new Trainer(m.model, m.world, { ...opts, gradClipGroups: [['flow_head'], ['flow_head']] })).toThrow(/is in gradClipGroups\[0\] and gradClipGroups\[1\]/);
    expect(() => new Trainer(m.model, m.world, { ...opts, gradClipGroups: [[]] })).toThrow('Trainer: gradClipGroups[0] must be a non-empty list of parameter-name prefixes, got []');
  });

  it('holds memory flat over steps and stops on a non-finite loss naming the part', async () => {
    const a = await tinyModel('exp3', { seed: 2 });
    const t = new Trainer(a.model, a.world, { samples: 48, batchSize: 8, seed: 1 });
    await t.trainStep();
    const base = memory().tensors;
    for (let i = 0; i < 3; i++) await t.trainStep();
    expect(memory().tensors).toBe(base);
    // Poison the flow head: its loss (and the total) become NaN.
    const w = a.model.flow_head.parameters()[0]!;
    w.assign(w.mul(Number.NaN));
    await expect(t.trainStep()).rejects.toThrow(/training stopped at step 4: loss part 'diffuloss' is NaN/);
    expect(t.step).toBe(4);
  });
});
