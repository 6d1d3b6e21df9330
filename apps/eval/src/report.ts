/**
 * REPORT.md from an ablation's numbers: per data design (equal understanding data first, then
 * equal samples) the paper's Table 1 columns with ours beside the paper's (docs/method.md 12.1) as means
 * over seeds with 95% t-intervals, the held-out compositions separately, generation and round trip
 * per preset, and the exp2-vs-exp1 verdict (generated from the numbers); the paper's Table 2 (the
 * invert-projector variants); the Equation 6 fits; every checkpoint; and how it was run.
 * Pure: the same results give the same text.
 */
import { formatDuration } from './io.js';
import { machineLine } from './machine.js';
import { paperRow, paperVariantRow } from './paper.js';
import { DESIGNS, type DesignName } from './recipe.js';
import type { AblationResults, AblationSettings } from './results.js';
import { fmtR2, signed, type FitSummary, type PresetRun, type PresetSummary, type SeedInterval } from './summary.js';

/** A markdown table from a header and rows. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** `0.6210 [0.5830, 0.6590]`: a mean over seeds with its 95% t-interval; `0.6210 (1 seed)` without one. */
export function formatInterval(i: SeedInterval, digits = 4): string {
  const f = (x: number) => x.toFixed(digits);
  return i.n < 2 || !Number.isFinite(i.halfWidth) ? `${f(i.mean)} (1 seed)` : `${f(i.mean)} [${f(i.low)}, ${f(i.high)}]`;
}

/** A slope interval per 1M samples: `+50.0 [+12.0, +88.0]`. */
function formatSlopeInterval(i: SeedInterval | null): string {
  if (!i) return 'n/a';
  return i.n < 2 || !Number.isFinite(i.halfWidth) ? `${signed(i.mean)} (1 seed)` : `${signed(i.mean)} [${signed(i.low)}, ${signed(i.high)}]`;
}

const frac = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(4) : 'n/a');
const slope = (f: FitSummary | null) => (f ? signed(f.aPerMillion) : 'n/a');
const r2 = (f: FitSummary | null) => (f ? fmtR2(f.r2) : 'n/a');

/** Our diffuloss column: the weight, and whether its gradient stops at the LLM. */
export function diffulossCell(s: { beta: number; detachFlowCondition: boolean }): string {
  return s.beta > 0 && s.detachFlowCondition ? `${s.beta} (gradient stopped)` : `${s.beta}`;
}

/** The summaries a design's tables show, in preset order (exp1's shared run in both designs). */
export function designRows(settings: Pick<AblationSettings, 'presets' | 'plan'>, summaries: readonly PresetSummary[], design: DesignName): PresetSummary[] {
  return settings.presets
    .map((p) => settings.plan.find((x) => x.preset === p && x.designs.includes(design)))
    .map((plan) => (plan ? summaries.find((s) => s.id === plan.id) : undefined))
    .filter((s): s is PresetSummary => s !== undefined);
}

/** The summaries of the Table 2 variants, in variant order. */
export function variantRows(settings: Pick<AblationSettings, 'variants' | 'plan'>, summaries: readonly PresetSummary[]): { variant: string; summary: PresetSummary }[] {
  return settings.variants
    .map((v) => {
      const plan = settings.plan.find((x) => x.variants.includes(v));
      const summary = plan ? summaries.find((s) => s.id === plan.id) : undefined;
      return summary ? { variant: v, summary } : null;
    })
    .filter((x): x is { variant: string; summary: PresetSummary } => x !== null);
}

/** The Table 1 comparison of one design: our test accuracy (mean over seeds, 95% interval) and slope beside the paper's MMBench and its slope. */
export function table1(rows: readonly PresetSummary[]): string {
  const header = ['ID', 'method', 'diffuloss', 'ploss', 'seeds', 'our MC accuracy (test), mean [95% CI]', 'our slope a per 1M samples (test)', 'R^2', 'paper MMBench', 'paper MMBench slope a'];
  return markdownTable(
    header,
    rows.map((s) => {
      const p = paperRow(s.preset);
      return [s.preset, p?.method ?? s.description, diffulossCell(s), `${s.alpha}`, `${s.seeds.length}`, formatInterval(s.final.test), slope(s.fits.test), r2(s.fits.test), p ? p.mmbench.toFixed(4) : '-', p?.mmbenchSlope ?? '-'];
    }),
  );
}

