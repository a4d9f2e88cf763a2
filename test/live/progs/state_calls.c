/* Makes the state-changing calls libsinsp tracks, one each, and prints what the kernel
 * returned, one "name values..." line per call:
 *   socketpair (AF_UNIX, SOCK_STREAM), setrlimit and prlimit64 (RLIMIT_NOFILE soft limit
 *   set to argv[2], hard limit unchanged), prctl(PR_SET_NAME, argv[3]), unshare and setns
 *   (CLONE_NEWUTS; root), open_by_handle_at of the file argv[1], io_uring_setup (8
 *   entries; the fd, then the sizes and features the kernel wrote back), and again with
 *   IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP (its fd). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	printf("socketpair %d %d\n", sv[0], sv[1]);

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1;
	struct rlimit want = { .rlim_cur = strtoul(argv[2], NULL, 10), .rlim_max = rl.rlim_max };
	/* the syscall itself: glibc's setrlimit() calls prlimit64 */
	printf("setrlimit %ld %lld %lld\n", syscall(SYS_setrlimit, RLIMIT_NOFILE, &want), (long long)want.rlim_cur,
	       (long long)want.rlim_max);
	struct rlimit old;
	long r = syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &want, &old);
	printf("prlimit64 %ld %lld %lld\n", r, (long long)old.rlim_cur, (long long)old.rlim_max);

	printf("prctl %d\n", prctl(PR_SET_NAME, argv[3], 0, 0, 0));
	printf("unshare %d\n", unshare(CLONE_NEWUTS));
	int ns = open("/proc/self/ns/uts", O_RDONLY);
	printf("setns %d %d\n", setns(ns, CLONE_NEWUTS), ns);

	struct {
		struct file_handle fh;
		unsigned char bytes[MAX_HANDLE_SZ];
	} h = { .fh.handle_bytes = MAX_HANDLE_SZ };
	int mount_id;
	if (name_to_handle_at(AT_FDCWD, argv[1], &h.fh, &mount_id, 0))
		return 1;
	int mount_fd = open(argv[1], O_RDONLY);
	printf("open_by_handle_at %d %d\n", open_by_handle_at(mount_fd, &h.fh, O_RDONLY), mount_fd);

	struct io_uring_params p = { 0 };
	long ring = syscall(SYS_io_uring_setup, 8, &p);
	printf("io_uring_setup %ld %u %u %u\n", ring, p.sq_entries, p.cq_entries, p.features);
	struct io_uring_params sized = { .flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP, .cq_entries = 64 };
	printf("io_uring_setup_sized %ld\n", syscall(SYS_io_uring_setup, 8, &sized));
	return 0;
}
