/**
 * Serving a bundled test page to Chromium without a server: every request under
 * `http://localhost/` is answered from memory by `page.route` (localhost is a secure context, so
 * `navigator.gpu` exists there).
 */
import type { Page } from 'playwright-core';

/** The files of a page, by path (e.g. `/index.html`, `/page.js`). */
export type PageFiles = Record<string, { body: string | Uint8Array; contentType: string }>;

/** Route `http://localhost/**` to `files` (404 otherwise) and open `/index.html`; page errors are collected into `errors`. */
export async function openPage(page: Page, files: PageFiles, errors: string[] = []): Promise<void> {
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  await page.route('http://localhost/**', (route) => {
    const path = new URL(route.request().url()).pathname;
    const f = files[path === '/' ? '/index.html' : path];
    if (!f) return route.fulfill({ status: 404, body: `not found: ${path}` });
    return route.fulfill({ status: 200, contentType: f.contentType, body: typeof f.body === 'string' ? f.body : Buffer.from(f.body) });
  });
  await page.goto('http://localhost/index.html');
}
