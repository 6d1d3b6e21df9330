// Two copies of the tensor runtime in one process: the ESM build imported, then the CJS build
// required. The second must fail at load with an error naming both files.
import { createRequire } from 'node:module';

const tensor = await import('@unihetero/tensor');
const require = createRequire(import.meta.url);
let message = null;
try {
  require('@unihetero/tensor');
} catch (e) {
  message = e.message;
}
console.log(JSON.stringify({ first: tensor.TENSOR_PACKAGE, message }));
