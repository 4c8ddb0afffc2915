import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRuleRecord } from '../../parsers/audit-process.js';
import { auditedArguments, ContainerAttribution, containerOfPid } from '../../src/sources/attribution.js';
import { parseContainerRun, prepareContainerRun } from '../../src/sources/container-command.js';
import { abiFromAuditArch } from '../../src/syscalls/abi.js';
import { SAMPLES } from '../helpers/cli.js';

const MINE = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

describe('ContainerAttribution', () => {
  it("keeps the container's records, places ended processes through their parents and reports the rest", () => {
    const attribution = new ContainerAttribution();
    attribution.place(100, MINE); // container init, seen alive
    attribution.place(200, OTHER); // another learning container
    attribution.place(300, null); // a host process with a LOG filter of its own
    attribution.record(100, 'x86_64', 'execve');
    attribution.record(101, 'x86_64', 59); // a child of 100 that ended before it could be placed
    attribution.record(102, 'x86_64', 'mkdir'); // a grandchild
    attribution.record(200, 'x86_64', 'sync');
    attribution.record(201, 'x86_64', 'chmod'); // child of the other container
    attribution.record(300, 'x86_64', 'ptrace');
    attribution.record(999, 'x86', 'open'); // nobody knows
    attribution.record(999, 'x86', 'open');
    attribution.parent(101, 100);
    attribution.parent(102, 101);
    attribution.parent(201, 200);
    const result = attribution.finish(MINE);
    expect(result.mine.map((call) => call.syscall).sort()).toEqual([59, 'execve', 'mkdir']);
    expect(result.placedLive).toBe(1);
    expect(result.placedByAncestry).toBe(2);
    expect(result.othersCalls).toBe(3);
    expect(result.unresolved.pids).toBe(1);
    expect(result.unresolved.calls).toBe(2);
    expect([...result.unresolved.syscalls.values()]).toEqual([{ abi: 'x86', syscall: 'open', calls: 2 }]);
  });

  it("reads a live process's cgroup and says when the process is gone", () => {
    expect(containerOfPid(process.pid)).toEqual({ containerId: null });
    expect(containerOfPid(2 ** 22 + 12345)).toBeUndefined();
  });
});

describe('parseRuleRecord', () => {
  // A real record from this machine's audit.log (ENRICHED format) under the rule seccomp-learn adds.
  const line =
    'type=SYSCALL msg=audit(1795431492.367:1481): arch=c000003e syscall=231 a0=0 a1=e7 a2=3c a3=c8807cb7d7e73057 items=0 ppid=21587 pid=21623 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="ls" exe="/bin/busybox" key="sl-t3"\u001dARCH=x86_64 SYSCALL=exit_group AUID="unset" UID="root" GID="root"';
  it('gives the process and its parent as the host sees them, the call and its first four registers', () => {
    expect(parseRuleRecord(line, 'sl-t3')).toEqual({
      pid: 21623,
      parent: 21587,
      auditArch: 0xc000003e,
      syscall: 231,
      registers: [0n, 0xe7n, 0x3cn, 0xc8807cb7d7e73057n],
    });
    expect(parseRuleRecord(line, 'other-key')).toBeUndefined();
    expect(parseRuleRecord(line.replace('type=SYSCALL', 'type=PROCTITLE'), 'sl-t3')).toBeUndefined();
    expect(parseRuleRecord(line.replace(' a2=3c', ''), 'sl-t3')).toBeUndefined();
  });
});

