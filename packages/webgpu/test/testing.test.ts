/** `@unihetero/webgpu/testing`: a missing adapter skips a suite locally and fails it in CI. */
import { describe, expect, it } from 'vitest';
import { webgpuForTests, webgpuTestMode } from '../src/testing.js';
import type { WebGPUBackend } from '../src/index.js';

const noAdapter = () => Promise.reject(new Error('webgpu: no WebGPU adapter found'));

describe('webgpuTestMode', () => {
  it('requires an adapter in CI or when asked, skips when asked, and is optional otherwise', () => {
    expect(webgpuTestMode({})).toBe('optional');
    expect(webgpuTestMode({ CI: 'true' })).toBe('required');
    expect(webgpuTestMode({ CI: '1' })).toBe('required');
    expect(webgpuTestMode({ CI: 'false' })).toBe('optional');
    expect(webgpuTestMode({ CI: '' })).toBe('optional');
    expect(webgpuTestMode({ UNIHETERO_TEST_WEBGPU: '1' })).toBe('required');
    expect(webgpuTestMode({ CI: 'true', UNIHETERO_TEST_WEBGPU: '0' })).toBe('skip');
    expect(() => webgpuTestMode({ UNIHETERO_TEST_WEBGPU: 'yes' })).toThrow("webgpuForTests: UNIHETERO_TEST_WEBGPU must be '0' (skip) or '1' (require an adapter), got 'yes'");
  });
});

describe('webgpuForTests', () => {
  it('without an adapter: null and a note locally, an error naming the suite and the cause in CI', async () => {
    const notes: string[] = [];
    await expect(webgpuForTests('flow', { env: {}, init: noAdapter, log: (l) => notes.push(l) })).resolves.toBeNull();
    expect(notes).toEqual(['flow: WebGPU tests skipped, no adapter: webgpu: no WebGPU adapter found']);
    await expect(webgpuForTests('flow', { env: { CI: 'true' }, init: noAdapter, log: (l) => notes.push(l) })).rejects.toThrow(
      'flow: WebGPU tests need an adapter here (CI is set or UNIHETERO_TEST_WEBGPU=1) but none came up: webgpu: no WebGPU adapter found',
    );
    expect(notes).toHaveLength(1);
  });

  it('skips on purpose with UNIHETERO_TEST_WEBGPU=0 without trying, and returns the backend when one comes up', async () => {
    const notes: string[] = [];
    let tried = 0;
    const fake = { name: 'fake' } as unknown as WebGPUBackend;
    const init = () => {
      tried++;
      return Promise.resolve(fake);
    };
    await expect(webgpuForTests('nn', { env: { CI: 'true', UNIHETERO_TEST_WEBGPU: '0' }, init, log: (l) => notes.push(l) })).resolves.toBeNull();
    expect(tried).toBe(0);
    expect(notes).toEqual(['nn: WebGPU tests skipped (UNIHETERO_TEST_WEBGPU=0)']);
    await expect(webgpuForTests('nn', { env: { CI: 'true' }, init })).resolves.toBe(fake);
  });

  it('gives a real backend on this machine (the adapter every other suite uses)', async () => {
    const gpu = await webgpuForTests('webgpu');
    if (!gpu) return; // no adapter and not CI: nothing more to check
    expect(gpu.name).toBe('webgpu');
    gpu.destroy();
  });
});
