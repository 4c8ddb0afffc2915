import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type ContainerEngine,
  comparisonRunArgv,
  prepareContainerRun,
  scanRunOptions,
} from '../../src/sources/container-command.js';
import {
  DOCKER_RUN_OPTIONS,
  PODMAN_RUN_OPTIONS,
  type RunOptionTable,
} from '../../src/sources/run-options.js';
import { ROOT } from '../helpers/cli.js';

const TABLES: [ContainerEngine, RunOptionTable][] = [
  ['docker', DOCKER_RUN_OPTIONS],
  ['podman', PODMAN_RUN_OPTIONS],
];

const prepare = (argv: string[]) => prepareContainerRun(argv, '/p.json', '/cid');
const imageOf = (argv: string[]) => prepare(argv).image;

/** Options as `--help` lists them: `  -e, --env list   Set …` (a type word means it takes a value). */
function helpOptions(file: string): { name: string; short?: string; takesValue: boolean }[] {
  const text = readFileSync(`${ROOT}test/fixtures/run-help/${file}`, 'utf8');
  const options = [];
  for (const line of text.split('\n')) {
    const match = /^\s+(?:-(\w), )?--([a-z0-9-]+)( \S+)?\s{2,}/.exec(line);
    if (!match) continue;
    options.push({
      name: match[2] as string,
      ...(match[1] ? { short: match[1] } : {}),
      takesValue: match[3] !== undefined,
    });
  }
  return options;
}

describe('the option tables agree with the engines’ own --help', () => {
  it.each([
    ['docker', DOCKER_RUN_OPTIONS, 'docker-28.2.2-run-help.txt', 95],
    ['podman', PODMAN_RUN_OPTIONS, 'podman-4.3.1-run-help.txt', 130],
  ] as const)('%s run', (_engine, table, file, atLeast) => {
    const listed = helpOptions(file);
    expect(listed.length).toBeGreaterThanOrEqual(atLeast);
    for (const option of listed) {
      const kind = option.takesValue ? table.value : table.boolean;
      expect(kind, `--${option.name}`).toContain(option.name);
      if (option.short) expect(table.short[option.short], `-${option.short}`).toBe(option.name);
    }
  });

  it.each(TABLES)(
    '%s: no option is both boolean and value-taking; every short form names one',
    (_e, table) => {
      expect(table.boolean.filter((name) => table.value.includes(name))).toEqual([]);
      for (const long of Object.values(table.short))
        expect([...table.boolean, ...table.value]).toContain(long);
    },
  );
});

