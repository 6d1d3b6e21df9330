import { describe, expect, it } from 'vitest';
import {
  SafetensorsError,
  bf16ToNumber,
  f16ToNumber,
  numberToBf16,
  numberToF16,
  parseSafetensors,
  serializeSafetensors,
  type TensorEntry,
} from '../src/index.js';

describe('serialize and parse', () => {
  it('writes the exact bytes of the reference layout', () => {
    const bytes = serializeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } });
    const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
    expect(new DataView(bytes.buffer).getBigUint64(0, true)).toBe(BigInt(padded.length));
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + padded.length))).toBe(padded);
    expect([...bytes.subarray(8 + padded.length)]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
  });

  it('round-trips every dtype, scalars, empty tensors and metadata', () => {
    const tensors: Record<string, TensorEntry> = {
      f64: { dtype: 'F64', shape: [2], data: new Float64Array([Math.PI, -1e300]) },
      f32: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, -2, 3.5, 0]) },
      f16: { dtype: 'F16', shape: [3], data: [1, 0.5, -2] },
      bf16: { dtype: 'BF16', shape: [2], data: [1, -256] },
      i64: { dtype: 'I64', shape: [2], data: [-(2 ** 40), 7] },
      i32: { dtype: 'I32', shape: [3], data: new Int32Array([-1, 0, 2147483647]) },
      i16: { dtype: 'I16', shape: [1], data: [-300] },
      i8: { dtype: 'I8', shape: [2], data: [-128, 127] },
      u8: { dtype: 'U8', shape: [2], data: [0, 255] },
      bool: { dtype: 'BOOL', shape: [3], data: [1, 0, 1] },
      scalar: { dtype: 'F32', shape: [], data: [42] },
      empty: { dtype: 'F32', shape: [0, 3], data: [] },
    };
    const file = parseSafetensors(serializeSafetensors(tensors, { format: 'pt', note: 'hi' }));
    expect(file.metadata).toEqual({ format: 'pt', note: 'hi' });
    expect(new Set(file.names())).toEqual(new Set(Object.keys(tensors)));
    expect([...file.get('f64').data]).toEqual([Math.PI, -1e300]);
    expect([...file.getFloat32('f32')]).toEqual([1, -2, 3.5, 0]);
    expect([...file.getFloat32('f16')]).toEqual([1, 0.5, -2]);
    expect([...file.getFloat32('bf16')]).toEqual([1, -256]);
    expect([...(file.get('i64').data as BigInt64Array)]).toEqual([-(2n ** 40n), 7n]);
    expect([...file.getFloat32('i64')]).toEqual([-(2 ** 40), 7]);
    expect([...file.get('i32').data]).toEqual([-1, 0, 2147483647]);
    expect([...file.get('i16').data]).toEqual([-300]);
    expect([...file.get('i8').data]).toEqual([-128, 127]);
    expect([...file.get('u8').data]).toEqual([0, 255]);
    expect([...file.get('bool').data]).toEqual([1, 0, 1]);
    expect(file.info('scalar').shape).toEqual([]);
    expect([...file.getFloat32('scalar')]).toEqual([42]);
    expect(file.info('empty').shape).toEqual([0, 3]);
    expect(file.getFloat32('empty').length).toBe(0);
  });

  it('aligns every tensor so that data accessors are zero-copy views', () => {
    const bytes = serializeSafetensors({
      z: { dtype: 'U8', shape: [3], data: [1, 2, 3] },
      a: { dtype: 'F64', shape: [1], data: [1] },
      m: { dtype: 'F32', shape: [3], data: [1, 2, 3] },
    });
    const file = parseSafetensors(bytes);
    expect(file.names()).toEqual(['a', 'm', 'z']); // widest dtype first
    const f = file.get('m').data;
    expect(f.buffer).toBe(bytes.buffer);
    expect(file.getFloat32('m').buffer).toBe(bytes.buffer);
  });

  it('parses from an ArrayBuffer too', () => {
    const bytes = serializeSafetensors({ x: { dtype: 'I32', shape: [2], data: [5, 6] } });
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    expect([...parseSafetensors(ab).get('x').data]).toEqual([5, 6]);
  });

  it('rejects bad entries when writing, naming the tensor', () => {
    expect(() => serializeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: [1, 2, 3] } })).toThrow(/tensor 'w' has shape \[2,2\] \(4 elements\) but 3 values/);
    expect(() => serializeSafetensors({ w: { dtype: 'F8' as never, shape: [1], data: [1] } })).toThrow(/tensor 'w' has unknown dtype "F8"/);
    expect(() => serializeSafetensors({ w: { dtype: 'BOOL', shape: [1], data: [2] } })).toThrow(SafetensorsError);
    expect(() => serializeSafetensors({ __metadata__: { dtype: 'F32', shape: [1], data: [1] } })).toThrow(/reserved/);
    expect(() => serializeSafetensors({}, { n: 1 as unknown as string })).toThrow(/metadata 'n' is 1, not a string/);
  });
});

describe('16-bit floats', () => {
  it('encodes F16 with round-to-nearest-even, subnormals, overflow and NaN', () => {
    expect(numberToF16(1)).toBe(0x3c00);
    expect(numberToF16(-2)).toBe(0xc000);
    expect(numberToF16(65504)).toBe(0x7bff);
    expect(numberToF16(65520)).toBe(0x7c00); // rounds up to infinity
    expect(numberToF16(0.1)).toBe(0x2e66);
    expect(numberToF16(2 ** -24)).toBe(0x0001);
    expect(numberToF16(2 ** -26)).toBe(0x0000);
    expect(numberToF16(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(numberToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(numberToF16(Infinity)).toBe(0x7c00);
    expect(Number.isNaN(f16ToNumber(numberToF16(NaN)))).toBe(true);
    expect(f16ToNumber(0x7bff)).toBe(65504);
    expect(f16ToNumber(0x0001)).toBe(2 ** -24);
    expect(f16ToNumber(0x8000)).toBe(-0);
  });
  it('round-trips every finite F16 value exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      const e = (h >> 10) & 0x1f;
      if (e === 31) continue;
      expect(numberToF16(f16ToNumber(h))).toBe(h);
    }
  });
  it('encodes BF16 with round-to-nearest-even', () => {
    expect(numberToBf16(1)).toBe(0x3f80);
    expect(numberToBf16(Math.PI)).toBe(0x4049);
    expect(bf16ToNumber(0x4049)).toBe(3.140625);
    expect(numberToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie -> even
    expect(numberToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(Number.isNaN(bf16ToNumber(numberToBf16(NaN)))).toBe(true);
  });
});
