// The published op cases through require() (a CommonJS backend suite): the testing entry and the
// runtime load as one copy. Prints one JSON line.
import * as tensorPackage from '@unihetero/tensor';
import * as testing from '@unihetero/tensor/testing';

async function main(): Promise<void> {
  const [name, fn, inputs] = testing.allCases[0]!;
  const r = await testing.runCase(tensorPackage.getDefaultBackend(), fn, inputs());
  // One runtime: the default backend the testing entry sets is the one the runtime sees.
  const backend = new tensorPackage.CpuBackend();
  const oneRuntime = await testing.withDefaultBackend(backend, async () => tensorPackage.getDefaultBackend() === backend);
  console.log(JSON.stringify({ format: tensorPackage.TENSOR_PACKAGE.format, cases: testing.allCases.length, first: name, out: r.out.length, oneRuntime }));
}
void main();
