/* The bpf sample workload of samples/traces/bpftrace/command-args.json: learned arguments on the
   ABI it is built for (gcc -static for x86_64, gcc -m32 -static for ia32). */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) close(fd);
  fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd >= 0) close(fd);
  personality(0xffffffff);
  prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  unshare(0);
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, 0, 0);
  return 0;
}
