/**
 * REPORT.md from an ablation's numbers: the paper's Table 1 columns with ours beside the paper's
 * (docs/method.md 12.1), generation and round-trip metrics per preset, every checkpoint, the
 * Equation 6 fits, the exp2-vs-exp1 verdict (generated from the numbers), and how it was run.
 * Pure: the same results give the same text.
 */
import { formatDuration } from './io.js';
import { machineLine } from './machine.js';
import { paperRow } from './paper.js';
import type { AblationResults } from './results.js';
import { fmtR2, signed, type FitSummary, type PooledAccuracy, type PresetRun, type PresetSummary } from './summary.js';

/** A markdown table from a header and rows. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** `0.3125 ± 0.0820` (accuracy and its binomial standard error). */
export function formatAccuracy(p: PooledAccuracy): string {
  return `${p.accuracy.toFixed(4)} ± ${p.standardError.toFixed(4)}`;
}

const frac = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(4) : 'n/a');
const slope = (f: FitSummary | null) => (f ? signed(f.aPerMillion) : 'n/a');
const r2 = (f: FitSummary | null) => (f ? fmtR2(f.r2) : 'n/a');

/** Our diffuloss column: the weight, and whether its gradient stops at the LLM. */
export function diffulossCell(s: { beta: number; detachFlowCondition: boolean }): string {
  return s.beta > 0 && s.detachFlowCondition ? `${s.beta} (gradient stopped)` : `${s.beta}`;
}

/** The Table 1 comparison: our accuracies and slopes beside the paper's MMBench and its slope. */
export function table1(summaries: readonly PresetSummary[]): string {
  const header = ['ID', 'method', 'diffuloss', 'ploss', 'our MC accuracy (test)', 'our MC accuracy (heldout)', 'our slope a per 1M samples (test)', 'R^2', 'paper MMBench', 'paper MMBench slope a'];
  const rows = summaries.map((s) => {
    const p = paperRow(s.preset);
    return [s.preset, p?.method ?? s.description, diffulossCell(s), `${s.alpha}`, formatAccuracy(s.final.test), formatAccuracy(s.final.heldout), slope(s.fits.test), r2(s.fits.test), p ? p.mmbench.toFixed(4) : '-', p?.mmbenchSlope ?? '-'];
  });
  return markdownTable(header, rows);
}

/** Generation, round trip and captions at the largest scale, per preset. */
export function generationTable(summaries: readonly PresetSummary[]): string {
  const header = ['ID', 'judge object accuracy', 'position', 'colour', 'shape', 'size', 'exact images', 'round-trip object recall', 'round-trip exact', 'round-trip unparsable', 'caption exact', 'caption object recall'];
  const rows = summaries.map((s) => {
    const g = s.final.generation;
    const rt = s.final.roundTrip;
    const none = s.trainsGeneration ? 'n/a' : 'n/a (no generation loss)';
    return [
      s.preset,
      g ? frac(g.objectAccuracy) : none,
      g ? frac(g.position) : 'n/a',
      g ? frac(g.colour) : 'n/a',
      g ? frac(g.shape) : 'n/a',
      g ? frac(g.size) : 'n/a',
      g ? frac(g.exact) : 'n/a',
      rt ? frac(rt.objectRecall) : none,
      rt ? frac(rt.exact) : 'n/a',
      rt ? frac(rt.unparsable) : 'n/a',
      frac(s.final.captionExact),
      frac(s.final.captionObjectRecall),
    ];
  });
  return markdownTable(header, rows);
}

/** Every evaluated checkpoint. */
export function pointsTable(runs: readonly PresetRun[]): string {
  const header = ['ID', 'seed', 'samples', 'steps', 'MC test', 'MC heldout', 'judge objects', 'round-trip recall', 'train loss', 'train s', 'eval s'];
  const rows = runs.flatMap((r) =>
    r.points.map((p) => [r.preset, `${r.seed}`, `${p.samples}`, `${p.step}`, frac(p.metrics.test.accuracy), frac(p.metrics.heldout.accuracy), frac(p.metrics.generation?.objectAccuracy), frac(p.metrics.roundTrip?.objectRecall), p.trainLoss.toFixed(3), p.trainSeconds.toFixed(1), p.metrics.seconds.toFixed(1)]),
  );
  return markdownTable(header, rows);
}

/** The Equation 6 fits per preset and metric. */
export function fitsTable(summaries: readonly PresetSummary[]): string {
  const header = ['ID', 'metric', 'a per 1M samples', 'b', 'R^2', 'points'];
  const rows: string[][] = [];
  for (const s of summaries) {
    const metrics: [string, FitSummary | null][] = [['MC accuracy (test)', s.fits.test], ['MC accuracy (heldout)', s.fits.heldout]];
    if (s.trainsGeneration) metrics.push(['judge object accuracy', s.fits.generation], ['round-trip object recall', s.fits.roundTrip]);
    for (const [name, f] of metrics) rows.push([s.preset, name, slope(f), f ? f.b.toFixed(4) : 'n/a', r2(f), f ? `${f.count}` : 'n/a']);
  }
  return markdownTable(header, rows);
}

