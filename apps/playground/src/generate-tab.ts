/**
 * Generate: caption -> MAR steps revealing the 8x8 semantic token grid (live, one frame per step,
 * with the pixels decoded so far) -> the decoded image -> the judge's verdict per object.
 */
import { Generator, noGrad, tidy } from '@unihetero/tensor';
import { tensorToImages, type ImageScore, type RgbImage } from '@unihetero/data';
import { generateImages, type GenerationStep } from '@unihetero/model';
import { drawImage, drawTokenGrid } from './draw.js';
import { esc, nextFrame, state, type Context } from './context.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Decode the pixels revealed so far (masked tokens have zero latents) into an image. */
async function partialImage(ctx: Context, s: GenerationStep): Promise<RgbImage | null> {
  if (!s.latents) return null;
  const m = ctx.model.model;
  const pixels = noGrad(() => tidy(() => m.pixel_encoder.decode(s.latents!.reshape(-1, m.numVisualTokens, m.config.pixelDim))));
  try {
    return (await tensorToImages(pixels))[0]!;
  } finally {
    pixels.dispose();
  }
}

/** The verdict table of an image score. */
export function verdictHtml(score: ImageScore): string {
  const mark = (b: boolean) => (b ? '<span class="ok">✓</span>' : '<span class="no">✗</span>');
  const rows = score.objects
    .map((o) => {
      const t = o.target;
      const found = o.found ? `${o.found.size} ${o.found.colour} ${o.found.shape}` : '<span class="muted">nothing there</span>';
      return `<tr><td>${t.size} ${t.colour} ${t.shape} @ ${t.cell.row},${t.cell.col}</td><td>${mark(o.position)}</td><td>${mark(o.colour)}</td><td>${mark(o.shape)}</td><td>${mark(o.size)}</td><td>${found}</td></tr>`;
    })
    .join('');
  const extra = score.extra.length ? `<p class="no">${score.extra.length} extra object(s): ${score.extra.map((e) => `${e.colour} ${e.shape} @ ${e.cell.row},${e.cell.col}`).join(', ')}</p>` : '';
  return `<table><tr><th>asked for</th><th>pos</th><th>col</th><th>shape</th><th>size</th><th>the judge sees</th></tr>${rows}</table>${extra}<p>objects right: <b>${(score.objectAccuracy * 100).toFixed(0)}%</b>; whole image ${score.exact ? '<span class="ok">exact</span>' : '<span class="no">not exact</span>'}</p>`;
}

/** Wire up the Generate tab. */
export function mountGenerate(ctx: Context): void {
  const caption = $<HTMLInputElement>('gen-caption');
  const run = $<HTMLButtonElement>('gen-run');
  const grid = $<HTMLCanvasElement>('gen-grid');
  const image = $<HTMLCanvasElement>('gen-image');
  const status = $('gen-status');
  const verdict = $('gen-verdict');
  let randomIndex = 0;
  drawTokenGrid(grid, new Int32Array(64), 8);
  ctx.onBusy((busy) => (run.disabled = busy));
  $('gen-random').addEventListener('click', () => {
    caption.value = ctx.world.sample('test', randomIndex++).canonicalCaption;
  });
  run.addEventListener('click', () => {
    void ctx.run(async () => {
      const m = ctx.model.model;
      const text = caption.value.trim();
      const steps = Math.max(1, Math.min(m.numVisualTokens, Number($<HTMLInputElement>('gen-steps').value) || 8));
      const seed = Number($<HTMLInputElement>('gen-seed').value) || 0;
      const revealedAt = new Int32Array(m.numVisualTokens);
      const revealedPerStep: number[] = [];
      drawTokenGrid(grid, revealedAt, steps);
      verdict.textContent = 'generating…';
      const t0 = performance.now();
      const g = await generateImages(m, [m.tokenizer.encode(text, { bos: false, eos: false })], {
        steps,
        generator: new Generator(seed),
        onStep: async (s) => {
          for (const p of s.revealed) revealedAt[p] = s.step;
          revealedPerStep.push(s.revealed.length);
          drawTokenGrid(grid, revealedAt, s.steps);
          const partial = await partialImage(ctx, s);
          if (partial) drawImage(image, partial);
          status.textContent = `MAR step ${s.step}/${s.steps}: ${s.revealed.length} tokens revealed`;
          await nextFrame();
        },
      });
      const ms = performance.now() - t0;
      g.embeddings.dispose();
      g.predictions.dispose();
      g.latents?.dispose();
      const img = g.images![0]!;
      drawImage(image, img);
      status.textContent = `decoded in ${(ms / 1000).toFixed(2)} s (${steps} MAR steps, ${ctx.chosen.label})`;
      let accuracy: number | null = null;
      try {
        const score = ctx.judge.score(img, text);
        accuracy = score.objectAccuracy;
        verdict.innerHTML = verdictHtml(score);
      } catch (e) {
        verdict.innerHTML = `<p class="muted">the judge reads shapes-world captions only: ${esc((e as Error).message)}</p>`;
      }
      state().lastGeneration = { ms, caption: text, steps, revealedPerStep, objectAccuracy: accuracy };
    });
  });
}
