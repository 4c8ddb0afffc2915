import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type EvaluationTarget, evaluateProfile } from '../../src/profile/evaluate.js';
import type { SeccompProfile } from '../../src/profile/model.js';
import { parseProfile } from '../../src/profile/read.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../src/reference/capabilities.js';
import { stringifyJson } from '../../src/util/json-exact.js';

export const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/profiles/${name}`, import.meta.url));

export const dataReference = (name: string): string =>
  fileURLToPath(new URL(`../../data/reference/${name}`, import.meta.url));

export function loadFixture(name: string): SeccompProfile {
  const file = fixture(name);
  return parseProfile(readFileSync(file, 'utf8'), file);
}

export function loadData(name: string): SeccompProfile {
  const file = dataReference(name);
  return parseProfile(readFileSync(file, 'utf8'), file);
}

/** A Docker container on an x86_64 host with kernel 6.1 and Docker's default capabilities, unless told otherwise. */
export function dockerTarget(overrides: Partial<EvaluationTarget> = {}): EvaluationTarget {
  return { abi: 'x86_64', capabilities: new Set(DOCKER_DEFAULT_CAPABILITIES), kernel: [6, 1], ...overrides };
}

export function evaluate(profile: SeccompProfile, overrides: Partial<EvaluationTarget> = {}) {
  return evaluateProfile(profile, dockerTarget(overrides));
}

/**
 * JSON.parse, with argument values (`value`, `valueTwo` beside an `op`) as bigint, as the profile
 * model carries them: what a parsed profile is expected to equal.
 */
export function parseWithExactArgs(text: string): unknown {
  return JSON.parse(text, function (this: Record<string, unknown>, key, value) {
    return (key === 'value' || key === 'valueTwo') && 'op' in this && typeof value === 'number'
      ? BigInt(value)
      : value;
  });
}

/** Through the JSON seccomp-learn writes and back, argument values as bigint. */
export const jsonRoundTrip = <T>(value: T): T => parseWithExactArgs(stringifyJson(value)) as T;
