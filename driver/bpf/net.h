/* SPDX-License-Identifier: GPL-2.0-only OR Apache-2.0 */
/*
 * Socket params in the layouts src/events/params.ts decodes (libs' driver/ppm_events.c):
 *
 * PT_SOCKADDR   family u8 | ipv4 u32 | port u16            (AF_INET)
 *               family u8 | ipv6 [16] | port u16           (AF_INET6)
 *               family u8 | path (NUL-terminated)          (AF_UNIX)
 * PT_SOCKTUPLE  family u8 | sip u32 | sport u16 | dip u32 | dport u16
 *               family u8 | sip [16] | sport u16 | dip [16] | dport u16
 *               family u8 | src ptr u64 | dst ptr u64 | path     (AF_UNIX)
 *
 * Addresses stay in network order, ports are converted to host order.
 */
#ifndef SAKER_NET_H
#define SAKER_NET_H

#include "task.h"

#define OUTBOUND 0
#define INBOUND 1

/* The struct socket behind a file, or NULL when the file is not a socket: a socket
 * file's inode is S_IFSOCK and its private_data points back at it through socket->file. */
static __always_inline struct socket *file_socket(struct file *f)
{
	if (!f)
		return 0;
	__u32 mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & K_S_IFMT) != K_S_IFSOCK)
		return 0;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != f)
		return 0;
	return sock;
}

static __always_inline struct sock *fd_sock(__s64 fd)
{
	struct socket *sock = file_socket(fd_file(fd));
	return sock ? BPF_CORE_READ(sock, sk) : 0;
}

static __always_inline void push_ipv6(struct scratch *s, const void *addr, bool user)
{
	void *dst = &s->data[s->pos & EVT_MASK];
	if (user ? bpf_probe_read_user(dst, 16, addr) : bpf_probe_read_kernel(dst, 16, addr))
		__builtin_memset(dst, 0, 16);
	s->pos += 16;
}

/* A unix socket path; an abstract name's leading NUL is dropped, as libs does. */
static __always_inline __u16 push_unix_path(struct scratch *s, const char *path, bool user)
{
	char first = 0;
	if (user ? bpf_probe_read_user(&first, 1, path) : bpf_probe_read_kernel(&first, 1, path))
		return 0;
	if (first == 0)
		path++;
	return push_str(s, path, K_UNIX_PATH_MAX + 1, user);
}

/* PT_SOCKADDR from a user sockaddr of `len` bytes (bind, connect). */
static __always_inline void put_sockaddr(struct scratch *s, __u64 uaddr, __u32 len)
{
	__u8 *tmp = &s->data[SCRATCH_HALF];
	if (!uaddr || len < 2) {
		put_empty(s);
		return;
	}
	if (len > K_SOCKADDR_MAX)
		len = K_SOCKADDR_MAX;
	barrier_var(len); /* keep the mask below: clang would drop it, the verifier needs it */
	if (bpf_probe_read_user(tmp, len & (K_SOCKADDR_MAX * 2 - 1), (const void *)uaddr)) {
		put_empty(s);
		return;
	}
	__u16 family = *(__u16 *)tmp;
	__u64 start = s->pos;
	switch (family) {
	case K_AF_INET:
		push_u8(s, PPM_AF_INET);
		push_u32(s, *(__u32 *)&tmp[4]);
		push_u16(s, bpf_ntohs(*(__u16 *)&tmp[2]));
		break;
	case K_AF_INET6:
		push_u8(s, PPM_AF_INET6);
		push_ipv6(s, &tmp[8], false);
		push_u16(s, bpf_ntohs(*(__u16 *)&tmp[2]));
		break;
	case K_AF_UNIX:
		push_u8(s, PPM_AF_UNIX);
		if (!push_unix_path(s, (const char *)&tmp[2], false))
			push_u8(s, 0);
		break;
	default:
		put_empty(s);
		return;
	}
	put_len(s, (__u16)(s->pos - start));
}

/* PT_SOCKTUPLE of socket `fd` as the kernel sees it. Outbound (connect, sendto): local
 * then remote; inbound (accept, recvfrom): remote then local. When the kernel has no
 * peer (an unconnected UDP socket), `uaddr` (the user's sockaddr, may be 0) gives it. */
