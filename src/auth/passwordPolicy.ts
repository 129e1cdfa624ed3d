import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as pl from '@zxcvbn-ts/language-pl';

/** Why a new password is refused (the web pages turn it into a Polish sentence). */
export type WeakPasswordReason = 'blank' | 'repetitive' | 'login_derived' | 'common' | 'guessable';

export const MIN_PASSWORD_LENGTH = 10;

// Building the estimator reads the dictionaries (about 0.1 s): once per process, on first use.
let estimator: ZxcvbnFactory | undefined;
function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...pl.dictionary },
    graphs: common.adjacencyGraphs,
  });
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
