/** A short description of the machine a run used (for reports, results.json and benchmark tables). */
import { arch, cpus, platform, release, totalmem } from 'node:os';

/** Machine facts recorded with results. */
export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** Our tensor backend (`cpu`, `webgpu (...)`) when the result depends on one. */
  backend?: string;
}

/** The current machine, with the backend a run used when given. */
export function machineInfo(backend?: string): MachineInfo {
  const c = cpus();
  return {
    cpuModel: c[0]?.model.trim() ?? 'unknown CPU',
    cpuCount: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    ...(backend !== undefined ? { backend } : {}),
  };
}

/** One line: `2 x Intel(R) Xeon(R) ..., 7.8 GiB, linux 6.1 x64, Node v20.20.2[, backend cpu]`. */
export function machineLine(m: MachineInfo = machineInfo()): string {
  return `${m.cpuCount} x ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}${m.backend !== undefined ? `, backend ${m.backend}` : ''}`;
}
