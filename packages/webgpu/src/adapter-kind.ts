/** What kind of implementation an adapter is (hardware or a software rasterizer on the CPU). */

/** Whether an adapter description names a software (CPU) implementation of the GPU. */
export function isSoftwareAdapter(info: { description: string; details?: Record<string, unknown> }): boolean {
  if (info.details?.isFallbackAdapter === true) return true;
  return /llvmpipe|lavapipe|softpipe|swiftshader|software rasterizer/i.test(info.description);
}
