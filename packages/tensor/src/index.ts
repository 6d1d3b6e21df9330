/**
 * @unihetero/tensor: tensors with a PyTorch-like eager API and autograd tape, seeded RNG, the
 * backend contract, and the CPU reference backend.
 */
export type {
  AttentionArgs,
  Backend,
  BackendInfo,
  BackendMemory,
  BackendOverrides,
  CrossEntropyArgs,
  CrossEntropyBackwardArgs,
  DType,
  LayerNormArgs,
  LayerNormBackwardArgs,
  LogsumexpArgs,
  OverrideName,
  ReduceOp,
  RmsNormArgs,
  RmsNormBackwardArgs,
  RopeArgs,
  SumColumnsArgs,
  SoftmaxArgs,
  Storage,
  TypedArray,
  View,
} from './backend.js';
export { dtypeBytes, isFloatDType, KERNEL_OUTPUTS } from './backend.js';
export { TENSOR_PACKAGE, type TensorPackageCopy } from './copies.js';
export * as expr from './expr/ir.js';
export type { Expr, ExprDType, ExprOp, OpSpelling, Program, UnaryAlu, BinaryAlu } from './expr/ir.js';
export { UNARY_ALU, BINARY_ALU } from './expr/ir.js';
export { evalProgram } from './expr/eval.js';
export { rowKernel, rowKernelSource, type RowKernel } from './expr/js.js';
export * as opExpr from './expr/library.js';
export type { UnaryOp, BinaryOp, UnaryParams } from './expr/library.js';
export { kernels, type AnyReduceOp, type KernelUnaryParams } from './runtime/kernels.js';
export { offers } from './runtime/overrides.js';
export { hostScalar, HostScalar, hostEffect, type ScalarLike } from './runtime/dispatch.js';
export { applyElementwise } from './ops/apply.js';
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
export { rope } from './ops/rope.js';
export { memory, type MemoryInfo } from './memory.js';
export { setCpuMatmulKernel, cpuMatmulKernel, setCpuThreads, cpuThreads, setCpuGemmTile, cpuGemmTile, type CpuMatmulKernel, type CpuMatmulAccumulate } from './cpu/matmul.js';
export type { GemmTileName, GemmTileSetting } from './cpu/wasm/gemm-tile.js';
export { compile, type CompileOptions, type CompileStats, type CompiledFunction } from './compile/compile.js';
