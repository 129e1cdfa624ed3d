import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/unit/bankStatements/fixtures.ts). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Real bank exports (mBank), copied into the repository: see test/fixtures/README.md. */
export const realMt940Dir = path.resolve(repoRoot, 'test', 'fixtures', 'mt940', 'mbank');

/** This repository's own synthetic fixtures. */
export const ownMt940Dir = path.resolve(repoRoot, 'test', 'fixtures', 'mt940');

export function realFixture(name: string): Buffer {
  return readFileSync(path.join(realMt940Dir, name));
}

export function ownFixture(name: string): Buffer {
  return readFileSync(path.join(ownMt940Dir, name));
}
