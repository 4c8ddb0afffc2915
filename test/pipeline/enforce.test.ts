import { describe, expect, it } from 'vitest';
import { enforcementFails, firstDifference, judgeEnforcement } from '../../src/pipeline/enforce.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const run = (exitCode: number, stdout = '') => ({ exitCode, stdout: bytes(stdout) });

describe('firstDifference', () => {
  it('is undefined for equal outputs, empty ones included', () => {
    expect(firstDifference(bytes(''), bytes(''))).toBeUndefined();
    expect(firstDifference(bytes('a\nb\n'), bytes('a\nb\n'))).toBeUndefined();
  });

  it('names the byte, the line and that line on each side', () => {
    expect(firstDifference(bytes('one\ntwo\nthree\n'), bytes('one\ntwX\nthree\n'))).toEqual({
      offset: 6,
      line: 2,
      unconfined: 'two',
      enforced: 'twX',
    });
  });

  it('counts an output that ends early as a difference, with an empty excerpt where it ended', () => {
    expect(firstDifference(bytes('done\n'), bytes(''))).toEqual({
      offset: 0,
      line: 1,
      unconfined: 'done',
      enforced: '',
    });
    expect(firstDifference(bytes('a\n'), bytes('a\nmore\n'))).toMatchObject({
      offset: 2,
      line: 2,
      unconfined: '',
    });
  });

  it('shows a window of a long line around the difference', () => {
    const long = 'x'.repeat(200);
    const difference = firstDifference(bytes(`${long}A${long}`), bytes(`${long}B${long}`));
    expect(difference?.offset).toBe(200);
    expect(difference?.unconfined).toMatch(/^…x+Ax+…$/);
    expect(difference?.unconfined.length).toBeLessThanOrEqual(62);
    expect(difference?.enforced).toContain('B');
  });
});

describe('judgeEnforcement', () => {
  it('compares exit codes, and stdout only when asked', () => {
    const same = judgeEnforcement(run(0, 'a'), run(0, 'b'), false);
    expect(same).toEqual({ unconfinedExit: 0, enforcedExit: 0, exitMatches: true });
    expect(enforcementFails(same)).toBe(false);

    const output = judgeEnforcement(run(0, 'a'), run(0, 'b'), true);
    expect(output).toMatchObject({ exitMatches: true, outputMatches: false, firstDifference: { offset: 0 } });
    expect(enforcementFails(output)).toBe(true);

    const exit = judgeEnforcement(run(0, 'a'), run(159, 'a'), true);
    expect(exit).toEqual({ unconfinedExit: 0, enforcedExit: 159, exitMatches: false, outputMatches: true });
    expect(enforcementFails(exit)).toBe(true);
  });

  it('judges against the unconfined run, not against success: a workload failing the same way passes', () => {
    const judged = judgeEnforcement(run(3, 'err\n'), run(3, 'err\n'), true);
    expect(enforcementFails(judged)).toBe(false);
  });
});