static __always_inline void put_socktuple(struct scratch *s, __s64 fd, int dir, __u64 uaddr)
{
	struct sock *sk = fd_sock(fd);
	if (!sk) {
		put_empty(s);
		return;
	}
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u64 start = s->pos;
	if (family == K_AF_INET) {
		struct inet_sock *inet = (struct inet_sock *)sk;
		__u32 lip = BPF_CORE_READ(inet, inet_saddr);
		__u16 lport = BPF_CORE_READ(inet, inet_sport);
		__u32 rip = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__u16 rport = BPF_CORE_READ(sk, __sk_common.skc_dport);
		if (rport == 0 && uaddr) {
			struct sockaddr_in sin = {};
			bpf_probe_read_user(&sin, sizeof(sin), (const void *)uaddr);
			rip = sin.sin_addr.s_addr;
			rport = sin.sin_port;
		}
		push_u8(s, PPM_AF_INET);
		if (dir == OUTBOUND) {
			push_u32(s, lip);
			push_u16(s, bpf_ntohs(lport));
			push_u32(s, rip);
			push_u16(s, bpf_ntohs(rport));
		} else {
			push_u32(s, rip);
			push_u16(s, bpf_ntohs(rport));
			push_u32(s, lip);
			push_u16(s, bpf_ntohs(lport));
		}
	} else if (family == K_AF_INET6) {
		struct inet_sock *inet = (struct inet_sock *)sk;
		struct ipv6_pinfo *np = BPF_CORE_READ(inet, pinet6);
		const void *laddr = &np->saddr;
		const void *raddr = &sk->__sk_common.skc_v6_daddr;
		__u16 lport = BPF_CORE_READ(inet, inet_sport);
		__u16 rport = BPF_CORE_READ(sk, __sk_common.skc_dport);
		bool ruser = false;
		if (rport == 0 && uaddr) {
			struct sockaddr_in6 sin6 = {};
			bpf_probe_read_user(&sin6, sizeof(sin6), (const void *)uaddr);
			rport = sin6.sin6_port;
			raddr = (const void *)(uaddr + __builtin_offsetof(struct sockaddr_in6, sin6_addr));
			ruser = true;
		}
		push_u8(s, PPM_AF_INET6);
		if (dir == OUTBOUND) {
			push_ipv6(s, laddr, false);
			push_u16(s, bpf_ntohs(lport));
			push_ipv6(s, raddr, ruser);
			push_u16(s, bpf_ntohs(rport));
		} else {
			push_ipv6(s, raddr, ruser);
			push_u16(s, bpf_ntohs(rport));
			push_ipv6(s, laddr, false);
			push_u16(s, bpf_ntohs(lport));
		}
	} else if (family == K_AF_UNIX) {
		struct unix_sock *local = (struct unix_sock *)sk;
		struct unix_sock *peer = (struct unix_sock *)BPF_CORE_READ(local, peer);
		push_u8(s, PPM_AF_UNIX);
		const char *path = 0;
		bool user = false;
		if (dir == OUTBOUND) {
			push_u64(s, (__u64)peer);
			push_u64(s, (__u64)local);
			if (!peer && uaddr) {
				path = (const char *)(uaddr + 2);
				user = true;
			} else if (peer) {
				struct unix_address *a = BPF_CORE_READ(peer, addr);
				path = a ? a->name[0].sun_path : 0;
			}
		} else {
			push_u64(s, (__u64)local);
			push_u64(s, (__u64)peer);
			struct unix_address *a = BPF_CORE_READ(local, addr);
			path = a ? a->name[0].sun_path : 0;
		}
		if (!path || !push_unix_path(s, path, user))
			push_u8(s, 0);
	} else {
		put_empty(s);
		return;
	}
	put_len(s, (__u16)(s->pos - start));
}

/* PPM_SOCKOPT_LEVEL_* */
static __always_inline __u8 sockopt_level_to_ppm(int level)
{
	return level == K_SOL_SOCKET ? 1 : level == K_SOL_TCP ? 2 : 0;
}

