/** Type-check (and emit) a TypeScript project with the monorepo's compiler, grouping diagnostics by file. */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

/** Diagnostics by file (relative to the project; `(global)` for those without one). */
export type DiagnosticsByFile = Record<string, string[]>;

function format(d: ts.Diagnostic, base: string): { file: string; text: string } {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (!d.file || d.start === undefined) return { file: '(global)', text: `error TS${d.code}: ${message}` };
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  const file = relative(base, d.file.fileName);
  return { file, text: `${file}(${line + 1},${character + 1}): error TS${d.code}: ${message}` };
}

function group(diags: readonly ts.Diagnostic[], base: string): DiagnosticsByFile {
  const out: DiagnosticsByFile = {};
  for (const d of diags) {
    if (d.category !== ts.DiagnosticCategory.Error) continue;
    const { file, text } = format(d, base);
    (out[file] ??= []).push(text);
  }
  return out;
}

function parseConfig(tsconfig: string, extra: ts.CompilerOptions = {}): ts.ParsedCommandLine {
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfig, extra, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(`typecheck: ${tsconfig}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    },
  });
  if (!parsed) throw new Error(`typecheck: cannot read ${tsconfig}`);
  if (parsed.errors.length) throw new Error(`typecheck: ${tsconfig}: ${parsed.errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, '\n')).join('; ')}`);
  return parsed;
}

/** Parsed source files shared between programs with the same target (parsing is a good part of a check). */
export type SourceFileCache = Map<string, ts.SourceFile>;

/**
 * Type-check the project of `tsconfig` and emit its output (unless it says `noEmit`); returns the
 * errors by file, the files of the program and the options used.
 */
export function checkProject(tsconfig: string, cache: SourceFileCache = new Map()): { diagnostics: DiagnosticsByFile; files: string[]; options: ts.CompilerOptions } {
  const parsed = parseConfig(tsconfig);
  const host = ts.createCompilerHost(parsed.options);
  const { getSourceFile } = host;
  host.getSourceFile = (f, lang, onError, create) => {
    const key = `${typeof lang === 'object' ? lang.languageVersion : lang}:${f}`;
    let sf = cache.get(key);
    if (!sf) {
      sf = getSourceFile.call(host, f, lang, onError, create);
      if (sf) cache.set(key, sf);
    }
    return sf;
  };
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host });
  const base = dirname(tsconfig);
  const diagnostics = group([...ts.getPreEmitDiagnostics(program)], base);
  const emitted = program.emit();
  Object.assign(diagnostics, group(emitted.diagnostics, base));
  return { diagnostics, files: program.getSourceFiles().map((f) => relative(base, f.fileName)), options: parsed.options };
}

/**
 * Type-check `code` as if it were the file `virtualFile` (which does not exist) with the options
 * of `tsconfig`: relative imports and packages resolve from where that file would stand.
 */
export function checkVirtualFile(tsconfig: string, virtualFile: string, code: string): string[] {
  const parsed = parseConfig(tsconfig, { noEmit: true });
  const target = resolve(virtualFile);
  const host = ts.createCompilerHost(parsed.options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => resolve(f) === target || fileExists.call(host, f);
  host.readFile = (f) => (resolve(f) === target ? code : readFile.call(host, f));
  host.getSourceFile = (f, lang, onError, create) => (resolve(f) === target ? ts.createSourceFile(f, code, lang, true) : getSourceFile.call(host, f, lang, onError, create));
  const program = ts.createProgram({ rootNames: [target], options: { ...parsed.options, noEmit: true }, host });
  const base = dirname(tsconfig);
  const diagnostics = group([...ts.getPreEmitDiagnostics(program)], base);
  return Object.values(diagnostics).flat();
}

/** Line count of a file (its last line need not end in a newline). */
export function lineCount(file: string): number {
  const text = readFileSync(file, 'utf8');
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}
