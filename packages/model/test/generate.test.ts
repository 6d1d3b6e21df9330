import { describe, expect, it } from 'vitest';
import { Generator } from '@unihetero/tensor';
import { imagesToTensor } from '@unihetero/data';
import { answerQuestions, generateImages, roundTrip, type GenerateOptions } from '../src/index.js';
import { tinyModel } from './helpers.js';

async function run(model: Awaited<ReturnType<typeof tinyModel>>['model'], prompts: number[][], options: GenerateOptions) {
  const g = await generateImages(model, prompts, options);
  const out = { images: g.images, latents: g.latents ? Array.from(await g.latents.data()) : null, embeddings: Array.from(await g.embeddings.data()) };
  g.embeddings.dispose();
  g.predictions.dispose();
  g.latents?.dispose();
  return out;
}

describe('generateImages (MAR loop)', () => {
  it('is deterministic for a seed and returns images, latents and embeddings of the right shapes', async () => {
    const { model } = await tinyModel('exp3', { seed: 4 });
    const prompts = [model.tokenizer.encode('a red circle at the top left.', { bos: false, eos: false }), []];
    const a = await run(model, prompts, { steps: 4, generator: new Generator(7) });
    const b = await run(model, prompts, { steps: 4, generator: new Generator(7) });
    const c = await run(model, prompts, { steps: 4, generator: new Generator(8) });
    expect(a).toEqual(b);
    expect(a.latents).not.toEqual(c.latents);
    expect(a.images!.map((i) => [i.width, i.height])).toEqual([[32, 32], [32, 32]]);
    expect(a.latents!.length).toBe(2 * 64 * 48);
    expect(a.embeddings.length).toBe(2 * 64 * 32);
  });

  it('regeneration re-masks and rewrites only the chosen fraction of tokens', async () => {
    const { model } = await tinyModel('exp3', { seed: 4 });
    const prompts = [model.tokenizer.encode('a blue square at the bottom right.', { bos: false, eos: false })];
    const base = await run(model, prompts, { steps: 8, generator: new Generator(1), decodePixels: false });
    const regen = await run(model, prompts, { steps: 8, generator: new Generator(1), decodePixels: false, regenerationRounds: 1, regenerationFraction: 0.25 });
    const d = 32;
    let changed = 0;
    for (let j = 0; j < 64; j++) {
      const same = base.embeddings.slice(j * d, (j + 1) * d).every((v, k) => v === regen.embeddings[j * d + k]);
      if (!same) changed++;
    }
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThanOrEqual(16); // round(0.25 * 64) positions re-masked
    const lowest = await run(model, prompts, { steps: 8, generator: new Generator(1), decodePixels: false, regenerationRounds: 2, regenerationPolicy: 'lowest-agreement' });
    expect(lowest.embeddings.length).toBe(64 * d);
  });

  it("the flow temperature defaults to the config's flow.sampleTemperature", async () => {
    const cold = await tinyModel('exp3', { seed: 4, config: { flow: { sampleTemperature: 0.25 } } });
    const warm = await tinyModel('exp3', { seed: 4 });
    expect(warm.model.config.flow.sampleTemperature).toBe(1);
    const prompts = [cold.model.tokenizer.encode('a red circle at the top left.', { bos: false, eos: false })];
    const byConfig = await run(cold.model, prompts, { steps: 4, generator: new Generator(7) });
    const explicit = await run(warm.model, prompts, { steps: 4, temperature: 0.25, generator: new Generator(7) });
    const defaults = await run(warm.model, prompts, { steps: 4, generator: new Generator(7) });
    expect(byConfig.latents).toEqual(explicit.latents);
    expect(byConfig.latents).not.toEqual(defaults.latents);
    // An explicit option still wins over the config.
    expect((await run(cold.model, prompts, { steps: 4, temperature: 1, generator: new Generator(7) })).latents).toEqual(defaults.latents);
  });

  it('guidance, raster order and Heun run; bad options are errors', async () => {
    const { model } = await tinyModel('exp3', { seed: 4 });
    const p = [model.tokenizer.encode('a green ring in the middle.', { bos: false, eos: false })];
    const guided = await run(model, p, { steps: 4, guidance: 3, order: 'raster', flowSampler: 'heun', flowSteps: 3, generator: new Generator(2) });
    expect(guided.images!.length).toBe(1);
    await expect(generateImages(model, p, { steps: 65 })).rejects.toThrow(/steps must be an integer in \[1, 64\] \(the number of visual tokens\), got 65/);
    await expect(generateImages(model, [], {})).rejects.toThrow(/no prompts/);
    await expect(generateImages(model, p, { regenerationFraction: 0 })).rejects.toThrow(/regenerationFraction must be in \(0, 1\], got 0/);
  });

  it('semantic guidance commits u + w (c - u): the conditional and caption-dropped predictions, extrapolated', async () => {
    const { model } = await tinyModel('exp3', { seed: 4 });
    const caption = model.tokenizer.encode('a red circle at the top left.', { bos: false, eos: false });
    // One step reveals every token from the fully masked span, so c and u come from the same inputs.
    const once = async (prompt: number[], o: GenerateOptions = {}) => {
      const g = await generateImages(model, [prompt], { steps: 1, decodePixels: false, generator: new Generator(3), ...o });
      const out = Array.from(await g.predictions.data());
      g.embeddings.dispose();
      g.predictions.dispose();
      return out;
    };
    const c = await once(caption);
    const u = await once([]);
    const guided = await once(caption, { semanticGuidance: 2.5, guidanceSchedule: 'constant' });
    expect(c).not.toEqual(u);
    expect(guided.length).toBe(c.length);
    for (let i = 0; i < c.length; i++) expect(guided[i]).toBeCloseTo(u[i]! + 2.5 * (c[i]! - u[i]!), 4);
    // Weight 1 is the unguided run, bit for bit.
    expect(await once(caption, { semanticGuidance: 1 })).toEqual(c);
    await expect(generateImages(model, [caption], { semanticGuidance: Number.NaN })).rejects.toThrow(/semanticGuidance must be finite, got NaN/);
  });

  it('round trip and multiple choice run through the understanding path', async () => {
    const { model, world } = await tinyModel('exp3', { seed: 4 });
    const texts = await roundTrip(model, ['a red circle at the top left.'], { steps: 4, maxCaptionTokens: 5 });
    expect(texts.length).toBe(1);
    const s = world.sample('test', 3);
    const images = imagesToTensor([s.image], model.backend);
    const [r] = await answerQuestions(model, images, [{ question: s.question.text, options: s.question.options }]);
    images.dispose();
    expect(r!.logLikelihoods.length).toBe(4);
    expect(r!.logLikelihoods.every((v) => v < 0 && Number.isFinite(v))).toBe(true);
    expect(r!.choice).toBe(r!.logLikelihoods.indexOf(Math.max(...r!.logLikelihoods)));
  });
});
