/* Attaches to a child with PTRACE_ATTACH (what code injection starts with), then lets go. */
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	pid_t child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		for (;;)
			pause();
	}
	usleep(50000);
	int rc = 0;
	if (ptrace(PTRACE_ATTACH, child, NULL, NULL) != 0) {
		perror("ptrace");
		rc = 1;
	} else {
		waitpid(child, NULL, 0);
		ptrace(PTRACE_DETACH, child, NULL, NULL);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return rc;
}
