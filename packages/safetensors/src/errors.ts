/** The error every malformed or inconsistent `.safetensors` input raises. */

/** What was wrong, as a stable code callers can branch on. */
export type SafetensorsErrorCode =
  | 'too-short'
  | 'header-length'
  | 'header-encoding'
  | 'header-json'
  | 'header-structure'
  | 'duplicate-name'
  | 'unknown-dtype'
  | 'bad-shape'
  | 'bad-offsets'
  | 'size-mismatch'
  | 'overlap'
  | 'gap'
  | 'metadata'
  | 'not-found'
  | 'bad-entry'
  | 'io';

/** A `.safetensors` file (or a tensor about to be written) is malformed; `code` says how. */
export class SafetensorsError extends Error {
  /** Stable category of the problem. */
  readonly code: SafetensorsErrorCode;
  constructor(code: SafetensorsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SafetensorsError';
    this.code = code;
  }
}
