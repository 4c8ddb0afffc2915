import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  type AuditLineParser,
  createAuditParser,
  feedAuditLines,
  parseAuditStatus,
  type SeccompAuditRecord,
  seccompAction,
} from '../../parsers/audit.js';
import type { ParseNotice } from '../../parsers/observation.js';
import { InputError } from '../../src/errors.js';
import type { Abi } from '../../src/syscalls/abi.js';
import { syscallName } from '../../src/syscalls/table.js';

const SAMPLES = new URL('../../samples/traces/audit-samples.txt', import.meta.url);
const TRACES = new URL('../../samples/traces/', import.meta.url);

interface Parsed {
  records: SeccompAuditRecord[];
  notices: ParseNotice[];
  error?: unknown;
}

function collector(host: Abi = 'x86_64'): Parsed & { parser: AuditLineParser } {
  const records: SeccompAuditRecord[] = [];
  const notices: ParseNotice[] = [];
  const parser = createAuditParser({
    file: 'test.log',
    host,
    onRecord: (record) => records.push(record),
    onNotice: (notice) => notices.push(notice),
  });
  return { parser, records, notices };
}

/** Pushes lines one by one (numbered from 1) and finishes, keeping what finish() threw. */
function parse(lines: string[], host: Abi = 'x86_64'): Parsed {
  const { parser, records, notices } = collector(host);
  for (const [index, line] of lines.entries()) parser.push(line, index + 1);
  try {
    parser.finish();
    return { records, notices };
  } catch (error) {
    return { records, notices, error };
  }
}

function only(line: string, host: Abi = 'x86_64'): SeccompAuditRecord {
  const { records, error } = parse([line], host);
  expect(error).toBeUndefined();
  expect(records).toHaveLength(1);
  return records[0] as SeccompAuditRecord;
}

async function parseStream(input: Readable, host: Abi = 'x86_64'): Promise<Parsed> {
  const { parser, records, notices } = collector(host);
  try {
    await feedAuditLines(input, 'test.log', parser);
    return { records, notices };
  } catch (error) {
    return { records, notices, error };
  }
}

async function parseTrace(name: string): Promise<Parsed> {
  const parsed = await parseStream(createReadStream(new URL(name, TRACES)));
  expect(parsed.error).toBeUndefined();
  return parsed;
}

const localTime = (...parts: [number, number, number, number, number, number, number]): number =>
  new Date(...parts).getTime() / 1000;

/** A raw kernel record body with the given fields replaced or added. */
function raw(
  fields: Record<string, string> = {},
  header = 'type=SECCOMP msg=audit(1700000000.123:77): ',
): string {
  const base: Record<string, string> = {
    auid: '4294967295',
    uid: '0',
    gid: '0',
    ses: '4294967295',
    pid: '42',
    comm: '"app"',
    exe: '"/usr/bin/app"',
    sig: '0',
    arch: 'c000003e',
    syscall: '257',
    compat: '0',
    ip: '0x7f0000001234',
    code: '0x7ffc0000',
    ...fields,
  };
  return (
    header +
    Object.entries(base)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')
  );
}

