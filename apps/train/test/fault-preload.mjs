// Test-only preload (`node --import ./test/fault-preload.mjs dist/cli.js ...`) of the fault suite:
// the process SIGKILLs itself at an exact stage of its N-th checkpoint write, so that every step of
// the atomic write sequence (temporary file, data, fsync, rotation to the previous checkpoint,
// rename) is covered by a real kill -9. FAULT_WRITE=N (1-based), FAULT_STAGE=one of STAGES.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const STAGES = ['open', 'partial', 'written', 'synced', 'linked', 'rotated', 'renamed'];
const nth = Number(process.env.FAULT_WRITE ?? 0);
const stage = process.env.FAULT_STAGE ?? '';
if (nth > 0 && !STAGES.includes(stage)) throw new Error(`fault-preload: unknown FAULT_STAGE '${stage}' (known: ${STAGES.join(', ')})`);

const TEMP = /\/\.checkpoint\.safetensors\.\d+\.[0-9a-z]+\.tmp$/;
const fsp = fs.promises;
let writes = 0;
let armed = null; // the temporary file of the N-th checkpoint write
const die = (at) => {
  if (at === stage && armed) {
    process.kill(process.pid, 'SIGKILL');
    return new Promise(() => {}); // never continue past the kill
  }
  return null;
};

const probe = await fsp.open(process.execPath, 'r');
const FileHandle = Object.getPrototypeOf(probe);
await probe.close();

const open = fsp.open;
fsp.open = async function (path, flags, mode) {
  const fh = await open.call(this, path, flags, mode);
  if (nth > 0 && typeof path === 'string' && TEMP.test(path) && flags === 'wx') {
    writes++;
    if (writes === nth) {
      armed = fh;
      await (die('open') ?? 0);
    }
  }
  return fh;
};

const writeFile = FileHandle.writeFile;
FileHandle.writeFile = async function (data, options) {
  if (this === armed && stage === 'partial') {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    await this.write(bytes.subarray(0, Math.floor(bytes.length / 2)), 0, Math.floor(bytes.length / 2), 0);
    await die('partial');
  }
  const r = await writeFile.call(this, data, options);
  if (this === armed) await (die('written') ?? 0);
  return r;
};

const sync = FileHandle.sync;
FileHandle.sync = async function () {
  const r = await sync.call(this);
  if (this === armed) await (die('synced') ?? 0);
  return r;
};

const link = fsp.link;
fsp.link = async function (from, to) {
  const r = await link.call(this, from, to);
  if (armed) await (die('linked') ?? 0);
  return r;
};

const rename = fsp.rename;
fsp.rename = async function (from, to) {
  const r = await rename.call(this, from, to);
  if (armed && typeof to === 'string') {
    if (to.endsWith('checkpoint.prev.safetensors')) await (die('rotated') ?? 0);
    else if (to.endsWith('/checkpoint.safetensors') && TEMP.test(String(from))) await (die('renamed') ?? 0);
  }
  return r;
};

syncBuiltinESMExports();
