/**
 * Reads the process-exit records seccomp-learn asks the kernel for while it records a container:
 * `type=SYSCALL … syscall=231 … ppid=<parent> pid=<process> … key="<key>"`. Both pids are as the
 * host sees them (a fork's own return value would be the container's namespaced pid), so a
 * process that ended before its cgroup could be read can still be placed through its parent.
 */
export interface ProcessExitRecord {
  pid: number;
  parent: number;
}

function numberField(line: string, name: string): number | undefined {
  const at = line.indexOf(` ${name}=`);
  if (at < 0) return undefined;
  const value = Number.parseInt(line.slice(at + name.length + 2), 10);
  return Number.isNaN(value) ? undefined : value;
}

export function parseProcessExitRecord(line: string, key: string): ProcessExitRecord | undefined {
  if (!line.includes(`key="${key}"`) || !line.includes('type=SYSCALL')) return undefined;
  const parent = numberField(line, 'ppid');
  const pid = numberField(line, 'pid');
  if (parent === undefined || pid === undefined) return undefined;
  return { pid, parent };
}