describe('audit-samples.txt (every real sample line)', async () => {
  const text = await readFile(SAMPLES, 'utf8');
  const lines = text.split('\n');
  const records = new Map<number, SeccompAuditRecord>();
  const notices: ParseNotice[] = [];
  const parser = createAuditParser({
    file: 'audit-samples.txt',
    host: 'x86_64',
    onRecord: (record) => records.set(record.line, record),
    onNotice: (notice) => notices.push(notice),
  });
  lines.forEach((line, index) => {
    if (line !== '' && !line.startsWith('#')) parser.push(line, index + 1);
  });
  parser.finish();

  const sampleLines = lines.flatMap((line, index) =>
    line === '' || line.startsWith('#') ? [] : [index + 1],
  );
  const at = (needle: string): SeccompAuditRecord => {
    const index = lines.findIndex((line) => !line.startsWith('#') && line.includes(needle));
    expect(index, needle).toBeGreaterThanOrEqual(0);
    const record = records.get(index + 1);
    expect(record, needle).toBeDefined();
    return record as SeccompAuditRecord;
  };

  it('reads a record from every sample line and notices nothing but the legacy ABI', () => {
    expect(sampleLines).toHaveLength(17);
    expect([...records.keys()]).toEqual(sampleLines);
    expect(notices).toEqual([
      expect.objectContaining({
        code: 'assumed-abi',
        count: 1,
        abi: 'x86_64',
        line: at('reason="seccomp"').line,
      }),
    ]);
  });

  it('reads the printk/dmesg form (SPO test lines)', () => {
    expect(at('audit(1611996299.149:466250)')).toEqual({
      line: expect.any(Number),
      timestamp: 1611996299.149,
      serial: 466250,
      pid: 615549,
      comm: 'sh',
      exe: '/bin/busybox',
      abi: 'x86_64',
      syscall: 1,
      action: 'log',
      sig: 0,
      compat: false,
    });
    expect(at('audit(1612299677.115:549067)')).toMatchObject({ pid: 3109464, syscall: 0, action: 'log' });
  });

  it('reads subj=? and an ERRNO record', () => {
    const record = at('comm="main"');
    expect(record).toMatchObject({
      pid: 469555,
      exe: '/snap/fuse-test-snap/x1/main',
      syscall: 166,
      action: 'errno',
    });
    expect(record.timestamp).toBe(1658834457.974);
    expect(syscallName(record.abi, record.syscall as number)).toBe('umount2');
  });

  it('gives the i686 record (arch=40000003) the x86 ABI', () => {
    const record = at('comm="dhcpcd"');
    expect(record).toMatchObject({
      abi: 'x86',
      syscall: 224,
      action: 'kill-thread',
      sig: 31,
      pid: 814,
      compat: false,
    });
    expect(syscallName('x86', 224)).toBe('gettid');
  });

  it('reads the <5>[…] kmsg line as 32-bit arm in compat mode, KILL_PROCESS', () => {
    expect(at('<5>[')).toMatchObject({
      abi: 'arm',
      compat: true,
      syscall: 208,
      action: 'kill-process',
      sig: 31,
      pid: 2704,
      comm: 'config_dialog_s',
      exe: '/system/bin/appspawn',
      timestamp: 1659528178.748,
      serial: 27,
    });
  });

  it('assumes the host ABI for the legacy type=1701 record and says so once', () => {
    const record = at('reason="seccomp"');
    expect(record).toMatchObject({ abi: 'x86_64', assumedAbi: true, syscall: 2, pid: 3587, comm: 'chrome' });
    expect(record.exe).toBeUndefined();
    expect(record.action).toBe('errno');
    expect(record.timestamp).toBe(1353762736.78);
    const legacy = parse([lines[record.line - 1] as string], 'aarch64');
    expect(legacy.records[0]).toMatchObject({ abi: 'aarch64', assumedAbi: true });
    expect(legacy.notices[0]?.message).toMatch(/host ABI aarch64/);
  });

  it('reads the rsyslog kernel line', () => {
    expect(at('ubuntu2004 kernel:')).toMatchObject({
      pid: 4709,
      syscall: 13,
      timestamp: 1625740283.502,
      action: 'log',
    });
  });

  it('reads the audispd syslog line whose subj holds spaces, parentheses and "="', () => {
    const record = at('subj==untrusted (complain)');
    expect(record).toMatchObject({ pid: 7743, syscall: 12, comm: 'clang++', action: 'kill-thread', sig: 31 });
    expect(record.exe).toBe(
      '/usr/local/google/home/ukai/tmp/try-sample2/root/third_party/llvm-build/Release+Asserts/bin/clang',
    );
    expect(record.serial).toBe(26626);
  });

  it('reads journald short output, which has no audit(time:serial)', () => {
    const record = at('audit[7053]: SECCOMP');
    expect(record).toMatchObject({
      pid: 7053,
      syscall: 141,
      comm: 'pyzor',
      exe: '/usr/bin/python2.7',
      sig: 31,
    });
    expect(record.timestamp).toBeUndefined();
    expect(record.serial).toBeUndefined();
  });

  it('reads ENRICHED audit.log lines by their numeric fields, whatever SYSCALL= says', () => {
    expect(at('audit(1613596317.899:6461): ')).toMatchObject({
      syscall: 3,
      comm: 'ls',
      exe: '/bin/ls',
      action: 'log',
    });
    expect(at('SYSCALL=clone')).toMatchObject({ syscall: 56, pid: 72503, exe: '/bin/dash' });
    expect(at('SYSCALL=/bin/busybox')).toMatchObject({ syscall: 10, comm: 'sleep', exe: '/bin/busybox' });
    expect(at('audit(1697147265.298:78): ')).toMatchObject({ syscall: 1, action: 'kill-process', sig: 31 });
  });

  it('reads ausearch -i records: names, local times, kill, SIGSYS', () => {
    expect(at('comm=<program>')).toEqual({
      line: expect.any(Number),
      timestamp: localTime(2020, 6, 6, 20, 17, 3, 365),
      serial: 18387,
      pid: 9120,
      comm: '<program>',
      exe: undefined,
      abi: 'x86_64',
      syscall: 'stat',
      action: 'kill-thread',
      sig: 31,
      compat: false,
      assumedAbi: undefined,
    });
    expect(at('audit(02/17/21 21:11:57.899:6461)')).toMatchObject({
      timestamp: localTime(2021, 1, 17, 21, 11, 57, 899),
      syscall: 'close',
      comm: 'ls',
      exe: '/bin/ls',
      sig: 0,
      action: 'log',
    });
    expect(at('exe=/x ')).toMatchObject({ syscall: 'write', exe: '/x', sig: 31, serial: 78 });
  });
});

