/**
 * @unihetero/webgpu: the WebGPU backend of @unihetero/tensor (generated elementwise kernels, WGSL
 * kernels per family, pooled buffers, batched submission). Dawn in Node (loaded lazily),
 * `navigator.gpu` in browsers.
 */
export { FUSED_STORAGE_BUFFERS, WebGPUBackend, WebGPUStorage, bucketBytes, type ScatterAddMode, type WebGPUBackendOptions } from './backend.js';
export { initWebGPU, createBackend, isSoftwareAdapter, NO_ADAPTER_MESSAGE, NO_DAWN_MESSAGE, type BackendKind, type InitWebGPUOptions } from './device.js';
export { DEFAULT_MATMUL, LARGE_MATMUL, TALL_MATMUL, pickMatmulTile, pickMatmulTileOf, type MatmulConfig } from './kernels/matmul-wgsl.js';
export { rowPerInvocation } from './kernels/rows-wgsl.js';
