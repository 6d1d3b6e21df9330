// Single import point for the seeded Generator used by the tests.
export { Generator } from '@unihetero/tensor';