describe.each(TABLES)('%s run: every option', (engine, table) => {
  const run = [engine, 'run'];
  const plainValues = table.value.filter((name) => name !== 'security-opt');
  const plainBooleans = table.boolean.filter((name) => name !== 'detach' && name !== 'privileged');

  it.each(plainValues)(
    '--%s takes the next word, so the image and a -d, --privileged or seccomp after it are found',
    (name) => {
      expect(imageOf([...run, `--${name}`, '0', 'img', 'sh'])).toBe('img');
      expect(imageOf([...run, `--${name}=0`, 'img'])).toBe('img');
      // The value may look like an option or an image: it is the value all the same.
      expect(imageOf([...run, `--${name}`, '-d', 'img'])).toBe('img');
      expect(() => prepare([...run, `--${name}`, 'x', '-d', 'img'])).toThrow(/detached/);
      expect(() => prepare([...run, `--${name}`, 'x', '--detach', 'img'])).toThrow(/detached/);
      expect(() => prepare([...run, `--${name}`, 'x', '--privileged', 'img'])).toThrow(/--privileged/);
      expect(() =>
        prepare([...run, `--${name}`, 'x', '--security-opt', 'seccomp=unconfined', 'img']),
      ).toThrow(/already sets seccomp=unconfined/);
    },
  );

  it.each(plainBooleans)('--%s takes no value; =true and =false are accepted', (name) => {
    expect(imageOf([...run, `--${name}`, 'img', 'sh'])).toBe('img');
    expect(imageOf([...run, `--${name}=false`, 'img'])).toBe('img');
    expect(imageOf([...run, `--${name}=true`, 'img'])).toBe('img');
    expect(() => prepare([...run, `--${name}`, '-d', 'img'])).toThrow(/detached/);
    expect(() => prepare([...run, `--${name}=maybe`, 'img'])).toThrow(`--${name} takes true or false`);
  });

  it.each(Object.entries(table.short))('-%s (--%s) in every short form', (letter, name) => {
    if (table.value.includes(name)) {
      expect(imageOf([...run, `-${letter}`, 'x', 'img'])).toBe('img');
      expect(imageOf([...run, `-${letter}x`, 'img'])).toBe('img');
      expect(imageOf([...run, `-${letter}=x`, 'img'])).toBe('img');
      // Grouped after booleans: -it<letter> value.
      expect(imageOf([...run, `-it${letter}`, 'x', 'img'])).toBe('img');
      expect(() => prepare([...run, `-${letter}`, 'x', '-d', 'img'])).toThrow(/detached/);
      // What follows a value letter in a group is its value, not more flags.
      expect(imageOf([...run, `-${letter}d`, 'img'])).toBe('img');
    } else {
      if (name === 'detach') expect(() => prepare([...run, `-${letter}`, 'img'])).toThrow(/detached/);
      else expect(imageOf([...run, `-${letter}`, 'img'])).toBe('img');
      expect(imageOf([...run, `-${letter}=false`, 'img'])).toBe('img');
      if (name !== 'detach') expect(() => prepare([...run, `-${letter}d`, 'img'])).toThrow(/detached/);
    }
  });

  it('refuses -d, --detach and --privileged in every spelling, and accepts them turned off', () => {
    for (const detached of [
      '-d',
      '-itd',
      '-dit',
      '--detach',
      '--detach=true',
      '-d=true',
      '-d=1',
      '--detach=True',
    ])
      expect(() => prepare([...run, detached, 'img']), detached).toThrow(/detached/);
    for (const attached of ['--detach=false', '-d=false', '--detach=0', '-d=f'])
      expect(imageOf([...run, attached, 'img']), attached).toBe('img');
    expect(imageOf([...run, '-d', '--detach=false', 'img'])).toBe('img');
    expect(() => prepare([...run, '--detach=false', '-d', 'img'])).toThrow(/detached/);
    expect(() => prepare([...run, '--privileged=true', 'img'])).toThrow(/--privileged/);
    expect(imageOf([...run, '--privileged=false', 'img'])).toBe('img');
    expect(() => prepare([...run, '--security-opt=seccomp=x.json', 'img'])).toThrow(
      /already sets seccomp=x.json/,
    );
    expect(() => prepare([...run, '--security-opt', 'seccomp:x.json', 'img'])).toThrow(/already sets/);
  });

  it('names an option it does not know (exit 2), long or short', () => {
    for (const [word, named] of [
      ['--no-such-option', '--no-such-option'],
      ['--no-such-option=1', '--no-such-option'],
      ['-Z', '-Z'],
      ['-itZ', '-Z'],
    ] as const) {
      let error: unknown;
      try {
        prepare([...run, word, 'img']);
      } catch (caught) {
        error = caught;
      }
      expect(error, word).toMatchObject({ name: 'UserError', exitCode: 2 });
      expect((error as Error).message).toContain(`unknown option ${named}`);
    }
    expect(() => prepare([...run, '--name'])).toThrow('--name needs a value');
  });

  it('stops at the image or --, and leaves the container’s own arguments alone', () => {
    expect(scanRunOptions(engine, [...run, '--rm', '--', 'img', '-d'], 1)).toEqual({
      options: [{ name: 'rm', value: true, at: 2, end: 3 }],
      imageAt: 4,
    });
    expect(imageOf([...run, '-it', 'img', '--privileged', '-d', '--bogus'])).toBe('img');
  });
});

