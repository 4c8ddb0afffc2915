import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { emitSystemd } from '../../src/emit/systemd.js';
import type { SeccompProfile } from '../../src/profile/model.js';
import { readSystemdPolicy } from '../../src/profile/read-systemd.js';
import {
  parseSyscallFilterListing,
  SYSTEMD_VERSION,
  systemdGroupMembers,
  systemdResolves,
} from '../../src/profile/systemd-filter.js';
import { syscallExists } from '../../src/syscalls/table.js';
import { referenceDataFile } from '../../src/util/package-root.js';
import { cli, ROOT } from '../helpers/cli.js';
import { available, e2eSkipReason } from '../helpers/e2e.js';

/*
 * systemd loads a drop-in only through a running service manager: PID 1 on this machine is not
 * systemd (containers and CI runners start another init), so `systemd-run` and `systemctl` have no
 * manager to talk to and a unit cannot be started, nor enforced. What systemd itself can do here
 * without a manager is what this suite uses: `systemd-analyze verify` parses the unit and its
 * drop-in with the service manager's own parser (and complains, naming file and line, about any
 * group, call, errno or architecture it cannot read), and `systemd-analyze security --offline`
 * evaluates the filter it built, per dangerous group (@mount, @privileged, …): included or not.
 */
const skip = await e2eSkipReason(
  `systemd ${SYSTEMD_VERSION}'s systemd-analyze (Debian package systemd)`,
  async () => {
    if (!(await available('systemd-analyze', ['--version']))) return false;
    const { stdout } = await execa('systemctl', ['--version']);
    return stdout.startsWith(`systemd ${SYSTEMD_VERSION} `);
  },
);

let dir: string;
let units = 0;

/** A service running /bin/true with `dropIn` beside it, as /etc/systemd/system/NAME.service.d/ would hold it. */
async function unitWith(dropIn: string): Promise<{ unit: string; dropInFile: string }> {
  const name = `sl-test-${++units}`;
  const unit = join(dir, `${name}.service`);
  await writeFile(unit, '[Unit]\nDescription=seccomp-learn format test\n\n[Service]\nExecStart=/bin/true\n');
  await mkdir(join(dir, `${name}.service.d`));
  const dropInFile = join(dir, `${name}.service.d`, 'seccomp.conf');
  await writeFile(dropInFile, dropIn);
  return { unit, dropInFile };
}

/** What `systemd-analyze verify` says about the drop-in (it exits 0 even when it ignores a setting). */
async function verify(unit: string, dropInFile: string): Promise<string[]> {
  const result = await execa('systemd-analyze', ['verify', '--man=no', unit], { reject: false });
  expect(result.exitCode, result.stderr).toBe(0);
  return String(result.stderr)
    .split('\n')
    .filter((line) => line.includes(dropInFile));
}

/** systemd's verdict per dangerous group for an allow list: true when some call of it is allowed. */
async function securityVerdicts(unit: string): Promise<Map<string, boolean>> {
  const result = await execa('systemd-analyze', [
    'security',
    '--offline=true',
    '--no-pager',
    '--json=short',
    unit,
  ]);
  const verdicts = new Map<string, boolean>();
  for (const entry of JSON.parse(result.stdout) as { name: string; description: string }[]) {
    const group = /^SystemCallFilter=~(@[\w-]+)$/.exec(entry.name)?.[1];
    if (!group) continue;
    expect(entry.description).toContain('System call allow list defined for service');
    verdicts.set(group, / is included/.test(entry.description));
  }
  return verdicts;
}

/**
 * The same verdicts from our reading of the unit: systemd's security check asks whether any call
 * of the group systemd can resolve is in the filter's allow-list map (calls refused with their own
 * errno, `~clone3:ENOSYS`, are in that map too).
 */
function ourVerdicts(profile: SeccompProfile, groups: Iterable<string>): Map<string, boolean> {
  const inMap = new Set(
    (profile.syscalls ?? [])
      .filter((rule) => rule.action !== 'SCMP_ACT_KILL_PROCESS')
      .flatMap((rule) => rule.names),
  );
  return new Map(
    [...groups].map((group) => [
      group,
      [...(systemdGroupMembers(group) ?? [])].some(
        (name) => systemdResolves(name) && syscallExists('x86_64', name) && inMap.has(name),
      ),
    ]),
  );
}

const allowed = (profile: SeccompProfile) =>
  new Set(profile.syscalls?.filter((rule) => rule.action === 'SCMP_ACT_ALLOW').flatMap((rule) => rule.names));

let learned: string;

