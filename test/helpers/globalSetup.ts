import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createDb } from '../../src/db/createDb.js';
import { migrateLatest } from '../../src/db/migrate.js';

/**
 * Embedded mode: initdb and the migrations run once; each test file then starts its own PGlite
 * from this dump (well under a second) instead of paying initdb again.
 * Server mode: checks that DATABASE_URL answers, so a dead server fails loudly at once.
 */
export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    const db = await createDb({ databaseUrl: process.env.DATABASE_URL, poolMax: 1 });
    try {
      await db.knex.raw('SELECT 1');
    } finally {
      await db.close();
    }
    project.provide('pgliteTemplate', '');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibok-template-'));
  const db = await createDb({ dataDir: dir });
  await migrateLatest(db.knex);
  const dump = await db.dumpDataDir!();
  await db.close();
  const file = path.join(dir, 'template.tar');
  fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteTemplate', file);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}
