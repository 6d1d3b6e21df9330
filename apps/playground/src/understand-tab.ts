/**
 * Understand: compose a shapes-world scene (or take one from the test split), render it, and ask
 * the model for a caption and for the answers to every kind of multiple-choice question that
 * applies to it (answers chosen by the log-likelihood of each option).
 */
import { Generator } from '@unihetero/tensor';
import { POSITION_NAMES, SIZES, applicableKinds, canonicalCaption, imagesToTensor, validateScene, type Scene, type SceneObject } from '@unihetero/data';
import { answerQuestions, describeImages } from '@unihetero/model';
import { drawImage } from './draw.js';
import { esc, type Context } from './context.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function select(values: readonly string[], value: string, label: string): HTMLSelectElement {
  const s = document.createElement('select');
  s.setAttribute('aria-label', label);
  for (const v of values) s.add(new Option(v, v, false, v === value));
  return s;
}

/** Wire up the Understand tab. */
export function mountUnderstand(ctx: Context): void {
  const { world } = ctx;
  const list = $('und-objects');
  const canvas = $<HTMLCanvasElement>('und-image');
  const truth = $('und-truth');
  const output = $('und-output');
  const run = $<HTMLButtonElement>('und-run');
  let objects: SceneObject[] = world.scene('test', 0).objects.map((o) => ({ ...o, cell: { ...o.cell } }));
  let randomIndex = 1;

  const scene = (): Scene => ({ objects });
  const render = () => {
    list.replaceChildren();
    objects.forEach((o, i) => {
      const row = document.createElement('div');
      row.className = 'object';
      const size = select(SIZES, o.size, `object ${i + 1} size`);
      const colour = select(world.config.colours, o.colour, `object ${i + 1} colour`);
      const shape = select(world.config.shapes, o.shape, `object ${i + 1} shape`);
      const cell = select(POSITION_NAMES, POSITION_NAMES[o.cell.row * 3 + o.cell.col]!, `object ${i + 1} position`);
      const remove = document.createElement('button');
      remove.textContent = '✕';
      remove.title = 'remove';
      remove.disabled = objects.length <= 1;
      size.onchange = () => ((o.size = size.value as SceneObject['size']), render());
      colour.onchange = () => ((o.colour = colour.value), render());
      shape.onchange = () => ((o.shape = shape.value as SceneObject['shape']), render());
      cell.onchange = () => {
        const k = POSITION_NAMES.indexOf(cell.value);
        o.cell = { row: Math.floor(k / 3), col: k % 3 };
        render();
      };
      remove.onclick = () => ((objects = objects.filter((x) => x !== o)), render());
      row.append(size, colour, shape, cell, remove);
      list.append(row);
    });
    try {
      validateScene(scene(), world.config, 'scene');
      drawImage(canvas, world.render(scene()));
      const split = world.splitOf(scene());
      truth.textContent = `${canonicalCaption(objects)} (${split === 'heldout' ? 'a held-out colour-shape pair' : `${split} split`})`;
      run.disabled = false;
    } catch (e) {
      truth.textContent = (e as Error).message;
      run.disabled = true;
    }
    $<HTMLButtonElement>('und-add').disabled = objects.length >= world.config.maxObjects;
  };
  render();

  $('und-random').addEventListener('click', () => {
    objects = world.scene('test', randomIndex++).objects.map((o) => ({ ...o, cell: { ...o.cell } }));
    render();
  });
  $('und-add').addEventListener('click', () => {
    const used = new Set(objects.map((o) => o.cell.row * 3 + o.cell.col));
    const free = [...Array(9).keys()].find((k) => !used.has(k));
    if (free === undefined) return;
    objects.push({ shape: world.config.shapes[objects.length % world.config.shapes.length]!, colour: world.config.colours[(objects.length * 3) % world.config.colours.length]!, size: 'large', cell: { row: Math.floor(free / 3), col: free % 3 } });
    render();
  });
  ctx.onBusy((busy) => (run.disabled = busy));
  run.addEventListener('click', () => {
    void ctx.run(async () => {
      const m = ctx.model.model;
      const s = scene();
      const img = world.render(s);
      const kinds = applicableKinds(s.objects, world.vocabulary);
      const questions = kinds.map((k, i) => world.question(s, new Generator(1000 + i), k));
      output.textContent = 'thinking…';
      const t0 = performance.now();
      const one = imagesToTensor([img], m.backend);
      const many = imagesToTensor(questions.map(() => img), m.backend);
      try {
        const [caption] = await describeImages(m, one);
        const answers = await answerQuestions(m, many, questions.map((q) => ({ question: q.text, options: q.options })));
        const ms = performance.now() - t0;
        const right = answers.filter((a, i) => a.choice === questions[i]!.answerIndex).length;
        const qs = questions
          .map((q, i) => {
            const c = answers[i]!.choice;
            const items = q.options.map((o, k) => `<li class="${k === c ? (k === q.answerIndex ? 'ok' : 'no') : k === q.answerIndex ? 'muted' : ''}">${esc(o)}${k === c ? ' ←' : ''}${k === q.answerIndex && k !== c ? ' (right answer)' : ''}</li>`).join('');
            return `<div class="question" data-kind="${q.kind}"><b>${esc(q.text)}</b> <span class="muted">(${q.kind})</span><ol type="A">${items}</ol></div>`;
          })
          .join('');
        output.innerHTML = `<p><b>caption:</b> <span id="und-caption">${esc(caption ?? '')}</span></p><p>${right}/${questions.length} answers right <span class="muted">(${(ms / 1000).toFixed(2)} s)</span></p>${qs}`;
      } finally {
        one.dispose();
        many.dispose();
      }
    });
  });
}
