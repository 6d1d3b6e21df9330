/**
 * Pretrain the embedded default semantic encoder (docs/method.md 14: ViT, patch 4, d_v 64, 4 layers,
 * 4 heads, 32x32 input, DINOv2 layout) on the shapes world's `encoder` split, then freeze it.
 *
 * Objective: every patch token (after the final LayerNorm) predicts, through one linear head, the
 * occupancy of the grid cell containing the token's centre (all tokens) and, for occupied cells,
 * the object's colour, shape and size (each a cross-entropy over the occupied tokens only, so the
 * many empty tokens do not drown the object signal). The head is thrown away; only the ViT is saved, in the Hugging Face Dinov2Model layout.
 * At the end a closed-form ridge probe fit on frozen per-cell features of the `train` split is
 * scored on the `test` split (and, for reference, the same probe on a randomly initialised ViT).
 *
 *   cd packages/vision
 *   node scripts/run.mjs scripts/pretrain-encoder.ts --seed 0 --steps 500
 *
 * Options: --seed N (init, batch order; default 0), --steps N (default 500), --batch N (default
 * 32), --lr X (peak AdamW lr, default 1e-3), --out DIR (default weights), --probe N (images per
 * probe split, default 256).
 */
import { Generator, crossEntropy, memory, noGrad, tensor, tidy, type Tensor } from '@unihetero/tensor';
import { AdamW, LRScheduler, Linear, clipGradNorm, linearWarmupCosine, paramGroupsNoDecay } from '@unihetero/nn';
import { ShapesWorld, imagesToTensor, type SplitName } from '@unihetero/data';
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Dinov2Model, SHAPES_VIT_TINY, fitRidgeProbe, poolCells, saveDinov2, tokenCells } from '../src/index.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`pretrain-encoder: --${name} needs a number, got '${process.argv[i + 1]}'`);
  return v;
}
function argStr(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : String(process.argv[i + 1]);
}

const seed = arg('seed', 0);
const steps = arg('steps', 500);
const batch = arg('batch', 32);
const lr = arg('lr', 1e-3);
const probeImages = arg('probe', 256);
const outDir = resolve(argStr('out', 'weights'));

const world = new ShapesWorld(); // the default world (seed 0, 32x32, 3x3 grid)
const { colours, shapes } = world.config;
const layout = world.layout;
const config = { ...SHAPES_VIT_TINY, imageSize: layout.imageSize };
const tokenGrid = { height: config.imageSize / config.patchSize, width: config.imageSize / config.patchSize };
const cellOfToken = tokenCells(layout, tokenGrid, config.patchSize);
const numCells = layout.grid * layout.grid;
const nTok = cellOfToken.length;
/** Probe classes per cell: 0 = empty, then the attribute's index + 1. */
const heads = { colour: colours.length + 1, shape: shapes.length + 1 };
/** Training head widths: occupancy (all tokens), then colour / shape / size of occupied cells. */
const train = { occupied: 2, colour: colours.length, shape: shapes.length, size: 2 };

/** Images and per-token / per-cell targets of `count` samples of a split starting at `start`. */
function batchOf(split: SplitName, start: number, count: number) {
  const imgs = [];
  const cell = { colour: new Int32Array(count * numCells), shape: new Int32Array(count * numCells), size: new Int32Array(count * numCells) };
  for (let b = 0; b < count; b++) {
    const scene = world.scene(split, start + b);
    imgs.push(world.render(scene, start + b));
    const l = world.cellLabels(scene);
    for (let k = 0; k < numCells; k++) {
      cell.colour[b * numCells + k] = l.colour[k]! + 1;
      cell.shape[b * numCells + k] = l.shape[k]! + 1;
      cell.size[b * numCells + k] = l.size[k]! + 1;
    }
  }
  // Per token: occupancy of its cell (all tokens), and the object's attributes (occupied cells
  // only; -100 = ignored). Tokens whose centre is in the margin are ignored entirely.
  const tok = (a: Int32Array, occupancy: boolean) => {
    const t = new Int32Array(count * nTok);
    for (let b = 0; b < count; b++) {
      for (let i = 0; i < nTok; i++) {
        const k = cellOfToken[i]!;
        const v = k < 0 ? -1 : a[b * numCells + k]!;
        t[b * nTok + i] = k < 0 ? -100 : occupancy ? (v > 0 ? 1 : 0) : v > 0 ? v - 1 : -100;
      }
    }
    return t;
  };
  return {
    images: imagesToTensor(imgs),
    cell,
    token: { occupied: tok(cell.colour, true), colour: tok(cell.colour, false), shape: tok(cell.shape, false), size: tok(cell.size, false) },
  };
}

/** Frozen per-cell features `[count·9, d]` of a split. */
async function cellFeatures(model: Dinov2Model, split: SplitName, count: number) {
  const chunks: Float32Array[] = [];
  const labels = { colour: [] as number[], shape: [] as number[] };
  for (let s = 0; s < count; s += 64) {
    const n = Math.min(64, count - s);
    const b = batchOf(split, s, n);
    const f = noGrad(() => model.patchTokens(b.images));
    chunks.push(poolCells(await f.data(), n, config.hiddenSize, cellOfToken, numCells));
    f.dispose();
    b.images.dispose();
    labels.colour.push(...b.cell.colour);
    labels.shape.push(...b.cell.shape);
  }
  const all = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return { features: all, labels };
}

