/**
 * Train: a fresh model trained in a worker (so the page stays responsive), with a live loss curve
 * (total, text, ploss, diffuloss), throughput, a sample image and caption every N steps,
 * pause/resume, a `.safetensors` download of the weights, and loading them into the other tabs.
 */
import type { StepMetrics } from '@unihetero/model';
import { drawCurves, drawImage, type Series } from './draw.js';
import { esc, showError, state, type Context } from './context.js';
import { parseChoice } from './backend.js';
import { TRAIN_SIZES, type FromWorker, type ToWorker } from './train-protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Wire up the Train tab. */
export function mountTrain(ctx: Context): void {
  const start = $<HTMLButtonElement>('train-start');
  const pause = $<HTMLButtonElement>('train-pause');
  const download = $<HTMLButtonElement>('train-download');
  const use = $<HTMLButtonElement>('train-use');
  const status = $('train-status');
  const curve = $<HTMLCanvasElement>('train-curve');
  const metricsEl = $('train-metrics');
  const samples = $('train-samples');
  const sampleCaption = $('train-sample-caption');
  const st = state().training;
  let worker: Worker | null = null;
  let paused = false;
  let lastCheckpoint: { bytes: Uint8Array; step: number } | null = null;
  let pendingUse = false;
  let pendingDownload = false;
  const series: Series[] = [
    { name: 'total', colour: '#6ea8fe', points: [] },
    { name: 'text', colour: '#5dd39e', points: [] },
    { name: 'ploss', colour: '#f7c948', points: [] },
    { name: 'diffuloss', colour: '#f2777a', points: [] },
  ];
  const push = (m: StepMetrics) => {
    (series[0]!.points as [number, number][]).push([m.step, m.loss]);
    (series[1]!.points as [number, number][]).push([m.step, m.text]);
    (series[2]!.points as [number, number][]).push([m.step, m.ploss]);
    (series[3]!.points as [number, number][]).push([m.step, m.diffuloss]);
  };
  drawCurves(curve, series);
  globalThis.addEventListener('resize', () => drawCurves(curve, series));
  const send = (m: ToWorker) => worker?.postMessage(m);

  const saveFile = (bytes: Uint8Array, step: number) => {
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `unihetero-playground-step${step}.safetensors`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  const onMessage = (m: FromWorker) => {
    if (m.type === 'ready') {
      status.textContent = `training on ${m.backend}`;
      st.backend = m.backend;
      metricsEl.textContent = `${(m.parameters / 1e6).toFixed(3)}M trainable parameters; ${m.reason}`;
    } else if (m.type === 'step') {
      const x = m.metrics;
      push(x);
      st.steps = x.step;
      st.msPerStep.push(x.ms);
      st.losses.push(x.loss);
      drawCurves(curve, series);
      const recent = st.msPerStep.slice(-10);
      const ms = recent.reduce((a, b) => a + b, 0) / recent.length;
      const bs = Number($<HTMLInputElement>('train-batch').value);
      metricsEl.textContent = `step ${x.step}/${m.totalSteps} · loss ${x.loss.toFixed(3)} (text ${x.text.toFixed(3)}, ploss ${x.ploss.toFixed(3)}, diffuloss ${x.diffuloss.toFixed(3)}) · ${ms.toFixed(0)} ms/step · ${((bs * 1000) / ms).toFixed(1)} samples/s · lr ${x.lr.toExponential(2)}`;
      download.disabled = false;
      use.disabled = false;
    } else if (m.type === 'sample') {
      const fig = document.createElement('figure');
      const c = document.createElement('canvas');
      drawImage(c, m.image);
      fig.append(c);
      const cap = document.createElement('figcaption');
      cap.innerHTML = `step ${m.step}<br><span class="muted">${esc(m.caption)}</span>`;
      fig.append(cap);
      fig.dataset.step = String(m.step);
      samples.append(fig);
      sampleCaption.textContent = `(generated from "${m.prompt}"; caption of that test image under each)`;
    } else if (m.type === 'paused') {
      status.textContent = `paused at step ${st.steps}`;
    } else if (m.type === 'resumed') {
      status.textContent = 'training';
    } else if (m.type === 'done') {
      st.done = true;
      status.textContent = `done: ${m.step} steps`;
      pause.disabled = true;
      start.disabled = false;
    } else if (m.type === 'checkpoint') {
      lastCheckpoint = { bytes: m.bytes, step: m.step };
      st.checkpointStep = m.step;
      if (pendingDownload) saveFile(m.bytes, m.step);
      if (pendingUse) {
        void ctx.run(() => ctx.setModel(m.bytes, `trained in this tab (step ${m.step})`));
      }
      pendingDownload = pendingUse = false;
    } else if (m.type === 'error') {
      status.textContent = 'error';
      showError(new Error(`train: ${m.message}`));
      start.disabled = false;
      pause.disabled = true;
    }
  };

  start.addEventListener('click', () => {
    worker?.terminate();
    worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
    worker.onerror = (e) => showError(new Error(`train worker: ${e.message}`));
    for (const s of series) (s.points as unknown[]).length = 0;
    Object.assign(st, { backend: '', steps: 0, msPerStep: [], losses: [], done: false, checkpointStep: null });
    samples.replaceChildren();
    lastCheckpoint = null;
    paused = false;
    pause.textContent = 'Pause';
    const size = $<HTMLSelectElement>('train-size').value as keyof typeof TRAIN_SIZES;
    const b = $<HTMLSelectElement>('train-backend').value;
    send({
      type: 'start',
      request: {
        spec: { preset: 'exp2', config: TRAIN_SIZES[size], seed: 0 },
        steps: Math.max(1, Number($<HTMLInputElement>('train-steps').value) || 200),
        batchSize: Math.max(1, Number($<HTMLInputElement>('train-batch').value) || 8),
        lr: Number($<HTMLInputElement>('train-lr').value) || 3e-3,
        sampleEvery: Math.max(1, Number($<HTMLInputElement>('train-every').value) || 25),
        backend: b === 'page' ? ctx.choice : parseChoice(b),
        encoder: ctx.encoderBytes.slice(),
      },
    });
    status.textContent = 'starting…';
    start.disabled = true;
    pause.disabled = false;
    drawCurves(curve, series);
  });
  pause.addEventListener('click', () => {
    paused = !paused;
    send({ type: paused ? 'pause' : 'resume' });
    pause.textContent = paused ? 'Resume' : 'Pause';
  });
  download.addEventListener('click', () => {
    if (!worker) return;
    if (st.done && lastCheckpoint) return saveFile(lastCheckpoint.bytes, lastCheckpoint.step);
    pendingDownload = true;
    send({ type: 'checkpoint' });
  });
  use.addEventListener('click', () => {
    if (!worker) return;
    if (st.done && lastCheckpoint) return void ctx.run(() => ctx.setModel(lastCheckpoint!.bytes, `trained in this tab (step ${lastCheckpoint!.step})`));
    pendingUse = true;
    send({ type: 'checkpoint' });
  });
}
