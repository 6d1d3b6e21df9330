/**
 * @unihetero/tensor: tensors with a PyTorch-like eager API and autograd tape, seeded RNG, the
 * backend contract, and the CPU reference backend.
 */
export type {
  Backend,
  BackendInfo,
  BackendMemory,
  BinaryOp,
  DType,
  FusedKernelName,
  FusedKernels,
  ReduceOp,
  Storage,
  TypedArray,
  UnaryOp,
  UnaryParams,
  View,
} from './backend.js';
export { dtypeBytes, isFloatDType } from './backend.js';
export { TENSOR_PACKAGE, type TensorPackageCopy } from './copies.js';
export { Tensor, liveTensorCount, nest, type NestedArray, type TensorOrScalar } from './tensor.js';
export { noGrad, enableGrad, isGradEnabled } from './autograd.js';
export { tidy, keep } from './scope.js';
export { Generator, getDefaultGenerator, manualSeed } from './random.js';
export {
  arange,
  bernoulli,
  eye,
  full,
  fullLike,
  linspace,
  ones,
  onesLike,
  rand,
  randint,
  randLike,
  randn,
  randnLike,
  randperm,
  tensor,
  zeros,
  zerosLike,
  type CreateOptions,
  type RandomOptions,
} from './creation.js';
export { getDefaultBackend, setDefaultBackend } from './default-backend.js';
export { gradcheck, type GradcheckOptions } from './gradcheck.js';
export { setDebugNumerics, isDebugNumerics, checkPendingNumerics as checkNumerics } from './debug.js';
export { CpuBackend, CpuStorage } from './cpu/index.js';
export {
  broadcastShapes,
  contiguousStrides,
  fmtShape,
  isContiguous,
  numel,
  type Shape,
} from './shape.js';
export { concat, stack } from './ops/views.js';
export { where, maximum, minimum } from './ops/elementwise.js';
export { matmul } from './ops/linalg.js';
export { linear } from './ops/linear.js';
export { embedding, oneHot, gather, indexSelect, scatterAdd } from './ops/indexing.js';
export {
  cosineSimilarity,
  crossEntropy,
  crossEntropyWithLogsumexp,
  dropout,
  layerNorm,
  mseLoss,
  rmsNorm,
  softmax,
  type CrossEntropyOptions,
  type CrossEntropyWithLogsumexp,
} from './ops/nn.js';
export { scaledDotProductAttention, type AttentionOptions } from './ops/attention.js';
export { memory, type MemoryInfo } from './memory.js';
export { setCpuMatmulKernel, cpuMatmulKernel, type CpuMatmulKernel, type CpuMatmulAccumulate } from './cpu/matmul.js';