function setupSection(r: AblationResults): string {
  const st = r.settings;
  const m = st.model;
  const e = st.eval;
  const lines = [
    '## How this was run',
    '',
    '```',
    r.command,
    '```',
    '',
    `- Presets: ${st.presets.join(', ')}; seeds: ${st.seeds.join(', ')} (model initialisation and the training stream; the same for every preset).`,
    `- Sample budgets (checkpoints along one run per preset and seed): ${st.scales.join(', ')} samples = ${st.stepsPerScale.join(', ')} steps of batch ${st.batchSize}; peak learning rate ${st.lr}, AdamW with warmup and cosine decay over the largest budget.`,
    m
      ? `- Model: backbone d=${m.hiddenSize}, ${m.layers} layers, ${m.heads} heads; flow head width ${m.flowWidth}, depth ${m.flowDepth} (a preset with a wider head keeps its ratio to the 'small' width 128).`
      : "- Model: the model package's defaults (d=128, 4 layers, 4 heads; each preset's flow head).",
    `- Flow heads (width x depth): ${r.summaries.map((x) => `${x.preset} ${x.flowWidth}x${x.flowDepth}`).join(', ')}.`,
    `- Flow warm-up steps: ${r.summaries.map((x) => `${x.preset} ${x.flowWarmupSteps}`).join(', ')}${st.flowWarmupSteps === null ? " (each preset's own)" : ` (${st.flowWarmupSteps} instead of the preset's own for presets that warm up)`}.`,
    `- Evaluation (the same items for every preset and checkpoint): ${e.count} multiple-choice questions per split (test, heldout; chance 0.25), ${e.captionCount} captions, ${e.generationCount} generated images judged, ${e.roundTripCount} round trips; generation with ${e.generationSteps} MAR steps, ${e.flowSteps} flow steps, seed ${e.seed}.`,
    `- Machine: ${machineLine(r.machine)}. Shared with other jobs, so times are as measured, not best case.`,
    `- Started ${r.started}, finished ${r.finished}; wall time of this invocation ${formatDuration(r.wallSeconds)} (${r.wallSeconds.toFixed(0)} s).`,
  ];
  const times = markdownTable(
    ['ID', 'train s', 'eval s', 'total'],
    r.summaries.map((s) => [s.preset, s.trainSeconds.toFixed(1), s.evalSeconds.toFixed(1), formatDuration(s.trainSeconds + s.evalSeconds)]),
  );
  lines.push('', 'Wall times per preset (all seeds; training includes the flow warm-up):', '', times);
  if (st.quick) {
    lines.push(
      '',
      "`--quick` is sized to finish in about 10 minutes on 2 CPU cores for all four presets (about 1.5-2.5 minutes each with evaluation): a small model, a few thousand samples per preset, few evaluation items and a short generation loop. At this size the models are briefly trained and the standard errors are several points: it checks the pipeline end to end and shows early-training effects, it does not reproduce the paper's numbers at 240M samples.",
    );
  }
  return lines.join('\n');
}

/** The whole REPORT.md. */
export function buildReport(r: AblationResults): string {
  const s = r.summaries;
  const parts: string[] = [];
  parts.push('# UniHetero ablation on the shapes world (the paper\'s Table 1)', '');
  parts.push(
    "Understanding is multiple-choice accuracy (option likelihood) on the shapes world's test split and on the held-out colour-shape compositions, at the largest budget (mean over seeds, ± the binomial standard error). The paper's MMBench numbers are at 240M samples after finetuning on real benchmarks: put beside ours for the direction of the effects, not comparable in absolute terms. Our slope `a` is in accuracy per 1M training samples (Equation 6, fitted over every checkpoint); the paper does not state its unit. Our diffuloss and ploss columns give the loss weights beta and alpha (the paper's columns mark with 0/1 which losses are on); \"gradient stopped\" means the diffuloss gradient stops at the LLM hidden state.",
    '',
  );
  parts.push(table1(s), '');
  parts.push('## Did exp2 beat exp1?', '');
  parts.push(r.comparison ? r.comparison.verdict : 'Not answered: exp1 and exp2 were not both run to the same budget.', '');
  parts.push('## Generation, round trip and captions', '');
  parts.push(
    "At the largest budget. Judge object accuracy: the fraction of the caption's objects drawn with position, colour, shape and size right, on images generated from test captions. Round trip: text -> generated semantic tokens -> text, the fraction of caption objects named again with every attribute (no pixel decoder involved). Presets with no generation loss are not evaluated on generation.",
    '',
  );
  parts.push(generationTable(s), '');
  parts.push('## Data-scale fits (Equation 6)', '', '`y = a*n + b` by least squares over every checkpoint (all seeds), `n` in samples; `a` shown per 1M samples.', '');
  parts.push(fitsTable(s), '');
  parts.push('## Plots', '');
  for (const p of r.plots) parts.push(`![${p}](${p})`, '');
  if (r.plots.length === 0) parts.push('No plots were written.', '');
  parts.push('## Every checkpoint', '');
  parts.push(pointsTable(r.runs), '');
  parts.push(setupSection(r), '');
  parts.push('All numbers are in `results.json`; the checkpoints are in the preset folders (`unihetero-eval evaluate --checkpoint <file>` re-evaluates one).', '');
  return parts.join('\n');
}