describe('options of one engine only', () => {
  it('knows podman-only and docker-only options per engine', () => {
    expect(imageOf(['podman', 'run', '--pod', 'p', '--userns', 'keep-id', 'img'])).toBe('img');
    expect(imageOf(['podman', 'run', '--tls-verify=false', '--rmi', 'img'])).toBe('img');
    expect(() => prepare(['docker', 'run', '--pod', 'p', 'img'])).toThrow('unknown option --pod');
    expect(imageOf(['docker', 'run', '--use-api-socket', '--cpu-count', '2', 'img'])).toBe('img');
    expect(() => prepare(['podman', 'run', '--use-api-socket', 'img'])).toThrow(
      'unknown option --use-api-socket',
    );
  });

  it('finds what the issue reported: -d after --oom-score-adj 0 or --detach-keys x', () => {
    for (const engine of ['docker', 'podman'])
      for (const before of [
        ['--oom-score-adj', '0'],
        ['--detach-keys', 'x'],
      ]) {
        expect(() => prepare([engine, 'run', ...before, '-d', 'img'])).toThrow(/detached/);
        expect(() => prepare([engine, 'run', ...before, '--privileged', 'img'])).toThrow(/--privileged/);
        expect(() =>
          prepare([engine, 'run', ...before, '--security-opt', 'seccomp=unconfined', 'img']),
        ).toThrow(/already sets/);
      }
    expect(imageOf(['docker', 'run', '--detach=false', 'img'])).toBe('img');
  });
});

describe('the words each option takes', () => {
  it('spans a long option with its value, and a group of letters with the value it reads', () => {
    const argv = [
      'docker',
      'run',
      '--name',
      'web',
      '--rm=true',
      '-it',
      '-e',
      'A=1',
      '-ePATH=x',
      'img',
      '--name',
    ];
    expect(scanRunOptions('docker', argv, 1).options.map(({ name, at, end }) => [name, at, end])).toEqual([
      ['name', 2, 4],
      ['rm', 4, 5],
      ['interactive', 5, 6],
      ['tty', 5, 6],
      ['env', 6, 8],
      ['env', 8, 9],
    ]);
  });
});

describe('verify --enforce: the comparison runs of a container', () => {
  for (const engine of ['docker', 'podman'])
    it(`${engine}: inserts the seccomp option and --rm after run, keeping every other option and the container's arguments`, () => {
      expect(
        comparisonRunArgv(
          [engine, 'run', '--network', 'none', '-e', 'A=1', 'img', 'sh', '-c', 'echo --rm'],
          '/abs/app.json',
          'enforced',
        ),
      ).toEqual([
        engine,
        'run',
        '--security-opt',
        'seccomp=/abs/app.json',
        '--rm',
        '--network',
        'none',
        '-e',
        'A=1',
        'img',
        'sh',
        '-c',
        'echo --rm',
      ]);
    });

  it('runs unconfined with seccomp=unconfined, after global options and `container run`', () => {
    expect(
      comparisonRunArgv(['docker', '--context', 'x', 'container', 'run', 'img'], 'unconfined', 'unconfined'),
    ).toEqual([
      'docker',
      '--context',
      'x',
      'container',
      'run',
      '--security-opt',
      'seccomp=unconfined',
      '--rm',
      'img',
    ]);
  });

  it("gives a name the user gave a suffix per run, and drops the user's --rm and --cidfile in every spelling", () => {
    const argv = [
      'docker',
      'run',
      '--name',
      'web',
      '--rm=false',
      '--cidfile=/tmp/cid',
      '-i',
      'img',
      '--name',
      'x',
    ];
    expect(comparisonRunArgv(argv, 'unconfined', 'unconfined')).toEqual([
      'docker',
      'run',
      '--security-opt',
      'seccomp=unconfined',
      '--rm',
      '--name',
      'web-unconfined',
      '-i',
      'img',
      '--name',
      'x',
    ]);
    const named = ['podman', 'run', '--rm', '--name=a', '--cidfile', '/c', '--name', 'b', 'img'];
    expect(comparisonRunArgv(named, '/p.json', 'enforced')).toEqual([
      'podman',
      'run',
      '--security-opt',
      'seccomp=/p.json',
      '--rm',
      '--name',
      'b-enforced',
      'img',
    ]);
  });

  it('refuses what the recording run refuses: -d, --privileged, a seccomp option of its own', () => {
    expect(() => comparisonRunArgv(['docker', 'run', '-d', 'img'], 'unconfined', 'u')).toThrow(/detached/);
    expect(() => comparisonRunArgv(['docker', 'run', '--privileged', 'img'], 'unconfined', 'u')).toThrow(
      /--privileged/,
    );
    expect(() =>
      comparisonRunArgv(['docker', 'run', '--security-opt=seccomp:x.json', 'img'], 'unconfined', 'u'),
    ).toThrow(/already sets/);
    expect(() => comparisonRunArgv(['docker', 'run', '--rm'], 'unconfined', 'u')).toThrow(/no image/);
  });
});
