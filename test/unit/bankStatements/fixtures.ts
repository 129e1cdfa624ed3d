import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/unit/reconciliation/fixtures.ts). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The real bank exports in shared/, which sits beside the repository. */
export const sharedMt940Dir = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'mt940');

/** This repository's own synthetic fixtures. */
export const ownMt940Dir = path.resolve(repoRoot, 'test', 'fixtures', 'mt940');

export function sharedFixture(name: string): Buffer {
  return readFileSync(path.join(sharedMt940Dir, name));
}

export function ownFixture(name: string): Buffer {
  return readFileSync(path.join(ownMt940Dir, name));
}
