import { describe, expect, it } from 'vitest';
import { groupOf, SYSCALL_GROUP_IDS, SYSCALL_GROUPS } from '../../src/report/groups.js';
import { SYSCALL_TABLE_COLUMNS, SYSCALL_TABLE_ROWS } from '../../src/syscalls/table.generated.js';

function namesOf(table: (typeof SYSCALL_TABLE_COLUMNS)[number]): string[] {
  const column = SYSCALL_TABLE_COLUMNS.indexOf(table) + 1;
  return SYSCALL_TABLE_ROWS.filter((row) => Number(row[column] ?? -1) >= 0).map((row) => row[0]);
}

describe('syscall groups', () => {
  it.each(['x86_64', 'aarch64'] as const)(
    'put every %s syscall in a group, fewer than 5%% in other',
    (table) => {
      const names = namesOf(table);
      expect(names.length).toBeGreaterThan(300);
      const other = names.filter((name) => groupOf(name) === 'other');
      expect(other.length / names.length).toBeLessThan(0.05);
      for (const name of names) expect(SYSCALL_GROUP_IDS).toContain(groupOf(name));
    },
  );

  it('know every name libseccomp knows on any ABI', () => {
    expect(SYSCALL_TABLE_ROWS.map((row) => row[0]).filter((name) => groupOf(name) === 'other')).toEqual([]);
  });

  it('sort names by what they do', () => {
    expect(groupOf('openat')).toBe('file-system');
    expect(groupOf('read')).toBe('basic-io');
    expect(groupOf('socket')).toBe('network');
    expect(groupOf('clone3')).toBe('process');
    expect(groupOf('setns')).toBe('mount');
    expect(groupOf('init_module')).toBe('module');
    expect(groupOf('clock_settime')).toBe('clock');
    expect(groupOf('clock_gettime')).toBe('time');
    expect(groupOf('keyctl')).toBe('keyring');
    expect(groupOf('ptrace')).toBe('debug');
    expect(groupOf('reboot')).toBe('privileged');
    expect(groupOf('epoll_wait')).toBe('events');
    expect(groupOf('setuid')).toBe('credentials');
    expect(groupOf('sched_setaffinity')).toBe('scheduling');
    expect(groupOf('prlimit64')).toBe('resources');
  });

  it('send unknown names to other', () => {
    expect(groupOf('frobnicate')).toBe('other');
  });

  it('have a title and description each, in display order', () => {
    expect(SYSCALL_GROUPS.map((group) => group.id)).toEqual([...SYSCALL_GROUP_IDS]);
    for (const group of SYSCALL_GROUPS) {
      expect(group.title).not.toBe('');
      expect(group.description).not.toBe('');
    }
  });
});
