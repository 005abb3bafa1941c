import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;
/** zxcvbn scores 0–4; below this a password is refused. */
const MIN_SCORE = 2;

let estimator: ZxcvbnFactory | undefined;
let common: Set<string> | undefined;

// Built on first use: the dictionaries take a moment to decompress, and only account routes need them.
function strength(): { estimator: ZxcvbnFactory; common: Set<string> } {
  estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
  common ??= new Set(dictionary['passwords-common']);
  return { estimator, common };
}

/** Why `password` may not be used by this account, or undefined when it may. */
export function passwordProblem(password: string, account: { readonly username: string; readonly email: string }): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    return `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`;
  }
  const lower = password.toLowerCase();
  if (lower === account.username.toLowerCase() || lower === account.email.toLowerCase()) return 'must not be your username or email address';
  const { estimator: zxcvbn, common: commonPasswords } = strength();
  if (commonPasswords.has(lower)) return 'is one of the most common passwords';
  // Only the first 128 characters count, and the estimator's cost grows with length.
  const result = zxcvbn.check(password, [account.username, account.email, account.email.split('@')[0] ?? '']);
  if (result.score < MIN_SCORE) {
    const hint = result.feedback.warning ?? result.feedback.suggestions[0];
    return `is too easy to guess${hint === undefined || hint === null || hint === '' ? '' : `: ${hint}`}`;
  }
  return undefined;
}