describe('crafted records', () => {
  it('decodes hex-encoded comm and exe', () => {
    expect(only(raw({ comm: '2F746D702F612062', exe: '2F746D702F6120622F78' }))).toMatchObject({
      comm: '/tmp/a b',
      exe: '/tmp/a b/x',
    });
    expect(only(raw({ exe: '(null)' })).exe).toBeUndefined();
  });

  it('tells x32 calls by the syscall-number bit, and keeps the number raw', () => {
    expect(only(raw({ syscall: '1073741825' }))).toMatchObject({ abi: 'x32', syscall: 1073741825 });
    expect(
      only(
        'type=SECCOMP msg=audit(11/23/26 10:42:22.567:9) : auid=unset pid=1 comm=a exe=/a sig=SIG0 arch=x86_64 ' +
          'syscall=unknown-syscall(1073741863) compat=0 ip=0x1 code=log ',
      ),
    ).toMatchObject({ abi: 'x32', syscall: 1073741863 });
  });

  it('reads ENRICHED lines with the real 0x1D separator, with a space, and glued on', () => {
    const suffix = 'AUID="unset" UID="root" GID="root" ARCH=x86_64 SYSCALL=close';
    for (const glue of ['\x1d', ' ', '']) {
      expect(only(`${raw({ syscall: '3', code: '0x7ffc0000' })}${glue}${suffix}`)).toMatchObject({
        syscall: 3,
        action: 'log',
      });
      // "code=0x0AUID=": the A is not a digit of the code.
      expect(only(`${raw({ code: '0x0' })}${glue}${suffix}`).action).toBe('kill-thread');
    }
  });

  it('maps every code= value to its action, data bits masked off', () => {
    const codes: Record<string, string> = {
      '0x80000000': 'kill-process',
      '0x0': 'kill-thread',
      '0x30000': 'trap',
      '0x50000': 'errno',
      '0x50001': 'errno',
      '0x7fc00000': 'user-notif',
      '0x7ff00000': 'trace',
      '0x7ffc0000': 'log',
      '0x7fff0000': 'allow',
      '0x12345678': 'unknown',
    };
    for (const [code, action] of Object.entries(codes)) expect(only(raw({ code })).action, code).toBe(action);
    expect(seccompAction(0x80000000)).toBe('kill-process');
  });

  it('maps every ausearch -i code name', () => {
    const names: Record<string, string> = {
      kill: 'kill-thread',
      'kill-process': 'kill-process',
      'kill-thread': 'kill-thread',
      trap: 'trap',
      errno: 'errno',
      'user-notify': 'user-notif',
      trace: 'trace',
      log: 'log',
      allow: 'allow',
      'unknown-seccomp-code(0x12345678)': 'unknown',
      'unknown-seccomp-code(0x7ffc0001)': 'log',
    };
    for (const [name, action] of Object.entries(names)) {
      const line = `type=SECCOMP msg=audit(07/06/2020 20:17:03.365:1) : auid=x pid=1 comm=my prog exe=/opt/my prog/bin sig=SIGSYS arch=armeb syscall=write compat=1 ip=0x1 code=${name} `;
      expect(only(line), name).toMatchObject({
        action,
        comm: 'my prog',
        exe: '/opt/my prog/bin',
        abi: 'arm',
        compat: true,
      });
    }
  });

  it('reads dmesg -T, /dev/kmsg and syslog prefixes', () => {
    const body = raw({}, 'audit: type=1326 audit(1795430500.843:292): ');
    for (const prefix of [
      '[Mon Nov 23 10:00:00 2026] ',
      '5,364,3736091192,-;',
      '<5>[  198.963101] ',
      'vm kernel: ',
    ]) {
      expect(only(`${prefix}${body}`), prefix).toMatchObject({
        timestamp: 1795430500.843,
        serial: 292,
        syscall: 257,
      });
    }
    expect(only(`node=host1 ${raw()}`)).toMatchObject({ serial: 77, pid: 42 });
    expect(only(`abcd ${raw()}`)).toMatchObject({ serial: 77, pid: 42 });
  });

  it('dates journald short lines from their syslog prefix', () => {
    const body = raw({}, 'audit[42]: SECCOMP ');
    expect(only(`2026-11-23T10:42:22+0000 vm ${body}`).timestamp).toBe(
      Date.UTC(2026, 10, 23, 10, 42, 22) / 1000,
    );
    expect(only(`1795430542.579000 vm ${body}`).timestamp).toBe(1795430542.579);
    const now = new Date();
    const year =
      new Date(now.getFullYear(), 0, 2, 3, 4, 5).getTime() > now.getTime() + 86_400_000
        ? now.getFullYear() - 1
        : now.getFullYear();
    expect(only(`Jan  2 03:04:05 vm ${body}`).timestamp).toBe(localTime(year, 0, 2, 3, 4, 5, 0));
  });

  it('counts a record journald holds twice (kernel and audit transport) once', () => {
    const kernel = `Nov 23 10:42:22 vm kernel: ${raw({ syscall: '170' }, 'audit: type=1326 audit(1795430542.579:1087): ')}`;
    const audit = `Nov 23 10:42:22 vm audit[42]: ${raw({ syscall: '170' }, 'SECCOMP ')}`;
    const other = `Nov 23 10:42:22 vm audit[42]: ${raw({ syscall: '171' }, 'SECCOMP ')}`;
    const { records } = parse([kernel, audit, kernel, other, audit]);
    expect(records.map((record) => [record.line, record.syscall])).toEqual([
      [1, 170],
      [3, 170],
      [4, 171],
    ]);
  });

  describe('journalctl -o json', () => {
    const auditEntry = {
      __REALTIME_TIMESTAMP: '1795430542579123',
      _TRANSPORT: 'audit',
      SYSLOG_IDENTIFIER: 'audit',
      _AUDIT_TYPE: '1326',
      _AUDIT_TYPE_NAME: 'SECCOMP',
      _AUDIT_ID: '1087',
      _PID: '8408',
      _COMM: 'hostname',
      _EXE: '/bin/busybox',
      _AUDIT_FIELD_SIG: '31',
      _AUDIT_FIELD_ARCH: 'c000003e',
      _AUDIT_FIELD_SYSCALL: '170',
      _AUDIT_FIELD_COMPAT: '0',
      _AUDIT_FIELD_IP: '0x47de07',
      _AUDIT_FIELD_CODE: '0x80000000',
      MESSAGE:
        'SECCOMP auid=4294967295 uid=0 gid=0 ses=4294967295 pid=8408 comm="hostname" exe="/bin/busybox" sig=31 arch=c000003e syscall=170 compat=0 ip=0x47de07 code=0x80000000',
    };
    const expected = {
      timestamp: 1795430542.579,
      serial: 1087,
      pid: 8408,
      comm: 'hostname',
      exe: '/bin/busybox',
      abi: 'x86_64',
      syscall: 170,
      action: 'kill-process',
      sig: 31,
      compat: false,
    };

    it('reads an audit-transport entry', () => {
      expect(only(JSON.stringify(auditEntry))).toMatchObject(expected);
    });

    it('decodes a MESSAGE stored as an array of bytes', () => {
      const bytes = [...Buffer.from(auditEntry.MESSAGE.replace('"hostname"', '"h\u00e9"'))];
      expect(only(JSON.stringify({ ...auditEntry, MESSAGE: bytes }))).toMatchObject({
        ...expected,
        comm: 'hé',
      });
    });

    it('falls back to the _AUDIT_FIELD_* fields without a usable MESSAGE', () => {
      expect(only(JSON.stringify({ ...auditEntry, MESSAGE: undefined }))).toMatchObject(expected);
      expect(only(JSON.stringify({ ...auditEntry, MESSAGE: { bad: true } }))).toMatchObject(expected);
      const { records, notices } = parse([
        JSON.stringify({ ...auditEntry, MESSAGE: { bad: true }, _AUDIT_FIELD_SYSCALL: undefined }),
      ]);
      expect(records).toEqual([]);
      expect(notices[0]).toMatchObject({ code: 'unreadable-line', line: 1 });
    });

    it('reads kernel-transport entries: records and loss messages, and pairs the two copies', () => {
      const kernel = {
        _TRANSPORT: 'kernel',
        __REALTIME_TIMESTAMP: '1795430542600000',
        MESSAGE: `audit: type=1326 audit(1795430542.579:1087): ${auditEntry.MESSAGE.slice(8)}`,
      };
      const suppressed = { _TRANSPORT: 'kernel', MESSAGE: 'kauditd_printk_skb: 7 callbacks suppressed' };
      const { records, notices } = parse([
        JSON.stringify(kernel),
        JSON.stringify(auditEntry),
        JSON.stringify(suppressed),
        JSON.stringify({ MESSAGE: 'not about audit', _TRANSPORT: 'stdout' }),
      ]);
      expect(records).toEqual([expect.objectContaining({ ...expected, line: 1 })]);
      expect(notices).toEqual([expect.objectContaining({ code: 'lost-records', count: 7, line: 3 })]);
    });
  });

  describe('loss', () => {
    const lossOf = (line: string): ParseNotice[] => parse([raw(), line]).notices;

    it.each<[string, number, number | undefined]>([
      ['[ 3736.091188] kauditd_printk_skb: 132 callbacks suppressed', 132, undefined],
      ['[1429444.479956] audit_log_start: 34 callbacks suppressed', 34, undefined],
      ['audit: 5 callbacks suppressed', 5, undefined],
      // A syslog date has no year: the parser takes the current one.
      [
        'Jul  8 10:31:23 host kernel: [  270.8] kauditd_printk_skb: 3 callbacks suppressed',
        3,
        new Date(`${new Date().getFullYear()}-07-08T10:31:23`).getTime() / 1000,
      ],
    ] as const)(
      'reads printk rate-limit notices, with their time when the log has one: %s',
      (line, count, timestamp) => {
        expect(lossOf(line)).toEqual([
          {
            code: 'lost-records',
            message: expect.stringMatching(/at least/),
            file: 'test.log',
            line: 2,
            count,
            ...(timestamp === undefined ? {} : { timestamp }),
          },
        ]);
      },
    );

    it('reads audit_lost=N as growth since the last report', () => {
      const { notices } = parse([
        raw(),
        'audit: audit_lost=5 audit_rate_limit=0 audit_backlog_limit=64',
        'audit: audit_lost=5 audit_rate_limit=0 audit_backlog_limit=64',
        '[  9.1] audit: audit_lost=8 audit_rate_limit=0 audit_backlog_limit=64',
      ]);
      expect(notices.map((notice) => [notice.line, notice.count])).toEqual([
        [2, 5],
        [4, 3],
      ]);
    });

    it.each([
      'audit: backlog limit exceeded',
      'audit: kauditd hold queue overflow',
      'audit: rate limit exceeded',
      'kernel: audit: audit_backlog=8193 > audit_backlog_limit=8192',
      'audit: printk limit exceeded',
    ])('reads %s', (line) => {
      expect(lossOf(line)).toEqual([expect.objectContaining({ code: 'lost-records', line: 2 })]);
    });

    it('ignores rate limits of other subsystems and audit messages that are not about loss', () => {
      for (const line of [
        'net_ratelimit: 3 callbacks suppressed',
        'audit: initializing netlink subsys (disabled)',
        'audit: type=1305 audit(1.2:3): op=set audit_backlog_limit=8192 old=64 res=1',
      ]) {
        expect(lossOf(line), line).toEqual([]);
      }
    });

    it('lists a flood of loss messages up to 100, then sums the rest', () => {
      const lines = [
        raw(),
        ...Array.from({ length: 150 }, () => 'kauditd_printk_skb: 2 callbacks suppressed'),
      ];
      const { notices } = parse(lines);
      expect(notices).toHaveLength(101);
      expect(notices[100]).toMatchObject({
        code: 'lost-records',
        count: 100,
        message: expect.stringMatching(/^50 further/),
      });
    });
  });

  it('ignores every other record type and program output, silently', () => {
    const { records, notices, error } = parse([
      'type=SYSCALL msg=audit(1795430542.427:884): arch=c000003e syscall=59 success=yes exit=0 a0=1 items=1 ppid=1 pid=2 auid=4294967295 uid=0 comm="docker" exe="/usr/local/bin/docker" key="sl"\x1dARCH=x86_64 SYSCALL=execve',
      'type=EXECVE msg=audit(1795430542.427:884): argc=2 a0="echo" a1="type=SECCOMP"',
      'type=PROCTITLE msg=audit(1795430542.427:884): proctitle=6563686F',
      'type=AVC msg=audit(1.2:3): apparmor="DENIED" operation="open" pid=5 comm="x" syscall=2',
      'type=ANOM_ABEND msg=audit(1795430542.579:1088): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=8408 comm="hostname" exe="/bin/busybox" sig=31 res=1',
      '[   12.3] audit: type=1400 audit(1.2:3): apparmor="STATUS" operation="profile_load" pid=1 comm="apparmor_parser"',
      'SECCOMP test suite: 12 passed',
      'hello world',
      '',
    ]);
    expect(records).toEqual([]);
    expect(notices).toEqual([]);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/no SECCOMP audit records/);
  });

  it('reports an unknown arch= once per arch, with the count, and a record it cannot read', () => {
    const { records, notices } = parse([
      raw(),
      raw({ arch: 'deadbeef' }),
      raw({ arch: 'deadbeef' }),
      'type=SECCOMP msg=audit(1795430542.579:1087): auid=1 pid=5 comm="x"',
      'audit: type=1326 truncated',
    ]);
    expect(records).toHaveLength(1);
    expect(notices).toEqual([
      expect.objectContaining({
        code: 'unreadable-line',
        line: 4,
        message: expect.stringMatching(/syscall=/),
      }),
      expect.objectContaining({ code: 'unreadable-line', line: 5 }),
      expect.objectContaining({
        code: 'unknown-syscall',
        line: 2,
        count: 2,
        message: expect.stringMatching(/arch=deadbeef/),
      }),
    ]);
  });

  it('warns that a log ending in a full printk burst probably lost what followed', () => {
    const burst = Array.from({ length: 10 }, (_, i) =>
      raw({}, `audit: type=1326 audit(1795430507.0${i}1:${i}): `),
    );
    expect(parse(burst).notices).toEqual([
      expect.objectContaining({ code: 'lost-records', message: expect.stringMatching(/printk rate limit/) }),
    ]);
    expect(parse(burst.slice(1)).notices).toEqual([]);
    const spread = burst.map((line, i) => line.replace('1795430507', String(1795430507 + i)));
    expect(parse(spread).notices).toEqual([]);
  });
});

