/* Opens argv[1] read-only with openat(AT_FDCWD, ...), closes it, prints the fd. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int fd = openat(AT_FDCWD, argv[1], O_RDONLY);
	if (fd < 0)
		return 1;
	close(fd);
	printf("%d\n", fd);
	return 0;
}
