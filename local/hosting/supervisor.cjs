'use strict';
/**
 * Supervises one model-server process so that it can never outlive the embedded AWS.
 *
 * The server spawns this script with a pipe on stdin; the pipe closes when the server exits for any reason —
 * including SIGKILL or a crash, where no exit handler runs — and that is our cue to stop the model server.
 * The model server runs in its own process group, so whatever it forks (a shell, workers) is stopped with it.
 * fd 3 reports to the server: `pid <n>` once started, `exit <code|signal>` when it ends.
 *
 * Usage: node supervisor.cjs <graceMs> <command> [args...]
 */
const { spawn } = require('node:child_process');
const { writeSync } = require('node:fs');

const [graceArg, command, ...args] = process.argv.slice(2);
const graceMs = Number(graceArg) || 5000;

function report(line) {
  try {
    writeSync(3, `${line}\n`);
  } catch {
    // The server is gone; nobody to report to.
  }
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}

const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
let stopping = false;

function stop() {
  if (stopping) return;
  stopping = true;
  signalGroup(child.pid, 'SIGTERM');
  setTimeout(() => signalGroup(child.pid, 'SIGKILL'), graceMs).unref();
}

child.on('error', (error) => {
  process.stderr.write(`cannot start ${command}: ${error.message}\n`);
  report('exit 127');
  process.exit(127);
});
child.on('spawn', () => report(`pid ${child.pid}`));
child.on('exit', (code, signal) => {
  // Reap anything the model server left behind in its group before we go.
  signalGroup(child.pid, 'SIGKILL');
  report(`exit ${code ?? signal}`);
  process.exit(code ?? 128);
});

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
process.stdin.resume();
