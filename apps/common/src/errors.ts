/**
 * One-line error reports for the apps: every failure becomes `<program>: <what failed, on which
 * file, and what to do>`, on one line; the stack trace only with `--verbose` or
 * `UNIHETERO_VERBOSE=1`. System errors (no space left, permission denied, read-only file system,
 * a file where a folder should be) are translated into words with a remedy.
 */

/** An error whose message is the whole story: what was wrong, where, and the remedy (no stack trace). */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** Whether a stack trace was asked for: `--verbose` among the arguments, or `UNIHETERO_VERBOSE` (or the older `UNIHETERO_DEBUG`) set to 1. */
export function isVerbose(args: readonly string[] = [], env: Record<string, string | undefined> = process.env): boolean {
  return args.includes('--verbose') || env.UNIHETERO_VERBOSE === '1' || env.UNIHETERO_DEBUG === '1';
}

type Errno = Error & { code?: string; syscall?: string; path?: string; dest?: string };

/** The system error behind `e` (itself, or a `cause` chain link with an errno `code`). */
export function systemError(e: unknown): Errno | null {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur instanceof Error; i++) {
    const code = (cur as Errno).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return cur as Errno;
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}

const REMEDY: Record<string, (path: string) => string> = {
  ENOSPC: () => 'no space left on the device; free some space and run the command again',
  EDQUOT: () => 'the disk quota is exhausted; free some space and run the command again',
  EACCES: (p) => `permission denied${p}; choose a folder you can write to, or fix its permissions`,
  EPERM: (p) => `operation not permitted${p}; choose a folder you can write to, or fix its permissions`,
  EROFS: (p) => `read-only file system${p}; choose a folder on a writable file system`,
  ENOTDIR: (p) => `a path component${p} is a file, not a folder; choose another path`,
  EISDIR: (p) => `${p ? p.slice(4) : 'the path'} is a folder, not a file`,
  ENOENT: (p) => `no such file or folder${p}`,
  EEXIST: (p) => `${p ? p.slice(4) : 'the path'} already exists`,
  EMFILE: () => 'too many open files; raise the limit (ulimit -n) or close other programs',
  EIO: () => 'an input/output error from the device; check the disk',
  ENAMETOOLONG: (p) => `the path${p} is too long`,
};

/** A system error in words: `cannot write '/x/y': no space left on the device; free some space ...`. */
function describeSystem(s: Errno, message: string): string {
  const code = s.code!;
  const path = s.path ? ` at '${s.path}'` : '';
  const words = REMEDY[code]?.(path) ?? `${code}${s.syscall ? ` in ${s.syscall}` : ''}${path}`;
  // Keep what the operation said about itself (e.g. "writeFileAtomic: cannot write 'x'") when it names the file.
  const head = message.match(/^(.*?cannot \w+ '[^']*')/)?.[1];
  if (head) return `${head}: ${words} (${code})`;
  return `${s.syscall ? `${s.syscall} failed: ` : ''}${words} (${code})`;
}

/** The one-line message of any thrown value (newlines folded into `; `). */
export function describeError(e: unknown): string {
  // Lines become one: after a line ending in ':' a space, otherwise '; '.
  const oneLine = (t: string) =>
    t
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0)
      .reduce((acc, l) => (acc === '' ? l : `${acc}${acc.endsWith(':') ? ' ' : '; '}${l}`), '');
  if (!(e instanceof Error)) return oneLine(String(e));
  if (e instanceof UsageError) return oneLine(e.message);
  const s = systemError(e);
  if (s) return oneLine(describeSystem(s, e.message));
  // Our packages' errors name the operation and the values; a bare built-in error does not.
  const builtin = e.name === 'TypeError' || e.name === 'RangeError' || e.name === 'ReferenceError' || e.name === 'SyntaxError';
  return oneLine(builtin ? `internal error: ${e.name}: ${e.message} (run with --verbose for the stack trace and report it)` : e.message);
}

/**
 * The report of a failure: `<program>: <one line>` and, when verbose, the stack trace after it.
 * Ends with a newline.
 */
export function formatError(program: string, e: unknown, verbose = false): string {
  const line = `${program}: ${describeError(e)}\n`;
  if (!verbose || !(e instanceof Error) || !e.stack) return line;
  return `${line}${e.stack}\n`;
}
