#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
  char buf[16] = {0};
  int fd = open("/tmp/prw.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) { perror("open"); return 1; }
  if (pwrite(fd, "hello pread", 11, 0) != 11) { perror("pwrite"); return 1; }
  if (pread(fd, buf, 5, 6) != 5) { perror("pread"); return 1; }
  printf("%s\n", buf);
  close(fd);
  return 0;
}
