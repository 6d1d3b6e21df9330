/**
 * Test fixtures: a tiny checkpoint trained for two steps (written the way unihetero-train writes
 * them, with `extra.build`), captured CLI streams, and hand-made PNGs (greyscale, alpha) that
 * `writePng` cannot produce.
 */
import { deflateSync } from 'node:zlib';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Backend } from '@unihetero/tensor';
import { Trainer, createShapesModel } from '@unihetero/model';
import type { SampleIO } from '../src/io.js';
import { runCli } from '../src/program.js';

/** Config overrides of the tiny model (d=32, one layer, a one-block flow head). */
export const TINY = { backbone: { hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2 }, flow: { width: 32, depth: 1 } };

/** Train a tiny model for `steps` steps and save it to `path` (with the build spec unless `build: false`). */
export async function makeCheckpoint(path: string, backend: Backend, options: { steps?: number; build?: boolean } = {}): Promise<void> {
  const built = await createShapesModel({ preset: 'exp2', config: TINY, seed: 3 }, backend);
  const trainer = new Trainer(built.model, built.world, { samples: 8, batchSize: 4, seed: 0 });
  for (let s = 0; s < (options.steps ?? 2); s++) await trainer.trainStep();
  await trainer.save(path, options.build === false ? {} : { build: built.spec });
}

/** Streams that record lines. */
export interface Captured extends SampleIO {
  stdout: string[];
  stderr: string[];
}

/** A fresh pair of recording streams (no TTY, so progress comes as plain lines). */
export function capture(): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => void stdout.push(l), err: (l) => void stderr.push(l) };
}

/** Run the CLI in-process; returns the exit code and what it printed. */
export async function cli(args: string[]): Promise<{ code: number; stdout: string[]; stderr: string[]; out: string; err: string }> {
  const io = capture();
  const code = await runCli(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const body = Buffer.concat([head.subarray(4), Buffer.from(data)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([head.subarray(0, 4), body, crc]);
}

/**
 * An 8-bit PNG of colour type 0 (grey), 4 (grey + alpha), 2 (RGB) or 6 (RGBA) from interleaved
 * samples (`channels` per pixel), written by hand with filter 0 on every row.
 */
export function encodeRawPng(width: number, height: number, colorType: 0 | 2 | 4 | 6, samples: Uint8Array): Buffer {
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
  if (samples.length !== width * height * channels) throw new Error(`encodeRawPng: ${samples.length} samples for ${width}x${height}x${channels}`);
  const raw = Buffer.alloc(height * (1 + width * channels));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * channels)] = 0;
    raw.set(samples.subarray(y * width * channels, (y + 1) * width * channels), y * (1 + width * channels) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** Write `encodeRawPng(...)` to `dir/name` and return the path. */
export async function writeRawPng(dir: string, name: string, width: number, height: number, colorType: 0 | 2 | 4 | 6, samples: Uint8Array): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, encodeRawPng(width, height, colorType, samples));
  return p;
}