/** The held-out compositions (colour-shape pairs never trained on) of one design, on their own. */
export function heldoutTable(rows: readonly PresetSummary[]): string {
  const header = ['ID', 'MC accuracy (held-out), mean [95% CI]', 'slope a per 1M samples (held-out)', 'R^2', 'per-seed slope a per 1M, mean [95% CI]', 'test minus held-out (points)'];
  return markdownTable(
    header,
    rows.map((s) => [s.preset, formatInterval(s.final.heldout), slope(s.fits.heldout), r2(s.fits.heldout), formatSlopeInterval(s.seedSlopes.heldout), ((s.final.test.mean - s.final.heldout.mean) * 100).toFixed(1)]),
  );
}

/** Generation, round trip, the semantics rung and captions at the largest scale, per row. */
export function generationTable(rows: readonly { label: string; s: PresetSummary }[]): string {
  const header = ['ID', 'judge object accuracy, mean [95% CI]', 'position', 'colour', 'shape', 'size', 'exact images', 'round-trip object recall, mean [95% CI]', 'round-trip exact', 'semantics rung (probe)', 'caption exact', 'caption object recall'];
  return markdownTable(
    header,
    rows.map(({ label, s }) => {
      const g = s.final.generation;
      const rt = s.final.roundTrip;
      const sem = s.final.semantics;
      const none = s.trainsGeneration ? 'n/a' : 'n/a (no generation loss)';
      return [
        label,
        g ? formatInterval(g.objectAccuracy) : none,
        g ? frac(g.position) : 'n/a',
        g ? frac(g.colour) : 'n/a',
        g ? frac(g.shape) : 'n/a',
        g ? frac(g.size) : 'n/a',
        g ? frac(g.exact) : 'n/a',
        rt ? formatInterval(rt.objectRecall) : none,
        rt ? frac(rt.exact) : 'n/a',
        sem ? `${formatInterval(sem.objectAccuracy)} (ceiling ${frac(sem.ceiling)})` : 'n/a',
        frac(s.final.captionExact),
        frac(s.final.captionObjectRecall),
      ];
    }),
  );
}

/** The paper's Table 2: understanding and generation per invert-projector variant, ours beside the paper's MMBench and SeedBench. */
export function table2(rows: readonly { variant: string; summary: PresetSummary }[]): string {
  const header = ['variant', 'loss', 'invert-projector', 'target', 'seeds', 'our MC accuracy (test)', 'our MC accuracy (held-out)', 'judge object accuracy', 'round-trip object recall', 'paper MMBench', 'paper SeedBench'];
  return markdownTable(
    header,
    rows.map(({ variant, summary: s }) => {
      const p = paperVariantRow(variant);
      const num = (x: number | null | undefined) => (typeof x === 'number' ? x.toFixed(4) : '-');
      return [
        variant,
        p?.loss ?? '-',
        p?.invertProjector ?? '-',
        p?.target ?? '-',
        `${s.seeds.length}`,
        formatInterval(s.final.test),
        formatInterval(s.final.heldout),
        s.final.generation ? formatInterval(s.final.generation.objectAccuracy) : 'n/a',
        s.final.roundTrip ? formatInterval(s.final.roundTrip.objectRecall) : 'n/a',
        num(p?.mmbench),
        num(p?.seedbench),
      ];
    }),
  );
}

/** Every evaluated checkpoint. */
export function pointsTable(runs: readonly PresetRun[]): string {
  const header = ['run', 'seed', 'samples', 'steps', 'MC test', 'MC heldout', 'judge objects', 'round-trip recall', 'semantics', 'train loss', 'train s', 'eval s'];
  const rows = runs.flatMap((r) =>
    r.points.map((p) => [
      r.id,
      `${r.seed}`,
      `${p.samples}`,
      `${p.step}`,
      frac(p.metrics.test.accuracy),
      frac(p.metrics.heldout.accuracy),
      frac(p.metrics.generation?.objectAccuracy),
      frac(p.metrics.roundTrip?.objectRecall),
      frac(p.metrics.semantics?.objectAccuracy),
      p.trainLoss.toFixed(3),
      p.trainSeconds.toFixed(1),
      p.metrics.seconds.toFixed(1),
    ]),
  );
  return markdownTable(header, rows);
}

