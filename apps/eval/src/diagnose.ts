/**
 * `unihetero-eval diagnose --checkpoint <file>`: the generation ladder on held-out test data, one
 * number per rung, so a person sees where text -> image breaks:
 *
 * - decoder: real test images' semantic tokens as a fully visible span, pixels decoded by the flow
 *   head, judged;
 * - semantics: semantic tokens generated from captions, read by a linear probe fitted on the
 *   invert-projector targets of training images (per cell: colour or empty, shape, size); the
 *   same probe on the true targets is the ceiling;
 * - end to end: the full MAR loop to pixels, judged; and the text -> semantics -> text round trip.
 */
import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { Backend } from '@unihetero/tensor';
import { writeSheet } from '@unihetero/data';
import { diagnoseGeneration, formatObjectRecallBreakdown, loadShapesModel, type DiagnosisReport } from '@unihetero/model';
import { readCheckpointInfo } from '@unihetero/nn';
import { needsShapesWorld } from './folder.js';
import type { EvalIO } from './io.js';
import { markdownTable } from './report.js';

/** Options of `runDiagnose`. */
export interface DiagnoseCommandOptions {
  checkpoint: string;
  /** Images per rung (default 32). */
  count: number;
  /** Training images the probe is fitted on. */
  probeImages: number;
  /** Round-trip captions. */
  roundTrips: number;
  /** MAR steps. */
  steps: number;
  /** Classifier-free guidance on the flow velocity (1 = off). */
  guidance?: number;
  /** Classifier-free guidance on the semantic predictions (1 = off). */
  semanticGuidance?: number;
  /** Scale of the flow sampler's initial noise (default: the checkpoint config's `flow.sampleTemperature`). */
  temperature?: number;
  /** Split of the evaluation data ('test' or 'heldout'). */
  split: 'test' | 'heldout';
  /** Write the numbers as JSON here. */
  json?: string;
  /** Write sheets of reconstructions and generations with this path prefix (`-decoder.png`, `-generated.png`). */
  sheets?: string | null;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The three headline numbers of a diagnosis, as one line (the demo prints it too). */
export function ladderLine(d: DiagnosisReport): string {
  return `decoder ${pct(d.decoder.scores.objectAccuracy)} | semantics ${pct(d.semantics.scores.objectAccuracy)} (ceiling ${pct(d.semantics.ceiling.objectAccuracy)}) | end to end ${pct(d.endToEnd.scores.objectAccuracy)} | round trip ${pct(d.roundTrip.objectRecall)} (ceiling ${pct(d.roundTripCeiling.objectRecall)})`;
}

/** The ladder as a markdown table: one row per rung, objects and attributes. */
export function ladderTable(d: DiagnosisReport): string {
  const row = (name: string, s: { objectAccuracy: number; position: number; colour: number; shape: number; size: number; exact: number }, n: number) => [
    name,
    pct(s.objectAccuracy),
    pct(s.position),
    pct(s.colour),
    pct(s.shape),
    pct(s.size),
    pct(s.exact),
    `${n}`,
  ];
  return markdownTable(
    ['rung', 'objects', 'position', 'colour', 'shape', 'size', 'exact images', 'images'],
    [
      row('decoder (real semantics -> pixels)', d.decoder.scores, d.decoder.count),
      row('semantics (caption -> tokens, probe)', d.semantics.scores, d.semantics.count),
      row('  probe ceiling (true tokens)', d.semantics.ceiling, d.semantics.count),
      row('end to end (caption -> pixels)', d.endToEnd.scores, d.endToEnd.images.length),
    ],
  ) +
    `\n\nround trip (caption -> tokens -> caption): object recall ${pct(d.roundTrip.objectRecall)}, exact ${pct(d.roundTrip.exact)}, unparsable ${pct(d.roundTrip.unparsable)} over ${d.roundTrip.count} captions; ceiling (the model's captions of the real images): object recall ${pct(d.roundTripCeiling.objectRecall)}, exact ${pct(d.roundTripCeiling.exact)}` +
    `\n  round trip by objects in the scene: ${formatObjectRecallBreakdown(d.roundTrip)}` +
    `\n  ceiling by objects in the scene:    ${formatObjectRecallBreakdown(d.roundTripCeiling)}`;
}

/** Run the ladder on a checkpoint; prints the table and returns the report. */
export async function runDiagnose(o: DiagnoseCommandOptions, backend: Backend, io: EvalIO): Promise<DiagnosisReport> {
  if (!existsSync(o.checkpoint)) throw new Error(`diagnose: checkpoint '${o.checkpoint}' does not exist`);
  // A checkpoint of unihetero-train --data has no judge to climb the ladder with: refused before loading anything.
  const build = ((await readCheckpointInfo(o.checkpoint)).extra as { build?: { data?: unknown } } | undefined)?.build;
  if (typeof build?.data === 'string') throw needsShapesWorld('diagnose', 'the shapes-world judge and scene parser (every rung is scored by them)', o.checkpoint, build.data);
  io.progress(`diagnose: loading ${o.checkpoint}`);
  const { model, world, preset, step } = await loadShapesModel(o.checkpoint, backend);
  try {
    const steps = Math.min(o.steps, model.numVisualTokens);
    const guidance = { guidance: o.guidance ?? 1, semanticGuidance: o.semanticGuidance ?? 1 };
    const guided = guidance.guidance !== 1 || guidance.semanticGuidance !== 1 ? `, guidance ${guidance.guidance} (pixels) / ${guidance.semanticGuidance} (semantics)` : '';
    const temperature = o.temperature ?? model.config.flow.sampleTemperature;
    io.progress(`diagnose: ${preset.name} at step ${step}; ${o.count} ${o.split} images per rung, probe on ${o.probeImages} training images, ${steps} MAR steps, flow temperature ${temperature}${guided}`);
    const d = await diagnoseGeneration(model, world, { split: o.split, count: o.count, probeImages: o.probeImages, roundTrips: o.roundTrips, generate: { steps, temperature, ...guidance } });
    io.out(`${o.checkpoint} (${preset.name}, step ${step}), ${o.split} split\n`);
    io.out(ladderTable(d));
    const written: string[] = [];
    if (o.sheets) {
      const a = await writeSheet(`${o.sheets}-decoder.png`, d.decoder.images.slice(0, 16), d.decoder.captions.slice(0, 16));
      const b = await writeSheet(`${o.sheets}-generated.png`, d.endToEnd.images.slice(0, 16), d.endToEnd.captions.slice(0, 16));
      written.push(a.png, b.png);
    }
    if (o.json) {
      const strip = { ...d, decoder: { ...d.decoder, images: undefined }, endToEnd: { ...d.endToEnd, images: undefined } };
      await writeFile(o.json, `${JSON.stringify({ checkpoint: o.checkpoint, preset: preset.name, step, options: o, report: strip }, null, 2)}\n`);
      written.push(o.json);
    }
    if (written.length) io.out(`\nWrote ${written.join(', ')}.`);
    return d;
  } finally {
    model.dispose();
  }
}