/**
 * Ridge probe fit on all cells of `train` (class 0 = empty), scored on the test split's occupied
 * cells (the object's colour / shape) and on all its cells.
 */
async function probe(model: Dinov2Model) {
  model.eval();
  const fit = await cellFeatures(model, 'train', probeImages);
  const ev = await cellFeatures(model, 'test', probeImages);
  const d = config.hiddenSize;
  const occ = ev.labels.colour.flatMap((c, i) => (c > 0 ? [i] : []));
  const occFeat = new Float32Array(occ.length * d);
  occ.forEach((i, j) => occFeat.set(ev.features.subarray(i * d, (i + 1) * d), j * d));
  const score = (k: 'colour' | 'shape', n: number) => {
    const p = fitRidgeProbe(fit.features, fit.labels[k], d, n);
    return { occupied: p.accuracy(occFeat, occ.map((i) => ev.labels[k][i]!)), all: p.accuracy(ev.features, ev.labels[k]) };
  };
  return { colour: score('colour', heads.colour), shape: score('shape', heads.shape), occupiedCells: occ.length, cells: ev.labels.colour.length };
}
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const fmtProbe = (r: Awaited<ReturnType<typeof probe>>) =>
  `colour ${pct(r.colour.occupied)} / shape ${pct(r.shape.occupied)} on ${r.occupiedCells} occupied cells; colour ${pct(r.colour.all)} / shape ${pct(r.shape.all)} on all ${r.cells} cells`;

const gen = new Generator(seed);
const model = new Dinov2Model(config, { generator: gen });
const baseline = await probe(model);
console.log(`random-init ViT, ridge probe on the test split: ${fmtProbe(baseline)}`);
model.train();
const head = new Linear(config.hiddenSize, train.occupied + train.colour + train.shape + train.size, { generator: gen, init: { normal: 0.02 } });
const opt = new AdamW([...paramGroupsNoDecay(model, { weightDecay: 0.05 }), { params: head.parameters(), weightDecay: 0 }], { lr, betas: [0.9, 0.95] });
const sched = new LRScheduler(opt, linearWarmupCosine({ lr, warmupSteps: Math.min(20, steps), totalSteps: steps, minLr: lr * 0.05 }));

const t0 = performance.now();
let base = memory();
for (let step = 0; step < steps; step++) {
  const data = batchOf('encoder', step * batch, batch); // every image is seen once
  const targets = {
    occupied: tensor(data.token.occupied, { dtype: 'int32' }),
    colour: tensor(data.token.colour, { dtype: 'int32' }),
    shape: tensor(data.token.shape, { dtype: 'int32' }),
    size: tensor(data.token.size, { dtype: 'int32' }),
  };
  opt.zeroGrad();
  const losses = tidy(() => {
    const f = model.patchTokens(data.images).reshape([batch * nTok, config.hiddenSize]);
    const logits = head.forward(f);
    const part = (start: number, n: number, y: Tensor) => crossEntropy(logits.narrow(1, start, n), y, { ignoreIndex: -100 });
    const lo = part(0, train.occupied, targets.occupied);
    const lc = part(train.occupied, train.colour, targets.colour);
    const ls = part(train.occupied + train.colour, train.shape, targets.shape);
    const lz = part(train.occupied + train.colour + train.shape, train.size, targets.size);
    return [lo.add(lc).add(ls).add(lz), lo, lc, ls, lz] as Tensor[];
  });
  losses[0]!.backward();
  clipGradNorm([...model.parameters(), ...head.parameters()], 1.0).dispose();
  opt.step();
  sched.step();
  if (step % 20 === 0 || step === steps - 1) {
    const [l, lo, lc, ls, lz] = await Promise.all(losses.map((t) => t.item()));
    const sec = (performance.now() - t0) / 1000;
    console.log(`step ${String(step).padStart(4)}/${steps}  loss ${l!.toFixed(4)} (occupied ${lo!.toFixed(3)} colour ${lc!.toFixed(3)} shape ${ls!.toFixed(3)} size ${lz!.toFixed(3)})  lr ${opt.paramGroups[0]!.lr.toExponential(2)}  ${sec.toFixed(0)}s  live tensors ${memory().tensors - base.tensors}`);
  }
  if (step === 0) base = memory();
  for (const t of losses) t.dispose();
  for (const t of Object.values(targets)) t.dispose();
  data.images.dispose();
}
const trainSec = (performance.now() - t0) / 1000;
const result = await probe(model);
console.log(`pretrained ViT, ridge probe on the test split: ${fmtProbe(result)} (${trainSec.toFixed(0)}s of training)`);

mkdirSync(outDir, { recursive: true });
const weights = join(outDir, 'shapes-vit-tiny.safetensors');
const record = { command: `node scripts/run.mjs scripts/pretrain-encoder.ts --seed ${seed} --steps ${steps} --batch ${batch} --lr ${lr} --probe ${probeImages}`, seed, steps, batch, lr, world: 'ShapesWorld() defaults, encoder split', probe: { images: probeImages, fit: 'train', eval: 'test', ...result }, baseline, trainSeconds: Math.round(trainSec) };
await saveDinov2(model, weights, { configPath: join(outDir, 'shapes-vit-tiny.config.json'), metadata: { 'unihetero.pretraining': JSON.stringify(record) } });
console.log(`wrote ${weights} and shapes-vit-tiny.config.json`);
