/**
 * `npm run bench:start`: how long the built service (dist/src/main.js, exactly what `npm start`
 * runs) takes from spawn to its first `200` on /healthz, and how much memory it holds then.
 *
 * Each run spawns a first start on an empty DATA_DIR (embedded: PGlite initdb, migrations, demo
 * seed; PostgreSQL: a new empty database), stops it with SIGTERM, then a restart on the same
 * DATA_DIR / database. Per mode and database it prints the median of: ready (spawn → first /healthz
 * 200, polled every 10 ms), the `readyMs` the service logs itself, RSS and V8 heap right after
 * ready (from /proc and /metrics), the CPU time used until ready (steadier than wall time on a busy
 * machine), and RSS 3 s later (the job runner has started by then).
 *
 * Options: --runs=N (default 3), --embedded-only, --server-only, --main=path/to/dist/src/main.js
 * (another build, e.g. main's, for a before/after on the same machine state). PostgreSQL from DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/test); each run creates and drops its own database.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const args = process.argv.slice(2);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const RUNS = Number(option('runs') ?? 3);
const EMBEDDED = !args.includes('--server-only');
const SERVER = !args.includes('--embedded-only');
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const mainJs = path.resolve(option('main') ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js'));

interface Sample {
  readyMs: number;
  selfReadyMs: number;
  rssMb: number;
  heapMb: number;
  rssLaterMb: number;
  /** CPU time (user + system) the process had used when ready: steadier than wall time on a busy machine. */
  cpuMs: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

function cpuMs(pid: number): number {
  // Fields 14 and 15 of /proc/PID/stat (after the parenthesised name): utime and stime in ticks of 10 ms.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function heapMb(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const used = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1];
  return used ? Number(used) / 2 ** 20 : NaN;
}

async function startOnce(env: Record<string, string>): Promise<Sample> {
  const port = await freePort();
  const ports = { PORT: String(port), MOCK_GATEWAY_PORT: String(await freePort()), MOCK_SMTP_PORT: String(await freePort()), MOCK_INBOX_PORT: String(await freePort()) };
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [mainJs], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...ports, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  const base = `http://127.0.0.1:${port}`;
  let readyMs = 0;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`service exited with ${exitCode}:\n${out}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.status === 200) {
        readyMs = Number(process.hrtime.bigint() - started) / 1e6;
        break;
      }
    } catch {
      // not listening yet
    }
    if (Number(process.hrtime.bigint() - started) / 1e6 > 120_000) throw new Error(`not ready after 120 s:\n${out}`);
    await sleep(10);
  }
  const cpu = cpuMs(child.pid!);
  const rss = rssMb(child.pid!);
  const heap = await heapMb(base);
  await sleep(3000);
  const rssLater = rssMb(child.pid!);
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`service stopped with ${code}:\n${out}`);
  const selfReadyMs = Number(/"readyMs":(\d+)/.exec(out)?.[1] ?? NaN);
  return { readyMs, selfReadyMs, rssMb: rss, heapMb: heap, rssLaterMb: rssLater, cpuMs: cpu };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function report(label: string, samples: Sample[]): void {
  const m = (k: keyof Sample) => median(samples.map((s) => s[k]));
  const all = samples.map((s) => Math.round(s.readyMs)).join(' ');
  console.log(
    `${label.padEnd(22)} ready ${(m('readyMs') / 1000).toFixed(2)} s (readyMs ${(m('selfReadyMs') / 1000).toFixed(2)} s, CPU ${(m('cpuMs') / 1000).toFixed(2)} s)  ` +
      `RSS ${m('rssMb').toFixed(0)} MB, heap ${m('heapMb').toFixed(0)} MB; RSS +3 s ${m('rssLaterMb').toFixed(0)} MB   [${all} ms]`,
  );
}

async function embedded(): Promise<void> {
  const first: Sample[] = [];
  const restart: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibok-bench-start-'));
    try {
      first.push(await startOnce({ DATA_DIR: dir }));
      restart.push(await startOnce({ DATA_DIR: dir }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  report('embedded first start', first);
  report('embedded restart', restart);
}

async function server(): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const first: Sample[] = [];
  const restart: Sample[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const name = `ibok_bench_start_${process.pid}_${i}`;
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibok-bench-start-'));
      try {
        first.push(await startOnce({ DATA_DIR: dir, DATABASE_URL: url.href }));
        restart.push(await startOnce({ DATA_DIR: dir, DATABASE_URL: url.href }));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }
    }
  } finally {
    await admin.end();
  }
  report('postgresql first start', first);
  report('postgresql restart', restart);
}

console.log(`${mainJs}: node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, ${RUNS} runs each`);
if (EMBEDDED) await embedded();
if (SERVER) await server();