/** The Equation 6 fits per run and metric: over every checkpoint of every seed, and per seed (mean and interval of the slopes). */
export function fitsTable(summaries: readonly PresetSummary[]): string {
  const header = ['run', 'metric', 'a per 1M samples', 'b', 'R^2', 'points', 'per-seed a per 1M, mean [95% CI]'];
  const rows: string[][] = [];
  for (const s of summaries) {
    const metrics: [string, FitSummary | null, SeedInterval | null][] = [
      ['MC accuracy (test)', s.fits.test, s.seedSlopes.test],
      ['MC accuracy (held-out)', s.fits.heldout, s.seedSlopes.heldout],
    ];
    if (s.trainsGeneration) metrics.push(['judge object accuracy', s.fits.generation, null], ['round-trip object recall', s.fits.roundTrip, null]);
    for (const [name, f, per] of metrics) rows.push([s.id, name, slope(f), f ? f.b.toFixed(4) : 'n/a', r2(f), f ? `${f.count}` : 'n/a', per ? formatSlopeInterval(per) : '-']);
  }
  return markdownTable(header, rows);
}

function designSection(r: AblationResults, d: DesignName, primary: boolean): string {
  const rows = designRows(r.settings, r.summaries, d);
  const c = r.comparisons.find((x) => x.design === d);
  const parts = [
    `## ${DESIGNS[d].title}${primary ? ' (the primary table)' : ''}`,
    '',
    `Design: ${DESIGNS[d].description}.`,
    '',
    table1(rows),
    '',
    '### Did exp2 beat exp1?',
    '',
    c ? c.verdict : 'Not answered: exp1 and exp2 were not both run to the same budget in this design.',
    '',
    '### Held-out compositions',
    '',
    'Multiple-choice accuracy on colour-shape pairs never seen in training, with its own fits.',
    '',
    heldoutTable(rows),
    '',
    '### Generation and round trip',
    '',
    generationTable(rows.map((s) => ({ label: s.preset, s }))),
    '',
  ];
  return parts.join('\n');
}

function setupSection(r: AblationResults): string {
  const st = r.settings;
  const e = st.eval;
  const seedsLine = st.seeds.length > 1 ? '' : ' With one seed there are no intervals over seeds.';
  const lines = [
    '## How this was run',
    '',
    '```',
    r.command,
    '```',
    '',
    `- Designs: ${st.designs.map((d) => `${d} (\`mix.pairing: '${DESIGNS[d].pairing}'\`)`).join(', ')}. Presets: ${st.presets.join(', ') || 'none'}. Table 2 variants: ${st.variants.join(', ') || 'none'}.`,
    `- Seeds: ${st.seeds.join(', ')} (model initialisation and the training stream; the same for every run).${seedsLine}`,
    `- Runs per seed (folder, preset, invert-projector, pairing; exp1 is one run per seed for both designs: its examples are the same in both, which a test checks): ${st.plan.map((p) => `\`${p.id}\` (${p.preset}, ${p.invertProjector}, ${p.pairing})`).join(', ')}.`,
    `- Sample budgets (checkpoints along one run per preset and seed): ${st.scales.join(', ')} samples (image-text pairs) = ${st.stepsPerScale.join(', ')} steps of batch ${st.batchSize}; peak learning rate ${st.lr}, AdamW with warmup and cosine decay over the largest budget${Object.keys(st.trainer).length ? `; trainer settings ${JSON.stringify(st.trainer)}` : ''}. With equal understanding data a generation preset's step holds ${st.batchSize} understanding and ${st.batchSize} generation examples.`,
    `- Base model config (every preset and variant is applied over it; from the recipe and the size options): \`${JSON.stringify(st.config)}\`.`,
    `- Flow heads (width x depth): ${r.summaries.map((x) => `${x.id} ${x.flowWidth}x${x.flowDepth}`).join(', ')}.`,
    `- Flow warm-up steps: ${r.summaries.map((x) => `${x.id} ${x.flowWarmupSteps}`).join(', ')}${st.flowWarmupSteps === null ? " (each preset's own)" : ` (${st.flowWarmupSteps} instead of the preset's own for presets that warm up)`}.`,
    `- Evaluation (the same items for every run and checkpoint): ${e.count} multiple-choice questions per split (test, heldout; chance 0.25), ${e.captionCount} captions, ${e.generationCount} generated images judged, ${e.roundTripCount} round trips, ${e.semanticsCount ? `${e.semanticsCount} captions for the semantics rung (probe fitted on ${e.probeImages ?? 256} training images)` : 'no semantics rung'}; generation with ${e.generationSteps} MAR steps, ${e.flowSteps} flow steps, seed ${e.seed}${e.generate && Object.keys(e.generate).length ? `, options ${JSON.stringify(e.generate)}` : ''}.`,
    `- Machine: ${machineLine(r.machine)}. Shared with other jobs, so times are as measured, not best case.`,
    `- Started ${r.started}, finished ${r.finished}; wall time of this invocation ${formatDuration(r.wallSeconds)} (${r.wallSeconds.toFixed(0)} s).`,
  ];
  const times = markdownTable(
    ['run', 'seeds', 'train s', 'eval s', 'total'],
    r.summaries.map((s) => [s.id, `${s.seeds.length}`, s.trainSeconds.toFixed(1), s.evalSeconds.toFixed(1), formatDuration(s.trainSeconds + s.evalSeconds)]),
  );
  lines.push('', 'Times per run (all seeds; training includes the flow warm-up):', '', times);
  if (st.quick) {
    lines.push(
      '',
      "`--quick` is the recipe at a small size with one seed: a small model, a few thousand samples per run, few evaluation items and a short generation loop. At this size the models are briefly trained and a 96-question accuracy has a standard error of about 5 points: it checks the pipeline end to end, it does not reproduce the paper's numbers at 240M samples.",
    );
  }
  return lines.join('\n');
}