describe('auditedArguments', () => {
  // Real rule records (samples/traces/audit-rule-records.log): the recorded container's python3 (32459)
  // opened an AF_UNIX and an AF_INET socket; another container's python3 (32474) and auditctl on the host too.
  const records = readFileSync(join(SAMPLES, 'audit-rule-records.log'), 'utf8')
    .split('\n')
    .flatMap((line) => parseRuleRecord(line, 'seccomp-learn-32384') ?? []);

  function attribution(seccompSockets: number): ContainerAttribution {
    const placed = new ContainerAttribution();
    placed.place(32459, 'mine');
    placed.place(32474, 'other');
    for (let call = 0; call < seccompSockets; call++) placed.record(32459, 'x86_64', 41);
    for (const record of records) {
      const abi = abiFromAuditArch(record.auditArch, record.syscall);
      if (abi) placed.audit(record.pid, abi, record.syscall, record.registers);
    }
    return placed;
  }

  it("keeps the container's values when the rule logged every call seccomp logged", () => {
    expect(records).toHaveLength(8);
    expect(auditedArguments(attribution(2).finish('mine'))).toEqual([
      { abi: 'x86_64', name: 'socket', logged: 2, audited: 2, arguments: [['0', [1n, 2n]]] },
    ]);
  });

  it('leaves them unread when a call was not logged by the rule, or had no rule (x32)', () => {
    const placed = attribution(3);
    placed.record(32459, 'x32', 0x40000000 + 41);
    expect(auditedArguments(placed.finish('mine'))).toEqual([
      { abi: 'x86_64', name: 'socket', logged: 3, audited: 2, arguments: [['0', undefined]] },
      { abi: 'x32', name: 'socket', logged: 1, audited: 0, arguments: [['0', undefined]] },
    ]);
  });
});

describe('container commands', () => {
  it('recognises docker, docker container and podman runs, with global options first', () => {
    expect(parseContainerRun(['docker', 'run', 'img'])).toEqual({ engine: 'docker', runAt: 1 });
    expect(parseContainerRun(['/usr/bin/docker', '--debug', 'container', 'run', 'img'])).toEqual({
      engine: 'docker',
      runAt: 3,
    });
    expect(parseContainerRun(['podman', 'run', 'img'])).toEqual({ engine: 'podman', runAt: 1 });
    expect(parseContainerRun(['podman', '--runtime', 'runc', 'run', 'img'])).toEqual({
      engine: 'podman',
      runAt: 3,
    });
    expect(parseContainerRun(['docker', '-H', 'unix:///run/docker.sock', 'run', 'img'])).toEqual({
      engine: 'docker',
      runAt: 3,
    });
    expect(parseContainerRun(['docker', 'ps'])).toBeUndefined();
    expect(parseContainerRun(['./app', 'run'])).toBeUndefined();
  });

  it('inserts the complain-mode profile and a cid file after run, and finds the image', () => {
    const run = prepareContainerRun(
      [
        'docker',
        'run',
        '--rm',
        '-e',
        'A=1',
        '--network',
        'none',
        '-it',
        'sl-busybox:test',
        'sh',
        '-c',
        'echo -d',
      ],
      '/tmp/p.json',
      '/tmp/cid',
    );
    expect(run.argv).toEqual([
      'docker',
      'run',
      '--security-opt',
      'seccomp=/tmp/p.json',
      '--cidfile',
      '/tmp/cid',
      '--rm',
      '-e',
      'A=1',
      '--network',
      'none',
      '-it',
      'sl-busybox:test',
      'sh',
      '-c',
      'echo -d',
    ]);
    expect(run.image).toBe('sl-busybox:test');
    const theirs = prepareContainerRun(['podman', 'run', '--cidfile=/x/cid', 'img'], '/p', '/c');
    expect(theirs.userCidFile).toBe('/x/cid');
    expect(theirs.argv).toEqual(['podman', 'run', '--security-opt', 'seccomp=/p', '--cidfile=/x/cid', 'img']);
  });

  it('refuses what would defeat the recording', () => {
    const refuse = (argv: string[]) => () => prepareContainerRun(argv, '/p', '/c');
    expect(refuse(['docker', 'run', '--security-opt', 'seccomp=unconfined', 'img'])).toThrow(
      /already sets seccomp=unconfined/,
    );
    expect(refuse(['docker', 'run', '--security-opt=seccomp:/x.json', 'img'])).toThrow(
      /already sets seccomp:\/x\.json/,
    );
    expect(refuse(['docker', 'run', '--privileged', 'img'])).toThrow(/--privileged/);
    expect(refuse(['docker', 'run', '-dit', 'img'])).toThrow(/detached/);
    expect(refuse(['docker', 'run', '--rm'])).toThrow(/no image/);
    expect(
      prepareContainerRun(['docker', 'run', '--security-opt', 'no-new-privileges', 'img'], '/p', '/c').image,
    ).toBe('img');
  });
});
