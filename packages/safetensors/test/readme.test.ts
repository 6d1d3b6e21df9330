// The README example, run as a test (keep the two in sync).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, readSafetensorsFile, serializeSafetensors, writeSafetensorsFile } from '../src/index.js';

describe('README example', () => {
  it('runs and gives what the README says', async () => {
    const bytes = serializeSafetensors(
      {
        'model.embed_tokens.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
        'model.norm.weight': { dtype: 'BF16', shape: [3], data: [1, 0.5, 0.25] },
        step: { dtype: 'I64', shape: [], data: [1000] },
      },
      { format: 'pt' },
    );
    const file = parseSafetensors(bytes);
    expect(file.names()).toEqual(['step', 'model.embed_tokens.weight', 'model.norm.weight']);
    expect(file.info('model.norm.weight')).toMatchObject({ dtype: 'BF16', shape: [3] });
    expect([...file.getFloat32('model.norm.weight')]).toEqual([1, 0.5, 0.25]);
    expect([...(file.get('step').data as BigInt64Array)]).toEqual([1000n]);

    const dir = mkdtempSync(join(tmpdir(), 'st-readme-'));
    try {
      const path = join(dir, 'weights.safetensors');
      await writeSafetensorsFile(path, { w: { dtype: 'F16', shape: [2], data: [0.1, 2] } });
      const again = await readSafetensorsFile(path);
      expect([...again.getFloat32('w')]).toEqual([0.0999755859375, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
