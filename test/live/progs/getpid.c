/* One getpid syscall (a syscall with no event type of its own), pid printed. */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	printf("%ld\n", syscall(SYS_getpid));
	return 0;
}