describe('feedAuditLines', () => {
  const lines = [
    raw({ syscall: '1' }),
    'type=CWD msg=audit(1.2:3): cwd="/"',
    raw({ syscall: '2' }),
    raw({ syscall: '3' }),
  ];
  const text = `${lines.join('\r\n')}\n${raw({ syscall: '4' })}`;

  it('reads lines split anywhere across chunks, CRLF and a last line without newline, with line numbers', async () => {
    const whole = await parseStream(Readable.from([Buffer.from(text)]));
    expect(whole.records.map((record) => [record.line, record.syscall])).toEqual([
      [1, 1],
      [3, 2],
      [4, 3],
      [5, 4],
    ]);
    for (const size of [1, 7, 64, 333]) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < text.length; at += size) chunks.push(Buffer.from(text.slice(at, at + size)));
      const split = await parseStream(Readable.from(chunks));
      expect(split.records, `chunks of ${size}`).toEqual(whole.records);
    }
  });

  it('reads string chunks and UTF-8 in interpreted values', async () => {
    const line =
      'type=SECCOMP msg=audit(11/23/26 10:42:22.567:9) : pid=1 comm=café exe=/opt/ünï code sig=SIG0 arch=x86_64 syscall=read compat=0 ip=0x1 code=log';
    const { records } = await parseStream(Readable.from([line.slice(0, 70), line.slice(70)]));
    expect(records[0]).toMatchObject({ comm: 'café', exe: '/opt/ünï code', syscall: 'read' });
  });

  it('rejects binary data and over-long lines with the line number', async () => {
    const binary = await parseStream(Readable.from([Buffer.from(`${raw()}\n${raw()}\nab\0cd\n`)]));
    expect(binary.error).toBeInstanceOf(InputError);
    expect((binary.error as Error).message).toBe(
      'test.log:3: binary data (NUL byte): this is not a text log or trace',
    );
    const long = await parseStream(
      Readable.from([Buffer.from(`${raw()}\n`), Buffer.alloc(600 * 1024, 0x61)]),
    );
    expect((long.error as Error).message).toMatch(/^test\.log:2: a line longer than/);
  });

  it('rejects input without SECCOMP records', async () => {
    const { error } = await parseStream(Readable.from([Buffer.from('type=CWD msg=audit(1.2:3): cwd="/"\n')]));
    expect(error).toBeInstanceOf(InputError);
  });
});

