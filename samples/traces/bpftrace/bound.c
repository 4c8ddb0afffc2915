/* prctl with 20 options no kernel knows (EINVAL): more distinct values than a recording keeps. */
#include <sys/prctl.h>
int main(void) {
  for (int option = 1000; option < 1020; option++) prctl(option, 0, 0, 0, 0);
  return 0;
}
