import { describe, expect, it } from 'vitest';
import { Generator } from '@unihetero/tensor';
import { SafetensorsError, parseSafetensors, serializeSafetensors } from '../src/index.js';

/** A valid file with a few tensors of different dtypes and some metadata. */
function seedFile(): Uint8Array {
  return serializeSafetensors(
    {
      'model.embed_tokens.weight': { dtype: 'F32', shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => i / 3) },
      'model.norm.weight': { dtype: 'F16', shape: [3], data: [1, 0.5, 0.25] },
      'lm_head.weight': { dtype: 'BF16', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
      step: { dtype: 'I64', shape: [], data: [7] },
      mask: { dtype: 'BOOL', shape: [5], data: [1, 0, 1, 1, 0] },
    },
    { format: 'pt' },
  );
}

/** Integer in [lo, hi). */
const rint = (gen: Generator, lo: number, hi: number) => lo + gen.int(hi - lo);

/** One random mutation of `src`. */
function mutate(gen: Generator, src: Uint8Array): Uint8Array {
  const headerLen = Number(new DataView(src.buffer, src.byteOffset).getBigUint64(0, true));
  const kind = rint(gen, 0, 8);
  const b = src.slice();
  switch (kind) {
    case 0: // truncate anywhere
      return b.subarray(0, rint(gen, 0, b.length));
    case 1: { // flip random bytes in the header
      for (let k = 0, n = rint(gen, 1, 4); k < n; k++) b[8 + rint(gen, 0, headerLen)] = rint(gen, 0, 256);
      return b;
    }
    case 2: { // replace a header digit by another digit (shifts offsets and shapes)
      const digits: number[] = [];
      for (let i = 8; i < 8 + headerLen; i++) if (b[i]! >= 48 && b[i]! <= 57) digits.push(i);
      b[digits[rint(gen, 0, digits.length)]!] = 48 + rint(gen, 0, 10);
      return b;
    }
    case 3: { // corrupt the length prefix
      new DataView(b.buffer).setBigUint64(0, BigInt(headerLen + rint(gen, -20, 20)), true);
      return b;
    }
    case 4: { // append or remove trailing bytes
      if (gen.uniform() < 0.5) return b.subarray(0, b.length - rint(gen, 1, 9));
      const out = new Uint8Array(b.length + rint(gen, 1, 9));
      out.set(b);
      return out;
    }
    case 5: { // flip bytes in the data buffer (must still load: values change, structure does not)
      for (let k = 0; k < 4; k++) b[8 + headerLen + rint(gen, 0, b.length - 8 - headerLen)] ^= 0xff;
      return b;
    }
    case 6: { // swap two header bytes
      const i = 8 + rint(gen, 0, headerLen);
      const j = 8 + rint(gen, 0, headerLen);
      [b[i], b[j]] = [b[j]!, b[i]!];
      return b;
    }
    default: { // random garbage of a random length
      const out = new Uint8Array(rint(gen, 0, 64));
      for (let i = 0; i < out.length; i++) out[i] = rint(gen, 0, 256);
      return out;
    }
  }
}

describe('fuzz: mutated files either load completely or raise SafetensorsError', () => {
  it('holds for 2000 mutations', () => {
    const gen = new Generator(2024);
    const src = seedFile();
    let loaded = 0;
    let rejected = 0;
    const codes = new Map<string, number>();
    for (let iter = 0; iter < 2000; iter++) {
      const bytes = mutate(gen, src);
      try {
        const file = parseSafetensors(bytes);
        // A file that parses must be fully readable.
        for (const name of file.names()) {
          const info = file.info(name);
          const f = file.getFloat32(name);
          expect(f.length).toBe(info.shape.reduce((a, b) => a * b, 1));
        }
        loaded++;
      } catch (err) {
        if (!(err instanceof SafetensorsError)) throw new Error(`mutation ${iter} raised a non-SafetensorsError: ${(err as Error).stack}`);
        codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
        rejected++;
      }
    }
    console.log(`safetensors fuzz: 2000 mutated files, ${loaded} loaded, ${rejected} rejected with SafetensorsError`, Object.fromEntries(codes));
    expect(loaded + rejected).toBe(2000);
    expect(loaded).toBeGreaterThan(100); // data-only mutations load
    expect(rejected).toBeGreaterThan(1000);
    expect(codes.size).toBeGreaterThanOrEqual(6);
  });
});
