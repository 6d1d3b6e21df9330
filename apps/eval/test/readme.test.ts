import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { buildProgram, defaultDeps } from '../src/program.js';
import { ABLATION_RECIPE as FULL, QUICK_RECIPE as QUICK, QUICK_SIZE } from '../src/recipe.js';
import { cli } from './helpers.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every option of every command', () => {
    const program = buildProgram(defaultDeps, []);
    for (const c of program.commands) {
      expect(readme, c.name()).toContain(`\`${c.name()}`);
      for (const o of c.options) expect(readme, `${c.name()} ${o.long}`).toContain(o.long!);
    }
  });

  it('states the --quick sizes the code uses', () => {
    const m = QUICK_SIZE;
    expect(QUICK.config).toEqual({ ...FULL.config, backbone: { ...FULL.config.backbone, hiddenSize: m.hiddenSize, numHiddenLayers: m.layers, numAttentionHeads: m.heads }, flow: { ...FULL.config.flow, width: m.flowWidth, depth: m.flowDepth } });
    expect(readme).toContain(`| budgets | ${QUICK.scales.join(', ')} samples (${QUICK.scales.map((n) => n / QUICK.batchSize).join(', ')} steps of batch ${QUICK.batchSize}) | ${FULL.scales.join(', ')} |`);
    expect(readme).toContain(`| seeds | ${QUICK.seeds.join(', ')} | ${FULL.seeds.join(', ')} |`);
    expect(readme).toContain(`| model | d=${m.hiddenSize}, ${m.layers} layers, ${m.heads} heads; flow head ${m.flowWidth} wide, ${m.flowDepth} deep (exp4: ${m.flowWidth * 2}) over the recipe's config |`);
    expect(readme).toContain(`| MC questions per split | ${QUICK.eval.count} | ${FULL.eval.count} |`);
    expect(readme).toContain(`| captions / generated images / round trips | ${QUICK.eval.captionCount} / ${QUICK.eval.generationCount} / ${QUICK.eval.roundTripCount} | ${FULL.eval.captionCount} / ${FULL.eval.generationCount} / ${FULL.eval.roundTripCount} |`);
    expect(readme).toContain(`| generation | ${QUICK.eval.generationSteps} MAR steps, ${QUICK.eval.flowSteps} flow steps | ${FULL.eval.generationSteps}, ${FULL.eval.flowSteps} |`);
    expect(readme).toContain(`| flow warm-up (exp4) | ${QUICK.flowWarmupSteps} steps |`);
  });

  it('runs the help command of the example block', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('ablation');
    expect(r.out).toContain('evaluate');
  });
});
