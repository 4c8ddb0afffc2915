import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const shellLines = [...readme.matchAll(/^```sh\n([\s\S]*?)^```/gm)].flatMap((block) =>
  (block[1] ?? '').split('\n').filter((line) => line.trim() !== ''),
);

describe('README examples', () => {
  it('run the tool the way a clone has it: npx seccomp-learn', () => {
    const invocations = shellLines.flatMap((line) =>
      line
        .split(/&&|\||;/)
        .filter((command) => /^\s*(?:\S+=\S+\s+)*(?:sudo\s+)?seccomp-learn\b/.test(command)),
    );
    expect(invocations).toEqual([]);
    expect(shellLines.filter((line) => line.includes('npx seccomp-learn')).length).toBeGreaterThan(20);
  });

  it('opens with the two set-up commands CI runs in a fresh clone', () => {
    const setup = readme.slice(readme.indexOf('## Set-up'));
    const block = setup
      .match(/```sh\n([\s\S]*?)```/)?.[1]
      ?.trim()
      .split('\n');
    expect(block).toEqual(['npm install && npx seccomp-learn record -o ls -- ls /', 'npm test']);
  });
});
