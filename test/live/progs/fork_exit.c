/* Forks; the child exits with status 7 at once; the parent waits and prints the child's pid. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	pid_t child = fork();
	if (child < 0)
		return 1;
	if (child == 0)
		_exit(7);
	int status = 0;
	waitpid(child, &status, 0);
	printf("%d\n", child);
	return WEXITSTATUS(status) == 7 ? 0 : 1;
}
