import { describe, expect, it } from 'vitest';
import { PrintkTail } from '../../parsers/audit/loss.js';
import { AuditNotices } from '../../parsers/audit/notices.js';
import type { ParseNotice } from '../../parsers/observation.js';

function collect(): { notices: AuditNotices; heard: ParseNotice[] } {
  const heard: ParseNotice[] = [];
  return { notices: new AuditNotices('a.log', (notice) => heard.push(notice)), heard };
}

describe('AuditNotices', () => {
  it('lists a hundred notices of a kind, then sums the rest and what they stand for', () => {
    const { notices, heard } = collect();
    for (let line = 1; line <= 103; line++) notices.line('lost-records', `lost at ${line}`, line, 2);
    notices.unreadable(104, 'no syscall= field');
    expect(heard).toHaveLength(101);
    expect(heard[99]).toEqual({
      code: 'lost-records',
      message: 'lost at 100',
      file: 'a.log',
      line: 100,
      count: 2,
    });
    expect(heard[100]).toMatchObject({ code: 'unreadable-line', line: 104 });
    expect(notices.lostNotices).toBe(100);
    notices.finish('x86_64', undefined);
    expect(heard.at(-1)).toEqual({
      code: 'lost-records',
      message:
        '3 further notice(s) about lost or unreadable records were not listed one by one, standing for at least 6 missing record(s)',
      file: 'a.log',
      count: 6,
    });
  });

  it('sums legacy records and unknown architectures after the last line, then the tail, then the withheld', () => {
    const { notices, heard } = collect();
    notices.legacy(7, false);
    notices.legacy(9, true);
    notices.unknownArch('c00000aa', 3);
    notices.unknownArch('c00000aa', 4);
    const tail: ParseNotice = { code: 'lost-records', message: 'tail', file: 'a.log' };
    notices.finish('x86_64', tail);
    expect(heard.map((notice) => [notice.code, notice.line, notice.count])).toEqual([
      ['assumed-abi', 7, 2],
      ['unknown-syscall', 3, 2],
      ['lost-records', undefined, undefined],
    ]);
    expect(heard[0]?.message).toContain('(1 with compat=1: x86)');
  });
});

describe('PrintkTail', () => {
  const burst = (tail: PrintkTail, from: number, step: number): void => {
    for (let i = 0; i < 10; i++) tail.printed(from + i * step);
  };

  it('warns when the log ends in a full burst within the rate-limit interval, unless journald kept a copy', () => {
    const full = new PrintkTail();
    burst(full, 100, 0.1);
    expect(full.notice('k.log')).toMatchObject({ code: 'lost-records', file: 'k.log' });
    const slow = new PrintkTail();
    burst(slow, 100, 1);
    expect(slow.notice('k.log')).toBeUndefined();
    const short = new PrintkTail();
    for (let i = 0; i < 9; i++) short.printed(100);
    expect(short.notice('k.log')).toBeUndefined();
    const copied = new PrintkTail();
    burst(copied, 100, 0.1);
    copied.journal();
    expect(copied.notice('k.log')).toBeUndefined();
  });
});
