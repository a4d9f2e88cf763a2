/* Fileless execution: copies argv[1] (an executable) into a memfd and executes it from
 * there with execveat(AT_EMPTY_PATH), as memory-only malware does. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int src = open(argv[1], O_RDONLY);
	int mfd = memfd_create("saker-e2e", 0);
	if (src < 0 || mfd < 0)
		return 1;
	char buf[65536];
	ssize_t n;
	while ((n = read(src, buf, sizeof(buf))) > 0)
		if (write(mfd, buf, n) != n)
			return 1;
	close(src);
	char *args[] = { "memfd-payload", NULL };
	char *env[] = { NULL };
	syscall(SYS_execveat, mfd, "", args, env, AT_EMPTY_PATH);
	perror("execveat");
	return 1;
}
