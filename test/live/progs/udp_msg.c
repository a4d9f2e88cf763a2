/* Sends one UDP datagram with sendmsg from an unbound socket to a socket on 127.0.0.1,
 * receives it with recvmsg (the sender's address in msg_name, IP_PKTINFO control data),
 * and prints what the kernel returned:
 *   sendmsg <res> <fd> <size>      (size: the iovecs' total; the data is "saker-" + 'x's)
 *   recvmsg <res> <fd> <controllen>
 *   ports <sender port> <receiver port>
 * then reads three options of the receiver with getsockopt, printing res, value, optlen:
 *   so_type (SOCK_DGRAM), so_rcvtimeo (set to 1.5 s first; value in ns), ip_ttl
 * and last sends two datagrams ("one", "three") with one sendmmsg and receives them with
 * one recvmmsg:
 *   sendmmsg <res> <length of each>
 *   recvmmsg <res> <length of each>
 * and two failures: the first sendmsg again without msg_name (the sender is not connected),
 * and a recvmmsg with MSG_DONTWAIT when nothing is queued; each prints -errno:
 *   sendmsg_failed <res>
 *   recvmmsg_failed <res> */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

int main(void)
{
	int rx = socket(AF_INET, SOCK_DGRAM, 0);
	int tx = socket(AF_INET, SOCK_DGRAM, 0);
	int on = 1;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(to);
	if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&to, sizeof(to)) ||
	    getsockname(rx, (struct sockaddr *)&to, &len) || setsockopt(rx, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)))
		return 1;

	char head[] = "saker-", tail[94];
	memset(tail, 'x', sizeof(tail));
	struct iovec out[2] = { { head, 6 }, { tail, sizeof(tail) } };
	struct msghdr m = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = out, .msg_iovlen = 2 };
	printf("sendmsg %zd %d %zu\n", sendmsg(tx, &m, 0), tx, sizeof(head) - 1 + sizeof(tail));

	char buf[200], control[64];
	struct sockaddr_in from;
	struct iovec in[2] = { { buf, 10 }, { buf + 10, sizeof(buf) - 10 } };
	struct msghdr r = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = in, .msg_iovlen = 2,
			    .msg_control = control, .msg_controllen = sizeof(control) };
	ssize_t got = recvmsg(rx, &r, 0);
	printf("recvmsg %zd %d %zu\n", got, rx, (size_t)r.msg_controllen);
	printf("ports %d %d\n", ntohs(from.sin_port), ntohs(to.sin_port));

	int type = 0, ttl = 0;
	struct timeval tv = { 1, 500000 };
	if (setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return 1;
	/* each result in a variable first: printf's arguments are evaluated in any order */
	len = sizeof(type);
	int res = getsockopt(rx, SOL_SOCKET, SO_TYPE, &type, &len);
	printf("so_type %d %d %u\n", res, type, len);
	memset(&tv, 0, sizeof(tv));
	len = sizeof(tv);
	res = getsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
	printf("so_rcvtimeo %d %lld %u\n", res, tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL, len);
	len = sizeof(ttl);
	res = getsockopt(rx, IPPROTO_IP, IP_TTL, &ttl, &len);
	printf("ip_ttl %d %d %u\n", res, ttl, len);

	struct iovec one = { "one", 3 }, three = { "three", 5 };
	struct mmsghdr outs[2] = {
		{ .msg_hdr = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &one, .msg_iovlen = 1 } },
		{ .msg_hdr = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &three, .msg_iovlen = 1 } },
	};
	res = sendmmsg(tx, outs, 2, 0);
	printf("sendmmsg %d %u %u\n", res, outs[0].msg_len, outs[1].msg_len);
	char b0[16], b1[16];
	struct sockaddr_in froms[2];
	struct iovec ins[2] = { { b0, sizeof(b0) }, { b1, sizeof(b1) } };
	struct mmsghdr inmsgs[2] = {
		{ .msg_hdr = { .msg_name = &froms[0], .msg_namelen = sizeof(froms[0]), .msg_iov = &ins[0], .msg_iovlen = 1 } },
		{ .msg_hdr = { .msg_name = &froms[1], .msg_namelen = sizeof(froms[1]), .msg_iov = &ins[1], .msg_iovlen = 1 } },
	};
	res = recvmmsg(rx, inmsgs, 2, MSG_WAITFORONE, NULL);
	printf("recvmmsg %d %u %u\n", res, inmsgs[0].msg_len, inmsgs[1].msg_len);

	m.msg_name = NULL;
	m.msg_namelen = 0;
	printf("sendmsg_failed %d\n", sendmsg(tx, &m, 0) < 0 ? -errno : 0);
	printf("recvmmsg_failed %d\n", recvmmsg(rx, inmsgs, 2, MSG_DONTWAIT, NULL) < 0 ? -errno : 0);
	return 0;
}
