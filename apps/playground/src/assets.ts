/**
 * Where the playground's model files come from: the shipped frozen encoder and the shipped
 * checkpoint, both under `models/` next to the page and loaded with `fetch`. `?checkpoint=URL`
 * loads another checkpoint (any written by unihetero-train or downloaded from the Train tab).
 */

/** The shipped frozen encoder (copied from @unihetero/vision at build time). */
export const ENCODER_URL = 'models/shapes-vit-tiny.safetensors';
/** The shipped checkpoint (replace this one file to ship another; see the README). */
export const CHECKPOINT_URL = 'models/shapes-world.safetensors';

/** Fetch a binary file; errors name the URL and the HTTP status. */
export async function fetchBytes(url: string | URL): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`fetch ${String(url)}: HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}
