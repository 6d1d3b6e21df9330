/** The one-line account of a compiled step that the bench suites print. */
import type { CompileStats } from '@unihetero/tensor';

/** One line on what `compile()` did for a step: its mode, replayed calls, and the plan's kernels and buffers. */
export function compileNote(st: CompileStats | null): string {
  if (!st) return 'compile(): not called';
  if (st.mode === 'eager') return `compile(): FELL BACK TO EAGER: ${st.reason}`;
  const plan = st.plan ? `; plan: ${st.plan.tracedKernels} kernels traced -> ${st.plan.kernels} after fusion, ${st.plan.temps} intermediates in ${st.plan.tempBuffers} buffers (${(st.plan.tempBytes / 2 ** 20).toFixed(1)} MiB)` : '';
  return `compile(): ${st.mode}, ${st.replayed} of ${st.calls} calls replayed (${st.traced} traced)${plan}`;
}
