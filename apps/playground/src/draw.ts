/** Canvas drawing: images at their own resolution (scaled by CSS), the 8x8 token grid, loss curves. */
import type { RgbImage } from '@unihetero/data';

/** Draw an RGB image into a canvas of the image's own size (CSS scales it, pixelated). */
export function drawImage(canvas: HTMLCanvasElement, image: RgbImage): void {
  canvas.width = image.width;
  canvas.height = image.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const out = ctx.createImageData(image.width, image.height);
  for (let i = 0; i < image.width * image.height; i++) {
    out.data[i * 4] = image.data[i * 3]!;
    out.data[i * 4 + 1] = image.data[i * 3 + 1]!;
    out.data[i * 4 + 2] = image.data[i * 3 + 2]!;
    out.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(out, 0, 0);
}

/** Read a canvas back as an RGB image (what the end-to-end test judges). */
export function readImage(canvas: HTMLCanvasElement): RgbImage {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = data[i * 4 + c]!;
  return { width, height, data: rgb };
}

/** Colour of MAR step `s` of `steps` (early steps blue, late steps yellow). */
export function stepColour(s: number, steps: number): string {
  const t = steps <= 1 ? 1 : (s - 1) / (steps - 1);
  return `hsl(${220 - 170 * t} 75% ${45 + 10 * t}%)`;
}

/**
 * The token grid: `revealedAt[i]` is the step (1-based) that revealed token `i`, 0 while masked.
 * Masked cells are hatched; revealed ones take their step's colour and number.
 */
export function drawTokenGrid(canvas: HTMLCanvasElement, revealedAt: Int32Array, steps: number, side = 8): void {
  const px = 32;
  canvas.width = side * px;
  canvas.height = side * px;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#11131a';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.font = '12px ui-monospace, monospace';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let i = 0; i < side * side; i++) {
    const x = (i % side) * px;
    const y = Math.floor(i / side) * px;
    const s = revealedAt[i]!;
    if (s > 0) {
      ctx.fillStyle = stepColour(s, steps);
      ctx.fillRect(x + 1, y + 1, px - 2, px - 2);
      ctx.fillStyle = '#0b0c10';
      ctx.fillText(String(s), x + px / 2, y + px / 2 + 1);
    } else {
      ctx.fillStyle = '#1d2130';
      ctx.fillRect(x + 1, y + 1, px - 2, px - 2);
      ctx.strokeStyle = '#2c3245';
      ctx.beginPath();
      for (let k = -px; k < px; k += 8) {
        ctx.moveTo(x + 1 + Math.max(0, k), y + 1 + Math.max(0, -k));
        ctx.lineTo(x + 1 + Math.min(px - 2, k + px - 2), y + 1 + Math.min(px - 2, px - 2 - k));
      }
      ctx.stroke();
    }
  }
}

/** One series of a line chart. */
export interface Series {
  name: string;
  colour: string;
  points: readonly (readonly [number, number])[];
}

/** A line chart of `series` over steps, with the y range of all series and labelled axes. */
export function drawCurves(canvas: HTMLCanvasElement, series: readonly Series[], xLabel = 'step'): void {
  const dpr = globalThis.devicePixelRatio || 1;
  const w = canvas.clientWidth || 560;
  const h = canvas.clientHeight || 220;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = '#11131a';
  ctx.fillRect(0, 0, w, h);
  const pad = { l: 44, r: 10, t: 10, b: 24 };
  const all = series.flatMap((s) => s.points);
  ctx.font = '11px ui-monospace, monospace';
  ctx.fillStyle = '#8b93a7';
  if (all.length === 0) {
    ctx.fillText('no steps yet', pad.l + 8, h / 2);
    return;
  }
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]).filter(Number.isFinite);
  const x0 = Math.min(...xs);
  const x1 = Math.max(x0 + 1, ...xs);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (y1 - y0 < 1e-9) (y0 -= 0.5), (y1 += 0.5);
  const X = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r);
  const Y = (y: number) => h - pad.b - ((y - y0) / (y1 - y0)) * (h - pad.t - pad.b);
  ctx.strokeStyle = '#2c3245';
  ctx.beginPath();
  for (let k = 0; k <= 4; k++) {
    const y = y0 + ((y1 - y0) * k) / 4;
    ctx.moveTo(pad.l, Y(y));
    ctx.lineTo(w - pad.r, Y(y));
    ctx.fillText(y.toFixed(y1 - y0 < 1 ? 3 : 2), 2, Y(y) + 4);
  }
  ctx.stroke();
  ctx.fillText(`${xLabel} ${x0}`, pad.l, h - 6);
  ctx.textAlign = 'right';
  ctx.fillText(String(x1), w - pad.r, h - 6);
  ctx.textAlign = 'left';
  let legendX = pad.l + 70;
  for (const s of series) {
    if (s.points.length === 0) continue;
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    s.points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(X(x), Y(y)) : ctx.lineTo(X(x), Y(y))));
    ctx.stroke();
    ctx.lineWidth = 1;
    ctx.fillStyle = s.colour;
    ctx.fillText(s.name, legendX, h - 6);
    legendX += ctx.measureText(s.name).width + 14;
  }
}
