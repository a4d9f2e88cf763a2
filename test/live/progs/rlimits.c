/* Limit calls of which the state needs one kind only (a successful call about RLIMIT_NOFILE):
 * prlimit64 reading RLIMIT_STACK and RLIMIT_NOFILE, a prlimit64 of RLIMIT_NOFILE that fails
 * (no such process), setrlimit of RLIMIT_CORE and of RLIMIT_NOFILE (each to its current
 * value). Prints nothing; exits 1 when a call did not do what it should. */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	struct rlimit old;
	if (syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, &old))
		return 1;
	if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &old))
		return 1;
	if (syscall(SYS_prlimit64, 0x3ffffff0, RLIMIT_NOFILE, NULL, &old) == 0)
		return 1;
	struct rlimit core;
	if (syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, &core) || syscall(SYS_setrlimit, RLIMIT_CORE, &core))
		return 1;
	if (syscall(SYS_setrlimit, RLIMIT_NOFILE, &old))
		return 1;
	return 0;
}
