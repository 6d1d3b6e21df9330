/** A short description of the machine a benchmark ran on (for tables and JSON). */
import { cpus, totalmem, platform, arch, release } from 'node:os';

/** Machine facts recorded with every result. */
export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  memoryGiB: number;
  os: string;
  node: string;
}

/** The current machine. */
export function machineInfo(): MachineInfo {
  const c = cpus();
  return {
    cpuModel: c[0]?.model.trim() ?? 'unknown CPU',
    cpuCount: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
  };
}

/** One line: `2 x Intel(R) Xeon(R) ..., 7.8 GiB, linux 6.1 x64, Node v20.20.2`. */
export function machineLine(m: MachineInfo = machineInfo()): string {
  return `${m.cpuCount} x ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`;
}