describe.skipIf(skip)(
  `systemd drop-ins, read by systemd ${SYSTEMD_VERSION} itself${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sl-systemd-'));
      const result = await cli([
        'from-strace',
        join(ROOT, 'samples/traces/strace-f-tt-T-yy-python-sockets.txt'),
        '--args',
        'none',
        '--format',
        'systemd',
        '-o',
        join(dir, 'py'),
      ]);
      expect(result.exitCode, result.stderr).toBe(0);
      learned = await readFile(join(dir, 'py.profile.conf'), 'utf8');
    });

    it('the groups the project carries are the groups this systemd expands', async () => {
      const live = await execa('systemd-analyze', ['syscall-filter', '--no-pager']);
      const carried = await readFile(
        referenceDataFile(`systemd-${SYSTEMD_VERSION}-syscall-filter.txt`),
        'utf8',
      );
      expect(parseSyscallFilterListing(carried)).toEqual(parseSyscallFilterListing(String(live.stdout)));
    });

    it('verify reads the drop-in: a bad group in it is reported with file and line (the control)', async () => {
      const { unit, dropInFile } = await unitWith('[Service]\nSystemCallFilter=read @no-such-group\n');
      expect(await verify(unit, dropInFile)).toEqual([
        `${dropInFile}:2: Unknown system call group, ignoring: @no-such-group`,
      ]);
    });

    it('a learned profile: systemd reads every line, and its filter allows exactly what our reading of the unit allows', async () => {
      const { unit, dropInFile } = await unitWith(learned);
      expect(await verify(unit, dropInFile)).toEqual([]);
      const read = readSystemdPolicy(learned, dropInFile);
      const verdicts = await securityVerdicts(unit);
      expect(verdicts.size).toBeGreaterThan(8);
      expect(verdicts).toEqual(ourVerdicts(read, verdicts.keys()));
      // And our reading is the profile generate wrote as JSON.
      const json = await cli([
        'generate',
        join(dir, 'py.recording.json'),
        '--args',
        'none',
        '--allow',
        'clone',
      ]);
      expect(json.exitCode, json.stderr).toBe(0);
      const profile = JSON.parse(json.stdout) as SeccompProfile;
      const onX86_64 = (names: Set<string>) =>
        [...names].filter((name) => syscallExists('x86_64', name) && systemdResolves(name)).sort();
      expect(onX86_64(allowed(read))).toEqual(onX86_64(allowed(profile)));
    });

    it('whole groups, @default taken back, per-call errno and kill: systemd accepts them and agrees group by group', async () => {
      const members = (group: string) =>
        [...(systemdGroupMembers(group) ?? [])].filter((name) => syscallExists('x86_64', name));
      const profiles: SeccompProfile[] = [
        {
          defaultAction: 'SCMP_ACT_ERRNO',
          defaultErrnoRet: 13,
          architectures: ['SCMP_ARCH_X86_64'],
          syscalls: [
            {
              names: [...members('@basic-io'), ...members('@clock'), 'execve', 'exit_group', 'brk', 'mount'],
              action: 'SCMP_ACT_ALLOW',
            },
            { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
            { names: ['ptrace'], action: 'SCMP_ACT_KILL_PROCESS' },
          ],
        },
        {
          defaultAction: 'SCMP_ACT_KILL_PROCESS',
          architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
          syscalls: [{ names: [...members('@system-service'), 'reboot'], action: 'SCMP_ACT_ALLOW' }],
        },
      ];
      for (const profile of profiles) {
        const text = emitSystemd(profile, { name: 'crafted' });
        const { unit, dropInFile } = await unitWith(text);
        expect(await verify(unit, dropInFile)).toEqual([]);
        const verdicts = await securityVerdicts(unit);
        const read = readSystemdPolicy(text, dropInFile);
        expect(verdicts).toEqual(ourVerdicts(read, verdicts.keys()));
      }
    });

    it('a deny list (a profile that allows by default) is read by systemd without complaint', async () => {
      const text = emitSystemd(
        {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [
            { names: ['mount', 'ptrace'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
            { names: ['reboot', 'kexec_load'], action: 'SCMP_ACT_KILL_PROCESS' },
          ],
        },
        { name: 'deny' },
      );
      const { unit, dropInFile } = await unitWith(text);
      expect(await verify(unit, dropInFile)).toEqual([]);
      const security = await execa('systemd-analyze', [
        'security',
        '--offline=true',
        '--no-pager',
        '--json=short',
        unit,
      ]);
      const mount = (JSON.parse(security.stdout) as { name: string; description: string }[]).find(
        (entry) => entry.name === 'SystemCallFilter=~@mount',
      );
      // @mount has more calls than mount: systemd says the deny list leaves one of the others allowed.
      expect(mount?.description).toMatch(
        /^System call deny list defined for service, .*\(e\.g\. (?!mount )\w+ is allowed\)$/,
      );
    });
  },
);
