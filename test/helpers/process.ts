import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

/** Runs src/main.ts as the real process (through tsx), with only the given environment. */
export function spawnService(env: Record<string, string>): ServiceProcess {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/main.ts')], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url: `http://127.0.0.1:${env.PORT ?? '3000'}`, output: () => out, exited };
}

/** Polls /readyz until it answers 200; fails with the process output when it exits or times out. */
export async function waitReady(proc: ServiceProcess, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  let exitedCode: number | null | undefined;
  void proc.exited.then((c) => (exitedCode = c));
  while (Date.now() - started < timeoutMs) {
    if (exitedCode !== undefined) throw new Error(`service exited with ${exitedCode}:\n${proc.output()}`);
    try {
      const res = await fetch(`${proc.url}/readyz`);
      if (res.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`service not ready after ${timeoutMs} ms:\n${proc.output()}`);
}
