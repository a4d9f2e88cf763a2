/* Opens each of argv[1..] read-only with openat(AT_FDCWD, ...), keeping them all open, then
 * closes them in the same order; prints the fds, space-separated. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fds[16];
	int n = argc - 1 < 16 ? argc - 1 : 16;
	for (int i = 0; i < n; i++) {
		fds[i] = openat(AT_FDCWD, argv[i + 1], O_RDONLY);
		if (fds[i] < 0)
			return 1;
	}
	for (int i = 0; i < n; i++) {
		close(fds[i]);
		printf(i ? " %d" : "%d", fds[i]);
	}
	printf("\n");
	return 0;
}