/* PPM_SOCKOPT_SO_* of a SOL_SOCKET option (0 otherwise): they are the kernel's numbers up
 * to SO_ATTACH_BPF (SO_TIMESTAMP* as their _OLD values, which libs names them after). */
static __always_inline __u8 sockopt_optname_to_ppm(int level, int optname)
{
	if (level != K_SOL_SOCKET)
		return 0;
	if (optname >= 1 && optname <= K_SO_ATTACH_BPF)
		return (__u8)optname;
	switch (optname) {
	case K_SO_PEERGROUPS:
		return 51;
	case K_SO_MEMINFO:
		return 52;
	case K_SO_COOKIE:
		return 53;
	case K_SO_RCVTIMEO_NEW:
		return K_SO_RCVTIMEO_OLD;
	case K_SO_SNDTIMEO_NEW:
		return K_SO_SNDTIMEO_OLD;
	default:
		return 0;
	}
}

#define PPM_SOCKOPT_IDX_UNKNOWN 0
#define PPM_SOCKOPT_IDX_ERRNO 1
#define PPM_SOCKOPT_IDX_UINT32 2
#define PPM_SOCKOPT_IDX_UINT64 3
#define PPM_SOCKOPT_IDX_TIMEVAL 4

/* How libs sends a SOL_SOCKET option's value: the int options as u32, SO_ERROR as a
 * negative errno, the timeouts as nanoseconds, SO_COOKIE as u64, the rest (and every
 * other level) as the raw bytes. */
static __always_inline __u8 sockopt_kind(int level, int optname)
{
	if (level != K_SOL_SOCKET)
		return PPM_SOCKOPT_IDX_UNKNOWN;
	switch (optname) {
	case K_SO_ERROR:
		return PPM_SOCKOPT_IDX_ERRNO;
	case K_SO_RCVTIMEO_OLD:
	case K_SO_SNDTIMEO_OLD:
	case K_SO_RCVTIMEO_NEW:
	case K_SO_SNDTIMEO_NEW:
		return PPM_SOCKOPT_IDX_TIMEVAL;
	case K_SO_COOKIE:
		return PPM_SOCKOPT_IDX_UINT64;
	case K_SO_LINGER:
	case K_SO_PEERCRED:
	case K_SO_ATTACH_FILTER:
	case K_SO_PEERNAME:
		return PPM_SOCKOPT_IDX_UNKNOWN;
	default:
		return optname >= 1 && optname < K_SO_ATTACH_BPF ? PPM_SOCKOPT_IDX_UINT32 : PPM_SOCKOPT_IDX_UNKNOWN;
	}
}

/* PT_DYN sockopt value: the kind's index, then the value (an unreadable one reads as 0). */
static __always_inline void put_sockopt(struct scratch *s, int level, int optname, __u16 optlen, __u64 uval)
{
	__u8 kind = sockopt_kind(level, optname);
	__u64 start = s->pos;
	__s32 v32 = 0;
	__u64 v64[2] = {};
	push_u8(s, kind);
	switch (kind) {
	case PPM_SOCKOPT_IDX_ERRNO:
		bpf_probe_read_user(&v32, sizeof(v32), (const void *)uval);
		push_u64(s, (__u64)(-(__s64)v32));
		break;
	case PPM_SOCKOPT_IDX_TIMEVAL: /* { tv_sec, tv_usec }, both 64-bit here */
		bpf_probe_read_user(v64, sizeof(v64), (const void *)uval);
		push_u64(s, v64[0] * 1000000000ULL + v64[1] * 1000ULL);
		break;
	case PPM_SOCKOPT_IDX_UINT64:
		bpf_probe_read_user(v64, sizeof(v64[0]), (const void *)uval);
		push_u64(s, v64[0]);
		break;
	case PPM_SOCKOPT_IDX_UINT32:
		bpf_probe_read_user(&v32, sizeof(v32), (const void *)uval);
		push_u32(s, (__u32)v32);
		break;
	default:
		push_ubytes(s, uval, optlen);
	}
	put_len(s, (__u16)(s->pos - start));
}

#endif /* SAKER_NET_H */
