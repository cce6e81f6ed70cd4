// isolated-vm, loaded once for the whole process, with the exit path it needs.
//
// isolated-vm 7 aborts a process that ends by running out of work (rather than through
// process.exit): while Node tears its main isolate down, V8 runs a last garbage collection
// whose weak callbacks reach isolated-vm handles (ClassHandle::WeakCallback), and those ask
// for isolated-vm's current environment, which is already gone — the assertion
// `IsolateEnvironment::GetCurrent(): environment != nullptr` and SIGABRT, after all work
// finished. Whether it happens depends on which handles are still unreachable at exit.
// process.exit() leaves without tearing the main isolate down, so once 'exit' is being
// emitted, the listeners that follow this one run and then the process leaves that way.
// Not when an uncaught exception is ending the process: Node emits 'exit' before it
// prints the error, and it leaves without the teardown by itself afterwards.
// Every module that uses isolated-vm imports it from here.

import ivm from 'isolated-vm';

// Set while Node handles an uncaught exception or rejection; cleared on the next turn
// when a handler kept the process alive.
let dyingOfException = false;

function noteException(): void {
  dyingOfException = true;
  setImmediate(() => { dyingOfException = false; });
}

function leaveWithoutTeardown(this: NodeJS.Process, code: number): void {
  if (dyingOfException) return;
  const listeners = process.listeners('exit');
  for (const listener of listeners.slice(listeners.indexOf(leaveWithoutTeardown) + 1)) listener.call(process, code);
  process.exit(code);
}

if (!process.listeners('exit').includes(leaveWithoutTeardown)) {
  process.on('uncaughtExceptionMonitor', noteException);
  process.on('exit', leaveWithoutTeardown);
}

export default ivm;