describe('real captures (samples/traces, see its README)', () => {
  const bySyscall = (records: SeccompAuditRecord[]): string[] =>
    records.map((record) =>
      typeof record.syscall === 'number' ? (syscallName(record.abi, record.syscall) ?? '?') : record.syscall,
    );

  it('audit-docker-busybox.log: 196 ENRICHED records, numbers read despite SYSCALL=unknown-syscall(-1)', async () => {
    const { records, notices } = await parseTrace('audit-docker-busybox.log');
    expect(notices).toEqual([]);
    expect(records).toHaveLength(196);
    expect(
      records.every((record) => record.abi === 'x86_64' && record.action === 'log' && record.sig === 0),
    ).toBe(true);
    expect(new Set(bySyscall(records))).toEqual(
      new Set(
        (
          'read write close fstat mprotect brk rt_sigaction ioctl getpid execve fcntl getcwd chdir readlink getuid ' +
          'setuid setgid getppid setgroups capget capset fstatfs prctl arch_prctl futex getdents64 set_tid_address ' +
          'exit_group epoll_ctl openat newfstatat set_robust_list prlimit64 getrandom rseq faccessat2'
        ).split(' '),
      ),
    );
    const comms = new Map<string, number>();
    for (const record of records) comms.set(record.comm ?? '', (comms.get(record.comm ?? '') ?? 0) + 1);
    expect(Object.fromEntries(comms)).toEqual({ 'runc:[2:INIT]': 154, sh: 26, ls: 16 });
    expect(
      records.filter((record) => record.comm === 'runc:[2:INIT]').every((record) => record.exe === '/'),
    ).toBe(true);
    expect(records[0]).toMatchObject({
      line: 1,
      timestamp: 1795430525.055,
      serial: 686,
      pid: 8203,
      syscall: 257,
    });
  });

  it('audit-docker-busybox-actions.log: SECCOMP records among other types, one KILL_PROCESS, ANOM_ABEND ignored', async () => {
    const { records, notices } = await parseTrace('audit-docker-busybox-actions.log');
    expect(notices).toEqual([]);
    expect(records).toHaveLength(200);
    expect(records.filter((record) => record.action !== 'log')).toEqual([
      {
        line: 256,
        timestamp: 1795430542.579,
        serial: 1087,
        pid: 8408,
        comm: 'hostname',
        exe: '/bin/busybox',
        abi: 'x86_64',
        syscall: 170,
        action: 'kill-process',
        sig: 31,
        compat: false,
        assumedAbi: undefined,
      },
    ]);
    // The execve rule's 15 SYSCALL records (syscall=59) are not SECCOMP records: only the container's execve is.
    expect(records.filter((record) => record.syscall === 59)).toHaveLength(1);
  });

  it('audit-docker-busybox-actions-ausearch-i.log: the same 200 records, by name and local time', async () => {
    const interpreted = await parseTrace('audit-docker-busybox-actions-ausearch-i.log');
    const rawRecords = (await parseTrace('audit-docker-busybox-actions.log')).records;
    expect(interpreted.notices).toEqual([]);
    // ausearch 3.0.9 prints `kill` for KILL_PROCESS too.
    const key = (record: SeccompAuditRecord, name: string): string =>
      `${record.serial} ${record.pid} ${record.comm} ${record.exe} ${name} ${record.action.replace(/^kill-.*/, 'kill')} ${record.sig}`;
    const names = bySyscall(interpreted.records);
    expect(interpreted.records.map((record, i) => key(record, names[i] as string)).sort()).toEqual(
      bySyscall(rawRecords)
        .map((name, i) => key(rawRecords[i] as SeccompAuditRecord, name))
        .sort(),
    );
    expect(interpreted.records.find((record) => record.serial === 891)?.timestamp).toBe(
      localTime(2026, 10, 23, 10, 42, 22, 567),
    );
    expect(interpreted.records.find((record) => record.syscall === 'sethostname')).toMatchObject({
      action: 'kill-thread',
      sig: 31,
    });
  });

  it('audit-docker-prw-ausearch-i.log: audit-userspace names (pread, pwrite) become libseccomp names', async () => {
    const interpreted = await parseTrace('audit-docker-prw-ausearch-i.log');
    const rawRecords = (await parseTrace('audit-docker-prw.log')).records;
    expect(interpreted.notices).toEqual([]);
    expect(interpreted.records).toHaveLength(175);
    const prw = interpreted.records.filter((record) => record.comm === 'prw');
    expect(prw.map((record) => record.syscall)).toContain('pread64');
    expect(prw.map((record) => record.syscall)).toContain('pwrite64');
    expect(
      interpreted.records.some((record) => record.syscall === 'pread' || record.syscall === 'pwrite'),
    ).toBe(false);
    // Name for name, the interpreted records are the raw numbers resolved with libseccomp's table.
    const key = (record: SeccompAuditRecord, name: string): string => `${record.serial} ${name}`;
    const names = bySyscall(interpreted.records);
    expect(interpreted.records.map((record, i) => key(record, names[i] as string)).sort()).toEqual(
      bySyscall(rawRecords)
        .map((name, i) => key(rawRecords[i] as SeccompAuditRecord, name))
        .sort(),
    );
  });

  it('maps audit-userspace names on other ABIs (aarch64 newfstat, getdents; i686 madvise1)', () => {
    const line = (arch: string, syscall: string): string =>
      `type=SECCOMP msg=audit(11/23/26 10:42:22.567:891) : auid=unset uid=root gid=root ses=unset pid=1 comm=a exe=/a sig=SIG0 arch=${arch} syscall=${syscall} compat=0 ip=0x1 code=log`;
    expect(only(line('aarch64', 'newfstat'), 'aarch64').syscall).toBe('fstat');
    expect(only(line('aarch64', 'getdents'), 'aarch64').syscall).toBe('getdents64');
    expect(only(line('aarch64', 'pread'), 'aarch64').syscall).toBe('pread64');
    expect(only(line('i686', 'madvise1')).syscall).toBe('madvise');
    expect(only(line('ppc64le', 'fstatat64'), 'ppc64le').syscall).toBe('newfstatat');
    // Names both projects share, and names of other ABIs, are left alone.
    expect(only(line('x86_64', 'openat')).syscall).toBe('openat');
    expect(only(line('x86_64', 'getdents')).syscall).toBe('getdents');
  });

  it('dmesg-ratelimited.txt and its -T and /dev/kmsg forms: 20 records, the suppressed counts, the tail warning', async () => {
    const forms = await Promise.all(
      ['dmesg-ratelimited.txt', 'dmesg-T-ratelimited.txt', 'dmesg-kmsg-ratelimited.txt'].map(parseTrace),
    );
    for (const { records, notices } of forms) {
      expect(records.map(({ line, ...rest }) => rest)).toEqual(
        forms[0]?.records.map(({ line, ...rest }) => rest),
      );
      expect(notices.map((notice) => [notice.code, notice.line, notice.count])).toEqual([
        ['lost-records', 1, 132],
        ['lost-records', 12, 186],
        ['lost-records', undefined, undefined],
      ]);
    }
    const records = forms[0]?.records ?? [];
    expect(records).toHaveLength(20);
    expect(records.every((record) => record.comm === 'runc:[2:INIT]')).toBe(true);
    expect(records.map((record) => record.serial)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => 292 + i),
      ...Array.from({ length: 10 }, (_, i) => 488 + i),
    ]);
    expect(new Set(bySyscall(records))).toEqual(
      new Set(['openat', 'epoll_ctl', 'fstatfs', 'getdents64', 'fcntl']),
    );
  });

  it('audit-auditctl-s.log: parseAuditStatus', async () => {
    const text = await readFile(new URL('audit-auditctl-s.log', TRACES), 'utf8');
    expect(parseAuditStatus(text)).toEqual({ lost: 0, backlog: 0, backlogLimit: 8192, enabled: 1 });
  });
});

describe('parseAuditStatus', () => {
  it('reads the old one-line form and rejects other text', () => {
    expect(
      parseAuditStatus(
        'AUDIT_STATUS: enabled=1 flag=1 pid=812 rate_limit=0 backlog_limit=320 lost=57 backlog=3',
      ),
    ).toEqual({ lost: 57, backlog: 3, backlogLimit: 320, enabled: 1 });
    expect(() => parseAuditStatus('Error sending status request (Operation not permitted)')).toThrow(
      InputError,
    );
  });
});
