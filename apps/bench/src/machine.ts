/** A short description of the machine a benchmark ran on (for tables and JSON): shared by the apps. */
export { machineInfo, machineLine, type MachineInfo } from '@unihetero/app-common';
