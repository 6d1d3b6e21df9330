// Package metadata as published: files, LICENSE, single-copy peers, Dawn optional, no native
// binaries for the pure packages; and the tarball sizes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lockfile } from '../src/lockfile.js';
import { ROOT, publishedPackages, readJson } from '../src/workspace.js';
import { consumer } from './context.js';

/** Packages that hold process-wide state (the default backend; classes checked with instanceof): one copy only. */
const SINGLETONS = ['@unihetero/tensor', '@unihetero/nn'];
const published = publishedPackages();

describe('published packages', () => {
  it('ship dist (ESM, CJS and their types), README, LICENSE, and list CHANGELOG.md', () => {
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    const sizes: string[] = [];
    for (const t of consumer().tarballs) {
      const w = published.find((p) => p.name === t.name)!;
      expect(t.files, t.name).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']));
      expect(w.manifest.files, t.name).toEqual(expect.arrayContaining(['dist', 'README.md', 'LICENSE', 'CHANGELOG.md']));
      expect(readFileSync(join(ROOT, w.dir, 'LICENSE'), 'utf8'), `${w.dir}/LICENSE`).toBe(license);
      expect(w.manifest.license).toBe('MIT');
      sizes.push(`${t.name} ${(t.size / 1024).toFixed(1)} kB packed, ${(t.unpackedSize / 1024).toFixed(1)} kB unpacked, ${t.files.length} files`);
    }
    console.log(`consumer-check: tarballs\n  ${sizes.join('\n  ')}`);
  });

  it('name the single-copy runtime packages their public types use as peers, never as dependencies', () => {
    for (const w of published) {
      const types = readFileSync(join(ROOT, w.dir, 'dist', 'index.d.ts'), 'utf8');
      for (const s of SINGLETONS) {
        expect(w.manifest.dependencies?.[s], `${w.name} depends on ${s}`).toBeUndefined();
        if (types.includes(`from '${s}'`)) {
          expect(w.manifest.peerDependencies?.[s], `${w.name} peer ${s}`).toBeDefined();
          expect(w.manifest.devDependencies?.[s], `${w.name} dev ${s} (for the workspace build)`).toBe(w.manifest.peerDependencies?.[s]);
        }
      }
    }
  });

  it('@unihetero/webgpu: Dawn is an optional peer, @webgpu/types a dependency its types reference', () => {
    const w = published.find((p) => p.name === '@unihetero/webgpu')!;
    expect(w.manifest.peerDependencies?.webgpu).toBeDefined();
    expect(w.manifest.peerDependenciesMeta?.webgpu?.optional).toBe(true);
    expect(w.manifest.dependencies?.webgpu).toBeUndefined();
    expect(w.manifest.dependencies?.['@webgpu/types']).toBeDefined();
    for (const f of ['index.d.ts', 'index.d.cts']) expect(readFileSync(join(ROOT, w.dir, 'dist', f), 'utf8')).toMatch(/^\/\/\/ <reference types="@webgpu\/types" \/>/);
  });

  it('installing every package pulls no native binary: Dawn comes only when the user adds webgpu', () => {
    const c = consumer();
    const lock = readJson<Lockfile>(join(c.dir, 'package-lock.json'));
    const installed = Object.keys(lock.packages).filter((k) => k !== '');
    expect(installed).not.toContain('node_modules/webgpu');
    const native = installed.filter((k) => lock.packages[k]!.hasInstallScript || lock.packages[k]!.os || lock.packages[k]!.cpu);
    expect(native).toEqual([]);
  });

  it('@unihetero/transformer alone installs tensor, nn, safetensors and crc-32, the checkpoint checksums of nn, and nothing native', () => {
    const c = consumer();
    const lock = readJson<Lockfile>(join(c.dir, 'package-lock.json'));
    const closure = new Set<string>();
    const visit = (name: string) => {
      if (closure.has(name)) return;
      closure.add(name);
      const e = lock.packages[`node_modules/${name}`]!;
      const peers = Object.keys(e.peerDependencies ?? {}).filter((p) => !e.peerDependenciesMeta?.[p]?.optional);
      for (const d of [...Object.keys(e.dependencies ?? {}), ...peers]) visit(d);
    };
    visit('@unihetero/transformer');
    expect([...closure].sort()).toEqual(['@unihetero/nn', '@unihetero/safetensors', '@unihetero/tensor', '@unihetero/transformer', 'crc-32']);
    for (const t of c.tarballs.filter((t) => closure.has(t.name))) expect(t.files.filter((f) => f.endsWith('.node'))).toEqual([]);
  });
});