/** What the CLI prints at the end: each design's Table 1 with its verdict, and Table 2. */
export function resultsTables(r: AblationResults): string {
  const parts: string[] = [];
  for (const d of r.settings.designs) {
    parts.push(`${DESIGNS[d].title}:`, '', table1(designRows(r.settings, r.summaries, d)), '');
    const c = r.comparisons.find((x) => x.design === d);
    if (c) parts.push(c.verdict, '');
  }
  const v = variantRows(r.settings, r.summaries);
  if (v.length) parts.push('Invert-projector variants (Table 2):', '', table2(v), '');
  return parts.join('\n').trimEnd();
}

/** The whole REPORT.md. */
export function buildReport(r: AblationResults): string {
  const st = r.settings;
  const parts: string[] = [];
  parts.push("# UniHetero ablation on the shapes world (the paper's Tables 1 and 2)", '');
  parts.push(
    `Understanding is multiple-choice accuracy (option likelihood; chance 0.25) on the shapes world's test split and, separately, on the held-out colour-shape compositions, at the largest budget. Every number is a **mean over seeds with its 95% confidence interval [low, high]**: a t-interval, mean ± t(0.975, n-1) · s / sqrt(n), with s the standard deviation over the n seeds (n-1 degrees of freedom), so it measures training-seed variation (and the evaluation noise within it), not only the sampling noise of the questions. Intervals of accuracies and recalls are clipped to [0, 1]. The paper's MMBench numbers are at 240M samples after finetuning on real benchmarks: put beside ours for the direction of the effects, not comparable in absolute terms. Our slope \`a\` is in accuracy per 1M training samples (Equation 6, fitted over every checkpoint of every seed, with R^2); the paper does not state its unit. Our diffuloss and ploss columns give the loss weights beta and alpha (the paper's columns mark with 0/1 which losses are on); "gradient stopped" means the diffuloss gradient stops at the LLM hidden state.`,
    '',
  );
  st.designs.forEach((d, i) => parts.push(designSection(r, d, i === 0 && st.designs.length > 1)));
  parts.push("## Table 2: invert-projector variants", '');
  const v = variantRows(st, r.summaries);
  if (v.length) {
    parts.push(
      `Each variant is exp2's recipe (ploss on, diffuloss with its gradient stopped at the LLM) with another invert-projector, under equal understanding data, the same seeds and budgets; \`ema-mlp-llm-cos\` is exp2's own projector, so its row is the exp2 run of the equal-understanding table. The paper's numbers are from its small-scale module-selection runs (docs/method.md 12.3). Understanding and generation as above (mean over seeds [95% CI]).`,
      '',
      table2(v),
      '',
      generationTable(v.map((x) => ({ label: x.variant, s: x.summary }))),
      '',
    );
  } else {
    parts.push('Not run (`--variants none`).', '');
  }
  parts.push('## Data-scale fits (Equation 6)', '', '`y = a*n + b` by least squares over every checkpoint (all seeds), `n` in samples; `a` shown per 1M samples; and the slope fitted per seed, as a mean with its t-interval.', '');
  parts.push(fitsTable(r.summaries), '');
  parts.push('## Plots', '', 'Means over seeds per checkpoint, with the dashed Equation 6 fits.', '');
  for (const p of r.plots) parts.push(`![${p}](${p})`, '');
  if (r.plots.length === 0) parts.push('No plots were written.', '');
  parts.push('## Every checkpoint', '');
  parts.push(pointsTable(r.runs), '');
  parts.push(setupSection(r), '');
  parts.push('All numbers are in `results.json`; the checkpoints are in the run folders (`unihetero-eval evaluate --checkpoint <file>` re-evaluates one, `unihetero-eval diagnose --checkpoint <file>` runs the generation ladder on it).', '');
  return parts.join('\n');
}
