// The runner behind the table in docs/generation.md: train a shapes-world model with a config
// (preset exp2 unless --preset), print the generation ladder every --evalEvery samples, then the
// full ladder (32 test images per rung, 16 round trips) and multiple-choice accuracy at the end.
// Run from the repository root after `npm ci && npm run build`, e.g.
//   node docs/generation/ladder-run.mjs --name row-5 --config "$(cat docs/generation/row-5.json)" --samples 64000 --evalEvery 16000
// Options: --samples (6400) --batch (16) --lr (3e-3) --seed (0) --preset (exp2) --steps (8 MAR steps)
// --count (32 images per rung) --questions (100 per split) --trainer JSON (extra Trainer options)
// --gen JSON (extra generation options for the final ladder, e.g. '{"temperature":0.5}')
// --evalEvery N (a small ladder every N samples) --load CHECKPOINT (evaluate only).
// Outputs under runs/ladder/<name>/.
import { createShapesModel, Trainer, diagnoseGeneration, evaluateUnderstanding, loadShapesModel } from '@unihetero/model';
import { writeSheet } from '@unihetero/data';
import { writeFileSync, mkdirSync } from 'node:fs';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (v.startsWith('--') ? [...a, [v.slice(2), all[i + 1]]] : a), []));
const name = args.name ?? 'exp';
const out = `runs/ladder/${name}`;
mkdirSync(out, { recursive: true });
const config = args.config ? JSON.parse(args.config) : {};
const samples = Number(args.samples ?? 6400);
const batchSize = Number(args.batch ?? 16);
const lr = Number(args.lr ?? 3e-3);
const seed = Number(args.seed ?? 0);
const preset = args.preset ?? 'exp2';
const steps = Number(args.steps ?? 8);
const count = Number(args.count ?? 32);
const t0 = performance.now();
let built;
if (args.load) {
  built = await loadShapesModel(args.load);
} else {
  built = await createShapesModel({ preset, config, seed });
  const trainer = new Trainer(built.model, built.world, { samples, batchSize, lr, seed, ...(args.trainer ? JSON.parse(args.trainer) : {}) });
  await trainer.warmupFlow();
  let last = performance.now();
  const acc = {};
  const evalEvery = Number(args.evalEvery ?? 0);
  const pctq = (v) => (100 * v).toFixed(1);
  while (!trainer.done) {
    const m = await trainer.trainStep();
    if (evalEvery > 0 && m.samples % evalEvery === 0 && !trainer.done) {
      const q = await diagnoseGeneration(built.model, built.world, { count: 16, probeImages: 256, roundTrips: 8, generate: { steps } });
      const u = await evaluateUnderstanding(built.model, built.world, { split: 'test', count: 64 });
      console.error(`[${name}] @${m.samples}: decoder ${pctq(q.decoder.scores.objectAccuracy)} semantics ${pctq(q.semantics.scores.objectAccuracy)} (pos ${pctq(q.semantics.scores.position)} col ${pctq(q.semantics.scores.colour)} shp ${pctq(q.semantics.scores.shape)}) e2e ${pctq(q.endToEnd.scores.objectAccuracy)} (pos ${pctq(q.endToEnd.scores.position)} col ${pctq(q.endToEnd.scores.colour)} shp ${pctq(q.endToEnd.scores.shape)}) rt ${pctq(q.roundTrip.objectRecall)} und ${pctq(u.accuracy)}`);
    }
    for (const k of ['loss', 'text', 'ploss', 'diffuloss']) acc[k] = (acc[k] ?? 0) + m[k];
    if (m.step % 100 === 0 || trainer.done) {
      const now = performance.now();
      const n = m.step % 100 || 100;
      console.error(`[${name}] step ${m.step}/${trainer.totalSteps} ${((100 * batchSize) / ((now - last) / 1000)).toFixed(1)} samples/s  loss ${(acc.loss / n).toFixed(3)} text ${(acc.text / n).toFixed(3)} ploss ${(acc.ploss / n).toFixed(4)} diff ${(acc.diffuloss / n).toFixed(4)}`);
      for (const k in acc) acc[k] = 0;
      last = now;
    }
  }
  await trainer.save(`${out}/checkpoint.safetensors`, { build: built.spec });
}
const trainS = (performance.now() - t0) / 1000;
const t1 = performance.now();
const gen = { steps, ...(args.gen ? JSON.parse(args.gen) : {}) };
const d = await diagnoseGeneration(built.model, built.world, { count, generate: gen, roundTrips: 16 });
const und = await evaluateUnderstanding(built.model, built.world, { split: 'test', count: Number(args.questions ?? 100) });
const undH = await evaluateUnderstanding(built.model, built.world, { split: 'heldout', count: Number(args.questions ?? 100) });
const pct = (v) => (100 * v).toFixed(1);
const f = (s) => `obj ${pct(s.objectAccuracy)} (pos ${pct(s.position)} col ${pct(s.colour)} shp ${pct(s.shape)} size ${pct(s.size)}) exact ${pct(s.exact)}`;
const lines = [
  `[${name}] train ${trainS.toFixed(0)}s eval ${((performance.now() - t1) / 1000).toFixed(0)}s`,
  `  decoder    ${f(d.decoder.scores)}`,
  `  semantics  ${f(d.semantics.scores)}   ceiling ${pct(d.semantics.ceiling.objectAccuracy)}`,
  `  end2end    ${f(d.endToEnd.scores)}`,
  `  roundtrip  recall ${pct(d.roundTrip.objectRecall)} exact ${pct(d.roundTrip.exact)} unparsable ${pct(d.roundTrip.unparsable)}`,
  `  understand test ${pct(und.accuracy)} heldout ${pct(undH.accuracy)}`,
];
console.log(lines.join('\n'));
writeFileSync(`${out}/result.txt`, lines.join('\n') + '\n' + JSON.stringify({ args, rt: d.roundTrip.examples.slice(0, 4) }, null, 1));
await writeSheet(`${out}/gen.png`, d.endToEnd.images.slice(0, 16), d.endToEnd.captions.slice(0, 16));
await writeSheet(`${out}/dec.png`, d.decoder.images.slice(0, 16), d.decoder.captions.slice(0, 16));
