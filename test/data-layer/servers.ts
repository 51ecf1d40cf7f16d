// Throwaway real servers for the data-layer tests: PostgreSQL 15 (initdb in a temporary directory
// owned by the postgres user — the server refuses to run as root — on a free loopback port, trust
// auth) and Redis 7 (no persistence, free port). Both stop and delete their data on stop().
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const PG_BIN = '/usr/lib/postgresql/15/bin';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitPort(port: number, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not open`);
}

export interface RealServer {
  port: number;
  stop(): Promise<void>;
}

/** PostgreSQL 15 as the postgres user; `hotStandby` is not set up (a primary). */
export async function startPostgres(): Promise<RealServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-pg-'));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const as = (cmd: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
  as(`${PG_BIN}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const proc: ChildProcess = spawn(
    'runuser',
    [
      '-u',
      'postgres',
      '--',
      `${PG_BIN}/postgres`,
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
    ],
    { stdio: 'ignore' },
  );
  await waitPort(port);
  // The server accepts TCP before it accepts logins: wait for a real query.
  const { Client } = await import('pg');
  const end = Date.now() + 20_000;
  for (;;) {
    const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      break;
    } catch (e) {
      await c.end().catch(() => {});
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    async stop() {
      // runuser does not forward signals: stop the server itself.
      const exited = new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
      try {
        as(`${PG_BIN}/pg_ctl`, ['-D', data, 'stop', '-m', 'immediate', '-w']);
      } catch {
        proc.kill('SIGKILL');
      }
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startRedis(): Promise<RealServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-redis-'));
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  await waitPort(port);
  return {
    port,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
