/**
 * The playground's Vite config: cross-origin isolation headers (COOP/COEP) on the dev server and
 * on `vite preview`, the shipped encoder served and emitted at `/models/` next to the shipped
 * checkpoint (`public/models/shapes-world.safetensors`), and a relative base so `dist/` can be
 * hosted under any path.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/** Headers that make the page cross-origin isolated (SharedArrayBuffer, threads in workers). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The frozen encoder as shipped inside @unihetero/vision (one copy in the repository). */
const ENCODER_FILE = 'shapes-vit-tiny.safetensors';
const encoderPath = join(dirname(createRequire(import.meta.url).resolve('@unihetero/vision/package.json')), 'weights', ENCODER_FILE);

function shippedEncoder(): Plugin {
  return {
    name: 'unihetero-shipped-encoder',
    configureServer(server) {
      server.middlewares.use(`/models/${ENCODER_FILE}`, (_req, res) => {
        res.setHeader('Content-Type', 'application/octet-stream');
        for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
        res.end(readFileSync(encoderPath));
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: `models/${ENCODER_FILE}`, source: readFileSync(encoderPath) });
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [shippedEncoder()],
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
});
