/** A short description of the machine a run used (for REPORT.md and results.json): shared by the apps. */
export { machineInfo, machineLine, type MachineInfo } from '@unihetero/app-common';
