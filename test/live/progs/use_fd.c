/* Opens argv[1] read-only with openat(AT_FDCWD, ...), then: "fchmod" sets its mode to what
 * it is, "fork" has a child close it, "keep" does nothing more; "rename" first sets the
 * thread's name (prctl PR_SET_NAME) to what it is. The parent closes the fd last.
 * Prints the fd. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	if (!strcmp(argv[2], "rename")) {
		char name[16] = "";
		if (prctl(PR_GET_NAME, name) || prctl(PR_SET_NAME, name))
			return 1;
	}
	int fd = openat(AT_FDCWD, argv[1], O_RDONLY);
	if (fd < 0)
		return 1;
	if (!strcmp(argv[2], "fchmod")) {
		struct stat st;
		if (fstat(fd, &st) || fchmod(fd, st.st_mode & 07777))
			return 1;
	} else if (!strcmp(argv[2], "fork")) {
		pid_t p = fork();
		if (p == 0) {
			close(fd);
			_exit(0);
		}
		waitpid(p, NULL, 0);
	}
	printf("%d\n", fd);
	fflush(stdout);
	close(fd);
	return 0;
}
