import { describe, expect, it } from 'vitest';
import { SafetensorsError, parseSafetensors, serializeSafetensors } from '../src/index.js';

/** Build a file from a header object (or raw header text) and a data buffer. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: number): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function code(bytes: Uint8Array): string {
  try {
    parseSafetensors(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(SafetensorsError);
    return `${(err as SafetensorsError).code}: ${(err as Error).message}`;
  }
  return 'ok';
}

const f32 = (n: number) => new Uint8Array(4 * n);

describe('malformed files raise SafetensorsError naming the problem', () => {
  it('too short for the length prefix', () => {
    expect(code(new Uint8Array(5))).toMatch(/^too-short: safetensors: file is 5 bytes/);
  });
  it('header length larger than the file', () => {
    expect(code(build({}, new Uint8Array(0), 1000))).toMatch(/^header-length: .*header length 1000 is larger than the file allows \(2 bytes/);
  });
  it('header length over the 100 MB cap', () => {
    const b = build({});
    new DataView(b.buffer).setBigUint64(0, 2n ** 60n, true);
    expect(code(b)).toMatch(/^header-length: .*exceeds the 100000000-byte limit/);
  });
  it('malformed JSON', () => {
    expect(code(build('{"a": {"dtype": "F32",'))).toMatch(/^header-json: safetensors: header is not valid JSON/);
    expect(code(build('[1, 2]'))).toMatch(/^header-json: .*must start with '\{'/);
    expect(code(build('{} '))).toBe('ok');
  });
  it('invalid UTF-8', () => {
    const b = build('{"\u00e9":1}');
    b[10] = 0xff;
    expect(code(b)).toMatch(/^header-encoding/);
  });
  it('unknown dtype', () => {
    expect(code(build({ w: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)))).toMatch(/^unknown-dtype: safetensors: tensor 'w' has unknown dtype "F8"/);
  });
  it('bad shapes', () => {
    expect(code(build({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)))).toMatch(/^bad-shape: .*'w' has invalid shape \[-1\]/);
    expect(code(build({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, f32(1)))).toMatch(/^bad-shape/);
    expect(code(build({ w: { dtype: 'F32', shape: 'x', data_offsets: [0, 4] } }, f32(1)))).toMatch(/^bad-shape/);
  });
  it('offsets out of range or inverted', () => {
    expect(code(build({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)))).toMatch(/^bad-offsets: .*'w' data_offsets \[0,8\] go past the end of the 4-byte data buffer/);
    expect(code(build({ w: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, f32(1)))).toMatch(/^bad-offsets: .*invalid data_offsets \[4,0\]/);
    expect(code(build({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f32(1)))).toMatch(/^bad-offsets/);
  });
  it('shape and dtype not matching the byte length', () => {
    expect(code(build({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)))).toMatch(/^size-mismatch: .*'w' is F32 \[3\] = 12 bytes, but data_offsets \[0,8\] span 8/);
  });
  it('overlapping ranges', () => {
    const h = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } };
    expect(code(build(h, f32(3)))).toMatch(/^overlap: .*'b' \[4,12\] overlaps 'a' which ends at 8/);
  });
  it('holes and uncovered trailing bytes', () => {
    const h = { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } };
    expect(code(build(h, f32(3)))).toMatch(/^gap: .*bytes \[4,8\) of the data buffer belong to no tensor \(before 'b'\)/);
    expect(code(build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)))).toMatch(/^gap: .*has 8 bytes but the tensors cover only 4/);
  });
  it('unordered but tiling ranges are accepted', () => {
    const h = { b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } };
    expect(parseSafetensors(build(h, f32(2))).names()).toEqual(['a', 'b']);
  });
  it('duplicate names', () => {
    const text = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expect(code(build(text, f32(1)))).toMatch(/^duplicate-name: .*'w' appears more than once/);
    // A nested key equal to a top-level name is not a duplicate.
    expect(code(build('{"__metadata__":{"w":"1"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32(1)))).toBe('ok');
  });
  it('metadata that is not a string map', () => {
    expect(code(build({ __metadata__: { n: 1 } }))).toMatch(/^metadata: .*__metadata__\['n'\] is 1, not a string/);
    expect(code(build({ __metadata__: [1] }))).toMatch(/^metadata/);
  });
  it('entries that are not objects', () => {
    expect(code(build({ w: 3 }))).toMatch(/^bad-entry: .*'w' is not an object/);
  });
  it('asking for a missing tensor names it', () => {
    const file = parseSafetensors(serializeSafetensors({ a: { dtype: 'F32', shape: [1], data: [1] } }));
    expect(() => file.get('b')).toThrow(/no tensor named 'b' \(the file has 1: a\)/);
  });
});
