import { createRequire } from 'node:module';
import type * as ZxcvbnCore from '@zxcvbn-ts/core';
import type * as ZxcvbnCommon from '@zxcvbn-ts/language-common';
import type * as ZxcvbnPl from '@zxcvbn-ts/language-pl';

const require = createRequire(import.meta.url);

/** Why a new password is refused (the web pages turn it into a Polish sentence). */
export type WeakPasswordReason = 'blank' | 'repetitive' | 'login_derived' | 'common' | 'guessable';

export const MIN_PASSWORD_LENGTH = 10;

// Loading zxcvbn and its dictionaries (about 0.2 s) and building the estimator (about 0.1 s):
// once per process, on first use (a password change), not at start. Synchronous on purpose:
// the check is; the packages are CommonJS.
let estimator: ZxcvbnCore.ZxcvbnFactory | undefined;
function zxcvbn(): ZxcvbnCore.ZxcvbnFactory {
  if (!estimator) {
    const { ZxcvbnFactory } = require('@zxcvbn-ts/core') as typeof ZxcvbnCore;
    const common = require('@zxcvbn-ts/language-common') as typeof ZxcvbnCommon;
    const pl = require('@zxcvbn-ts/language-pl') as typeof ZxcvbnPl;
    estimator = new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...pl.dictionary },
      graphs: common.adjacencyGraphs,
    });
  }
  return estimator;
}

function normalise(s: string): string {
  return s.normalize('NFKC').toLowerCase();
}

/**
 * Undefined for an acceptable new password, else why not. A password must not be blank or
 * repetitive, must not contain the login (forwards or backwards), and must resist about 10^8
 * guesses by zxcvbn's estimate (score 3) with the common-password lists and Polish words.
 */
export function weakPasswordReason(password: string, login: string): WeakPasswordReason | undefined {
  if (password.trim() === '') return 'blank';
  if (new Set(password).size <= 2) return 'repetitive';
  const p = normalise(password);
  const l = normalise(login);
  if (l.length >= 3 && (p.includes(l) || p.includes([...l].reverse().join('')))) return 'login_derived';
  const result = zxcvbn().check(password.slice(0, 100), [login]);
  if (result.score >= 3) return undefined;
  const patterns = new Set(result.sequence.map((m) => m.pattern));
  if (patterns.has('repeat') || patterns.has('sequence')) return 'repetitive';
  if (result.sequence.some((m) => m.pattern === 'dictionary' && (m as { dictionaryName?: string }).dictionaryName === 'userInputs')) {
    return 'login_derived';
  }
  if (patterns.has('dictionary')) return 'common';
  return 'guessable';
}
