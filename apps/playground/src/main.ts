/**
 * The playground's entry: choose the backend (`?backend=auto|webgpu|webgpu-compat|cpu`, default
 * auto), load the shipped encoder and checkpoint (`?checkpoint=URL` for another), then wire up the
 * Generate, Understand and Train tabs. `?tab=` opens a tab. `window.__playground` exposes timings
 * and errors to the end-to-end test.
 */
import { chooseBackend, parseChoice } from './backend.js';
import { Context, showError, state, type LoadedModel } from './context.js';
import { mountGenerate } from './generate-tab.js';
import { mountTrain } from './train-tab.js';
import { mountUnderstand } from './understand-tab.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function selectTab(name: string): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('nav button')) b.classList.toggle('active', b.dataset.tab === name);
  for (const s of document.querySelectorAll<HTMLElement>('.tab')) s.classList.toggle('active', s.id === `tab-${name}`);
  const url = new URL(location.href);
  url.searchParams.set('tab', name);
  history.replaceState(null, '', url);
}

function describeModel(m: LoadedModel): string {
  const b = m.model.config.backbone;
  return `${m.preset.name} · ${b.hiddenSize}w×${b.numHiddenLayers}L · step ${m.step} · ${m.source}`;
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  for (const b of document.querySelectorAll<HTMLButtonElement>('nav button')) b.addEventListener('click', () => selectTab(b.dataset.tab!));
  selectTab(params.get('tab') ?? 'generate');
  const choice = parseChoice(params.get('backend'));
  const select = $<HTMLSelectElement>('backend-choice');
  select.value = choice;
  select.addEventListener('change', () => {
    const url = new URL(location.href);
    url.searchParams.set('backend', select.value);
    location.assign(url);
  });

  // The files download while the backend starts.
  const files = Context.fetchModelFiles(params.get('checkpoint'));
  files.catch(() => undefined);
  const chosen = await chooseBackend(choice);
  const st = state();
  st.timings.backendMs = performance.now();
  st.backend = chosen.label;
  st.gpuErrors = chosen.gpuErrors;
  $('backend-label').textContent = chosen.label;
  $('backend-label').dataset.kind = chosen.kind;
  $('backend-reason').textContent = `${chosen.kind === 'cpu' ? 'CPU backend' : 'WebGPU'}: ${chosen.reason}.${globalThis.crossOriginIsolated ? ' Cross-origin isolated.' : ' Not cross-origin isolated (serve with COOP/COEP headers).'}`;

  const ctx = new Context(choice, chosen);
  ctx.onModel((m) => ($('model-label').textContent = describeModel(m)));
  const fetched = await files;
  st.timings.filesMs = performance.now();
  await ctx.init(fetched, params.get('checkpoint'));
  mountGenerate(ctx);
  mountUnderstand(ctx);
  mountTrain(ctx);
  $<HTMLInputElement>('checkpoint-file').addEventListener('change', (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return;
    void ctx.run(async () => ctx.setModel(new Uint8Array(await file.arrayBuffer()), file.name));
  });
  st.readyMs = performance.now();
  document.documentElement.dataset.ready = 'true';
  for (const id of ['gen-run', 'und-run']) $<HTMLButtonElement>(id).disabled = false;
}

main().catch((e) => {
  showError(e);
  $('backend-label').textContent = 'failed';
  document.documentElement.dataset.ready = 'error';
});
