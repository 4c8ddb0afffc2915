#include <stdio.h>
#include <unistd.h>
int main(void){ char b[64]; int n = getpid(); printf("pid %d\n", n); return 0; }
