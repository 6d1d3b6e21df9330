#!/usr/bin/env node
// Turn a training run's checkpoint (model + optimizer + EMA + RNG, written by unihetero-train) into
// the playground's shipped weights-only checkpoint: the model's tensors, its build spec, its step,
// and where it came from. Usage (after `npm run build`):
//   node apps/playground/scripts/export-checkpoint.mjs runs/demo/checkpoint.safetensors [apps/playground/public/models/shapes-world.safetensors]
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadShapesModel, readCheckpointMetaFromBytes, shapesCheckpointBytes } from '@unihetero/model';

const [src, outArg] = process.argv.slice(2);
if (!src) {
  console.error('usage: export-checkpoint.mjs <run checkpoint.safetensors> [out.safetensors]');
  process.exit(2);
}
const out = outArg ?? fileURLToPath(new URL('../public/models/shapes-world.safetensors', import.meta.url));
const original = readCheckpointMetaFromBytes(new Uint8Array(await readFile(src)));
const built = await loadShapesModel(src);
const run = original.extra.run;
const bytes = await shapesCheckpointBytes(built, {
  step: built.step,
  extra: { ...(run ? { run } : {}), ...(original.extra.tag ? { tag: original.extra.tag } : {}), exportedFrom: { file: resolve(src).replace(/^.*\/(runs\/)/, '$1'), step: built.step } },
});
await mkdir(dirname(out), { recursive: true });
await writeFile(out, bytes);
console.log(`export-checkpoint: ${built.preset.name} at step ${built.step} -> ${out} (${(bytes.byteLength / 1024).toFixed(0)} KiB, weights only)`);
