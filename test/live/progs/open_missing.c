/* openat of argv[1] (expected to be missing: the call fails), then of argv[2] (succeeds);
 * prints both results. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int missing = openat(AT_FDCWD, argv[1], O_RDONLY);
	int fd = openat(AT_FDCWD, argv[2], O_RDONLY);
	printf("%d %d\n", missing, fd);
	return fd < 0;
}
