/* Tries to load a kernel module from a junk image with init_module(2): the kernel refuses
 * it (ENOEXEC/EINVAL), but the attempt is the event a detection sees. Exits 0 either way. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	char image[512];
	memset(image, 0x5a, sizeof(image));
	long rc = syscall(SYS_init_module, image, sizeof(image), "");
	printf("%ld\n", rc);
	return 0;
}
