/** Launcher of the column-sum kernel (WGSL in `columns-wgsl.ts`), registered as the `sumColumns` override. */
import type { SumColumnsArgs } from '@unihetero/tensor';
import { separateInputs } from '../runtime/bindings.js';
import type { LaunchContext } from '../runtime/context.js';
import type { WebGPUStorage } from '../runtime/storage.js';
import { COLUMNS, sumColumnsSource } from './columns-wgsl.js';

/** Run `sumColumns` (see `SumColumnsArgs`) on the device. */
export function launchSumColumns(ctx: LaunchContext, { x, offset, rows, cols, out }: SumColumnsArgs): void {
  const op = 'sumColumns';
  const stores = [x, out].map((s) => {
    const w = ctx.own(s, op);
    if (w.dtype !== 'float32') throw new Error(`webgpu: ${op}: expected float32 storages, got ${w.dtype}`);
    return w;
  }) as [WebGPUStorage, WebGPUStorage];
  if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0 && Number.isInteger(offset) && offset >= 0)) {
    throw new Error(`webgpu: ${op}: invalid geometry: offset ${offset}, rows ${rows}, cols ${cols}`);
  }
  if (offset + rows * cols > stores[0].size) throw new Error(`webgpu: ${op}: rows ${rows} x cols ${cols} from offset ${offset} exceed the storage of ${stores[0].size} elements`);
  if (stores[1].size < cols) throw new Error(`webgpu: ${op}: out has ${stores[1].size} elements, needs ${cols}`);
  if (cols === 0) return;
  const rt = ctx.rt;
  const wg = rt.wg;
  const { grid, rowStride } = rt.grid1d(cols, wg);
  const p = new Uint32Array(COLUMNS.words);
  p[COLUMNS.offset] = offset;
  p[COLUMNS.rows] = rows;
  p[COLUMNS.cols] = cols;
  p[COLUMNS.rowStride] = rowStride;
  const { buffers, done } = separateInputs(ctx, [stores[0]], [stores[1]]);
  rt.dispatch({ kernel: { key: `sum_columns|${wg}`, name: 'sum_columns', source: () => sumColumnsSource(wg) }, buffers: [...(buffers as GPUBuffer[]), stores[1].buffer!], params: p, grid });
  done();
}
