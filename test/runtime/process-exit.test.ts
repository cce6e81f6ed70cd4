// A process that uses isolated-vm and simply runs out of work leaves through process.exit
// (src/runtime/ivm.ts), so isolated-vm's teardown abort cannot turn a finished run into a
// SIGABRT: the exit code is the process's own and every 'exit' listener still runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ivmModule = fileURLToPath(new URL('../../src/runtime/ivm.ts', import.meta.url));

test('a process using isolates that ends by itself keeps its exit code and runs later exit listeners', () => {
  const script = `
    const { default: ivm } = await import(${JSON.stringify(ivmModule)});
    process.on('exit', (code) => console.log('listener after the guard saw code', code));
    const isolate = new ivm.Isolate({ memoryLimit: 16 });
    const context = await isolate.createContext();
    const add = await context.eval('(x) => x + 1', { reference: true });
    for (let i = 0; i < 20; i++) await add.apply(undefined, [i], { result: { copy: true } });
    isolate.dispose();
    process.exitCode = 3;
  `;
  const child = spawnSync(process.execPath, ['--no-node-snapshot', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.signal, null, child.stderr);
  assert.equal(child.status, 3, child.stderr);
  assert.match(child.stdout, /listener after the guard saw code 3/);
});

test('a process using isolates that dies of an uncaught exception still prints it and exits 1', () => {
  const script = `
    const { default: ivm } = await import(${JSON.stringify(ivmModule)});
    new ivm.Isolate({ memoryLimit: 16 });
    setTimeout(() => { throw new Error('the uncaught one'); }, 10);
  `;
  const child = spawnSync(process.execPath, ['--no-node-snapshot', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.status, 1, child.stderr);
  assert.match(child.stderr, /Error: the uncaught one/);
});

test('a process using isolates whose uncaughtException handler keeps it alive still leaves cleanly later', () => {
  const script = `
    const { default: ivm } = await import(${JSON.stringify(ivmModule)});
    process.on('uncaughtException', (err) => console.log('handled', err.message));
    new ivm.Isolate({ memoryLimit: 16 });
    setTimeout(() => { throw new Error('survived'); }, 10);
    setTimeout(() => { process.exitCode = 4; }, 50);
    process.on('exit', (code) => console.log('exit listener saw', code));
  `;
  const child = spawnSync(process.execPath, ['--no-node-snapshot', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.signal, null, child.stderr);
  assert.equal(child.status, 4, child.stderr);
  assert.match(child.stdout, /handled survived\n[^]*exit listener saw 4/);
});
