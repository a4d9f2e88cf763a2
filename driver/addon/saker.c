// SPDX-License-Identifier: Apache-2.0
/*
 * Node-API addon: loads Saker's probe (the libbpf skeleton of driver/bpf/saker.bpf.c),
 * and hands the ring buffer's events to JavaScript in batches, from Node's own event loop.
 *
 *   open(opts)            open -> set rodata and map sizes -> load -> write the selection
 *                         -> attach; returns a handle. Any failing step throws one line
 *                         naming the step; everything done so far is undone.
 *   start(h, cb)          polls the ring buffer's epoll fd with uv_poll (no thread, no
 *                         busy-waiting) and calls cb(bytes, offsets, count, cpus) per batch.
 *                         The probe wakes the poll only when wakeupBytes are waiting; a
 *                         uv timer (flushMs) drains smaller amounts, so an event waits
 *                         at most ~flushMs at low rates and wakeups stay rare at high ones.
 *   stats(h)              per-CPU struct saker_counters, raw (decoded by src/sources/live)
 *   progStats(h)          run counts and run times of the attached programs (bpf_stats)
 *   setSelection(h, sel)  rewrites the selection map while events flow
 *   addQuietOpen(h, key)  puts a struct saker_quiet_key (its bytes) in the quiet_opens map
 *   info(h)               program ids, syscalls with a filler, sizes
 *   close(h)              detaches and frees everything (idempotent)
 *
 * A batch is the events back to back in one ArrayBuffer that is reused for every batch,
 * with their offsets in a reused Uint32Array and the CPU each was written on in a reused
 * Uint16Array: all three are valid only during the callback.
 * Thread: everything runs on the JS thread; libbpf's ring_buffer__consume copies records
 * into the batch, then the callback runs once per batch.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <node_api.h>
#include <uv.h>

#include "shared.h"
#include "saker.skel.h"

/* Every Node-API call is checked: on failure, throw (unless an exception is already
 * pending) and return NULL from the calling function. */
#define NAPI_CALL(env, call)                                                              \
	do {                                                                              \
		napi_status status_ = (call);                                             \
		if (status_ != napi_ok) {                                                 \
			throw_napi_error((env), #call);                                   \
			return NULL;                                                      \
		}                                                                         \
	} while (0)

/* The same for functions that return nothing (uv callbacks). */
#define NAPI_CALL_VOID(env, call)                                                         \
	do {                                                                              \
		napi_status status_ = (call);                                             \
		if (status_ != napi_ok) {                                                 \
			throw_napi_error((env), #call);                                   \
			return;                                                           \
		}                                                                         \
	} while (0)

static void throw_napi_error(napi_env env, const char *call)
{
	bool pending = false;
	napi_is_exception_pending(env, &pending);
	if (pending)
		return;
	const napi_extended_error_info *info = NULL;
	napi_get_last_error_info(env, &info);
	char msg[512];
	snprintf(msg, sizeof(msg), "saker addon: %s failed: %s", call,
		 info && info->error_message ? info->error_message : "unknown Node-API error");
	napi_throw_error(env, NULL, msg);
}

/* ---- libbpf's messages: kept (warnings and up) so a failure can quote them ---- */

#define LOG_SIZE 65536
static char g_log[LOG_SIZE];
static size_t g_log_len;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	char line[4096];
	int n = vsnprintf(line, sizeof(line), fmt, args);
	if (n <= 0)
		return 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (g_log_len + n >= LOG_SIZE) { /* keep the newest half */
		size_t keep = LOG_SIZE / 2;
		memmove(g_log, g_log + g_log_len - keep, keep);
		g_log_len = keep;
	}
	memcpy(g_log + g_log_len, line, n);
	g_log_len += n;
	g_log[g_log_len] = 0;
	return 0;
}

/* The last `lines` lines of the captured log. */
static const char *log_tail(int lines)
{
	size_t i = g_log_len;
	while (i > 0 && lines >= 0) {
		i--;
		if (g_log[i] == '\n')
			lines--;
	}
	return g_log + (i ? i + 1 : 0);
}

/* ---- one live probe ---- */

struct live {
	napi_env env;
	struct saker_bpf *skel;
	struct ring_buffer *rb;
	uv_poll_t *poll;   /* own allocations: freed by uv_close's callback */
	uv_timer_t *timer; /* drains what stayed under the wakeup threshold */
	uint32_t flush_ms;
	bool closed;
	int ncpus;
	/* the batch handed to JS */
	napi_ref callback;
	napi_ref bytes_ref;   /* Uint8Array over `batch` */
	napi_ref offsets_ref; /* Uint32Array over `offsets` */
	napi_ref cpus_ref;    /* Uint16Array over `cpus` */
	napi_async_context actx;
	uint8_t *batch;
	size_t batch_cap;
	size_t batch_len;
	uint32_t *offsets;
	uint16_t *cpus; /* same capacity as offsets */
	uint32_t offsets_cap;
	uint32_t count;
	bool full;
	bool batch_owned, offsets_owned, cpus_owned; /* by their ArrayBuffers */
};

#define BATCH_FULL (-1000) /* sample callback: stop, the batch is full */
#define BATCHES_PER_WAKEUP 16 /* then back to the event loop; epoll is level-triggered */

static void live_stop_polling(struct live *l)
{
	if (l->poll) {
		uv_poll_stop(l->poll);
		uv_close((uv_handle_t *)l->poll, (uv_close_cb)free);
		l->poll = NULL;
	}
	if (l->timer) {
		uv_timer_stop(l->timer);
		uv_close((uv_handle_t *)l->timer, (uv_close_cb)free);
		l->timer = NULL;
	}
	if (l->callback) {
		napi_delete_reference(l->env, l->callback);
		l->callback = NULL;
	}
	if (l->actx) {
		napi_async_destroy(l->env, l->actx);
		l->actx = NULL;
	}
}

static void live_destroy(struct live *l)
{
	if (l->closed)
		return;
	l->closed = true;
	live_stop_polling(l);
	ring_buffer__free(l->rb);
	l->rb = NULL;
	saker_bpf__destroy(l->skel); /* links first: detaches every program */
	l->skel = NULL;
	if (l->bytes_ref) {
		napi_delete_reference(l->env, l->bytes_ref);
		l->bytes_ref = NULL;
	}
	if (l->offsets_ref) {
		napi_delete_reference(l->env, l->offsets_ref);
		l->offsets_ref = NULL;
	}
	if (l->cpus_ref) {
		napi_delete_reference(l->env, l->cpus_ref);
		l->cpus_ref = NULL;
	}
}

static void env_cleanup(void *arg)
{
	live_destroy(arg);
}

static void live_finalize(napi_env env, void *data, void *hint)
{
	struct live *l = data;
	napi_remove_env_cleanup_hook(env, env_cleanup, l);
	live_destroy(l);
	/* the batch memory belongs to its ArrayBuffer's finalizer once created */
	free(l);
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct live *l = ctx;
	if (size > l->batch_cap - l->batch_len || l->count == l->offsets_cap) {
		/* cannot happen: a batch is closed while SAKER_MAX_EVENT still fits */
		return BATCH_FULL;
	}
	if (size < SAKER_RECORD_CPU_BYTES)
		return 0; /* cannot happen: every record ends with its CPU */
	memcpy(l->batch + l->batch_len, data, size);
	memcpy(&l->cpus[l->count], (const uint8_t *)data + size - SAKER_RECORD_CPU_BYTES, SAKER_RECORD_CPU_BYTES);
	l->offsets[l->count++] = (uint32_t)l->batch_len;
	l->batch_len += (size + 7) & ~(size_t)7; /* keep headers 8-byte aligned */
	if (l->batch_cap - l->batch_len < SAKER_MAX_EVENT + 8 || l->count == l->offsets_cap) {
		l->full = true;
		return BATCH_FULL;
	}
	return 0;
}

static void deliver(struct live *l)
{
	napi_env env = l->env;
	napi_handle_scope scope;
	NAPI_CALL_VOID(env, napi_open_handle_scope(env, &scope));
	napi_value cb, bytes, offsets, cpus, count, recv, result;
	napi_status st = napi_get_reference_value(env, l->callback, &cb);
	if (st == napi_ok)
		st = napi_get_reference_value(env, l->bytes_ref, &bytes);
	if (st == napi_ok)
		st = napi_get_reference_value(env, l->offsets_ref, &offsets);
	if (st == napi_ok)
		st = napi_get_reference_value(env, l->cpus_ref, &cpus);
	if (st == napi_ok)
		st = napi_create_uint32(env, l->count, &count);
	if (st == napi_ok)
		st = napi_get_global(env, &recv); /* make_callback wants an object */
	if (st != napi_ok) {
		throw_napi_error(env, "preparing the batch callback");
	} else {
		napi_value argv[4] = { bytes, offsets, count, cpus };
		st = napi_make_callback(env, l->actx, recv, cb, 4, argv, &result);
	}
	if (st != napi_ok) {
		/* the callback threw: report it as Node reports any uncaught exception */
		bool pending = false;
		napi_is_exception_pending(env, &pending);
		if (pending) {
			napi_value err;
			if (napi_get_and_clear_last_exception(env, &err) == napi_ok)
				napi_fatal_exception(env, err);
		}
	}
	napi_close_handle_scope(env, scope);
}

static void drain(struct live *l)
{
	for (int i = 0; i < BATCHES_PER_WAKEUP && !l->closed; i++) {
		l->batch_len = 0;
		l->count = 0;
		l->full = false;
		int n = ring_buffer__consume(l->rb);
		if (n < 0 && !l->full)
			break; /* a libbpf error: try again on the next wakeup */
		if (l->count > 0)
			deliver(l); /* may call close() */
		if (!l->full)
			break; /* the ring is empty */
	}
}

static void on_readable(uv_poll_t *handle, int status, int events)
{
	drain(handle->data);
}

static void on_timer(uv_timer_t *handle)
{
	drain(handle->data);
}

/* ---- argument helpers ---- */

static bool get_prop(napi_env env, napi_value obj, const char *name, napi_value *out)
{
	bool has = false;
	if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has)
		return false;
	if (napi_get_named_property(env, obj, name, out) != napi_ok)
		return false;
	napi_valuetype t;
	return napi_typeof(env, *out, &t) == napi_ok && t != napi_undefined && t != napi_null;
}

static struct live *get_live(napi_env env, napi_callback_info info, size_t want, napi_value *argv)
{
	size_t argc = want;
	napi_value args[4];
	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, args, NULL, NULL));
	if (argc < want) {
		napi_throw_type_error(env, NULL, "saker addon: missing arguments");
		return NULL;
	}
	void *data = NULL;
	NAPI_CALL(env, napi_get_value_external(env, args[0], &data));
	for (size_t i = 0; i < want; i++)
		argv[i] = args[i];
	return data;
}

/* get_live for a call that needs the probe open: throws "saker: <call>: the probe is closed". */
static struct live *get_open_live(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *call)
{
	struct live *l = get_live(env, info, want, argv);
	if (l && l->closed) {
		char msg[128];
		snprintf(msg, sizeof(msg), "saker: %s: the probe is closed", call);
		napi_throw_error(env, NULL, msg);
		return NULL;
	}
	return l;
}

/* Fills the selection map from { selectedSyscalls, genericSyscalls, enterSyscalls,
 * stateOnlySyscalls, procExit }. */
static bool write_selection(napi_env env, struct live *l, napi_value sel, char *err, size_t errlen)
{
	static const struct { const char *key; __u8 bit; } lists[] = {
		{ "selectedSyscalls", SAKER_SEL_EXIT },
		{ "genericSyscalls", SAKER_SEL_GENERIC },
		{ "enterSyscalls", SAKER_SEL_ENTER },
		{ "stateOnlySyscalls", SAKER_SEL_STATE_ONLY },
	};
	__u8 slots[SAKER_SEL_SLOTS] = { 0 };
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		napi_value arr;
		if (!get_prop(env, sel, lists[k].key, &arr))
			continue;
		bool is_array = false;
		uint32_t len = 0;
		if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array ||
		    napi_get_array_length(env, arr, &len) != napi_ok) {
			snprintf(err, errlen, "%s must be an array of syscall numbers", lists[k].key);
			return false;
		}
		for (uint32_t i = 0; i < len; i++) {
			napi_value v;
			uint32_t nr = 0;
			if (napi_get_element(env, arr, i, &v) != napi_ok ||
			    napi_get_value_uint32(env, v, &nr) != napi_ok || nr >= SAKER_SYSCALLS) {
				snprintf(err, errlen, "%s[%u] is not a syscall number below %d", lists[k].key, i,
					 SAKER_SYSCALLS);
				return false;
			}
			slots[nr] |= lists[k].bit;
		}
	}
	napi_value v;
	bool on = false;
	if (get_prop(env, sel, "procExit", &v) && napi_get_value_bool(env, v, &on) == napi_ok && on)
		slots[SAKER_SEL_PROCEXIT] = SAKER_SEL_EXIT;
	int fd = bpf_map__fd(l->skel->maps.selection);
	for (__u32 k = 0; k < SAKER_SEL_SLOTS; k++) {
		if (bpf_map_update_elem(fd, &k, &slots[k], BPF_ANY)) {
			snprintf(err, errlen, "writing the selection map: %s", strerror(errno));
			return false;
		}
	}
	return true;
}

/* True when this process may load tracing programs: CAP_SYS_ADMIN, or CAP_BPF with
 * CAP_PERFMON (read from /proc/self/status, no libcap needed). */
static bool may_load_bpf(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return geteuid() == 0;
	char line[256];
	unsigned long long eff = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	bool sys_admin = eff & (1ULL << 21), perfmon = eff & (1ULL << 38), bpf = eff & (1ULL << 39);
	return sys_admin || (bpf && perfmon);
}

static __u64 boot_time_ns(void)
{
	struct timespec rt, bt;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return ((__u64)rt.tv_sec * 1000000000ULL + rt.tv_nsec) - ((__u64)bt.tv_sec * 1000000000ULL + bt.tv_nsec);
}

/* The tracepoint a load failure is about, from libbpf's "failed to find kernel BTF type
 * ID of '<name>'" (tp_btf targets are resolved at load). */
static bool missing_tracepoint(char *name, size_t len)
{
	const char *key = "failed to find kernel BTF type ID of '";
	const char *p = strstr(g_log, key);
	if (!p)
		return false;
	p += strlen(key);
	size_t n = strcspn(p, "'");
	if (n >= len)
		n = len - 1;
	memcpy(name, p, n);
	name[n] = 0;
	return true;
}

/* A failed Node-API call inside open(): one line naming it, then the cleanup exit. */
#define OPEN_NAPI(call)                                                          \
	do {                                                                     \
		if ((call) != napi_ok) {                                         \
			snprintf(err, sizeof(err), "%s failed", #call);          \
			goto cleanup;                                            \
		}                                                                \
	} while (0)

static void free_batch(napi_env env, void *data, void *hint)
{
	free(data);
}

/* open({ ringBytes, selectedSyscalls, genericSyscalls, enterSyscalls, procExit,
 *        enterEvents, ppmSc, batchBytes, btfPath, ignoreTgid, dropFailedExit }) */
static napi_value js_open(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value opts;
	NAPI_CALL(env, napi_get_cb_info(env, info, &argc, &opts, NULL, NULL));
	if (argc < 1) {
		napi_throw_type_error(env, NULL, "saker addon: open() needs an options object");
		return NULL;
	}
	napi_value v;
	uint32_t ring_bytes = 8u << 20, batch_bytes = 1u << 20, wakeup_bytes = 0, flush_ms = 20, ignore_tgid = 0;
	bool enter_events = false, drop_failed_exit = false, quiet_opens = false;
	char btf_path[512] = "/sys/kernel/btf/vmlinux";
	if (get_prop(env, opts, "ringBytes", &v))
		NAPI_CALL(env, napi_get_value_uint32(env, v, &ring_bytes));
	if (get_prop(env, opts, "batchBytes", &v))
		NAPI_CALL(env, napi_get_value_uint32(env, v, &batch_bytes));
	if (get_prop(env, opts, "wakeupBytes", &v))
		NAPI_CALL(env, napi_get_value_uint32(env, v, &wakeup_bytes));
	if (get_prop(env, opts, "flushMs", &v))
		NAPI_CALL(env, napi_get_value_uint32(env, v, &flush_ms));
	if (get_prop(env, opts, "ignoreTgid", &v))
		NAPI_CALL(env, napi_get_value_uint32(env, v, &ignore_tgid));
	if (get_prop(env, opts, "enterEvents", &v))
		NAPI_CALL(env, napi_get_value_bool(env, v, &enter_events));
	if (get_prop(env, opts, "dropFailedExit", &v))
		NAPI_CALL(env, napi_get_value_bool(env, v, &drop_failed_exit));
	if (get_prop(env, opts, "quietOpens", &v))
		NAPI_CALL(env, napi_get_value_bool(env, v, &quiet_opens));
	if (get_prop(env, opts, "btfPath", &v))
		NAPI_CALL(env, napi_get_value_string_utf8(env, v, btf_path, sizeof(btf_path), NULL));
	const __u16 *ppm_sc = NULL;
	if (get_prop(env, opts, "ppmSc", &v)) {
		napi_typedarray_type type;
		size_t len = 0;
		void *data = NULL;
		NAPI_CALL(env, napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL));
		if (type != napi_uint16_array || len != SAKER_SYSCALLS) {
			napi_throw_type_error(env, NULL, "saker addon: ppmSc must be a Uint16Array of 512 codes");
			return NULL;
		}
		ppm_sc = data;
	}

	char err[1024] = "";
	const char *step = "";
	struct live *l = calloc(1, sizeof(*l));
	if (!l) {
		napi_throw_error(env, NULL, "saker: open: out of memory");
		return NULL;
	}
	l->env = env;
	g_log_len = 0;
	g_log[0] = 0;
	libbpf_set_print(libbpf_print);

	step = "check";
	if ((ring_bytes & (ring_bytes - 1)) || ring_bytes < 4096) {
		snprintf(err, sizeof(err), "ringBytes %u is not a power of two of at least 4096", ring_bytes);
		goto cleanup;
	}
	if (batch_bytes < 2 * (SAKER_MAX_EVENT + 8)) {
		snprintf(err, sizeof(err), "batchBytes %u is below %d (two of the largest events)", batch_bytes,
			 2 * (SAKER_MAX_EVENT + 8));
		goto cleanup;
	}
	if (!may_load_bpf()) {
		snprintf(err, sizeof(err), "not permitted: loading the probe needs root (or CAP_BPF with CAP_PERFMON)");
		goto cleanup;
	}
	if (access(btf_path, R_OK)) {
		snprintf(err, sizeof(err),
			 "no kernel BTF at %s (%s): the probe needs a kernel built with CONFIG_DEBUG_INFO_BTF=y",
			 btf_path, strerror(errno));
		goto cleanup;
	}

	step = "open";
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	if (strcmp(btf_path, "/sys/kernel/btf/vmlinux"))
		open_opts.btf_custom_path = btf_path;
	l->skel = saker_bpf__open_opts(&open_opts);
	if (!l->skel) {
		snprintf(err, sizeof(err), "%s", strerror(errno));
		goto cleanup;
	}

	step = "configure";
	l->ncpus = libbpf_num_possible_cpus();
	if (l->ncpus <= 0) {
		snprintf(err, sizeof(err), "cannot count the CPUs: %s", strerror(-l->ncpus));
		goto cleanup;
	}
	if (bpf_map__set_max_entries(l->skel->maps.ring, ring_bytes) ||
	    bpf_map__set_max_entries(l->skel->maps.scratch, l->ncpus)) {
		snprintf(err, sizeof(err), "sizing the maps: %s", strerror(errno));
		goto cleanup;
	}
	l->skel->rodata->boot_time = boot_time_ns();
	/* default: an eighth of the ring, at most 1 MiB (at 4M events/s of ~70 bytes, ~280
	 * wakeups a second); 1 wakes the reader for every event */
	if (!wakeup_bytes)
		wakeup_bytes = ring_bytes / 8 < (1u << 20) ? ring_bytes / 8 : (1u << 20);
	l->skel->rodata->wakeup_bytes = wakeup_bytes;
	l->skel->rodata->ignore_tgid = ignore_tgid;
	l->skel->rodata->drop_failed_exit = drop_failed_exit;
	l->skel->rodata->quiet_enabled = quiet_opens;
	l->flush_ms = flush_ms ? flush_ms : 1;
	if (ppm_sc)
		memcpy((void *)l->skel->rodata->ppm_sc_of_nr, ppm_sc, sizeof(l->skel->rodata->ppm_sc_of_nr));

	step = "load";
	/* The verifier gives up with EAGAIN when a signal is pending for this thread (libbpf
	 * retries 5 times): a profiler's SIGPROF every millisecond, or a SIGCHLD burst, would
	 * make the load fail. Signals wait, blocked, until it is done. */
	sigset_t all, old_mask;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old_mask);
	int load_err = saker_bpf__load(l->skel) ? errno : 0;
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	if (load_err) {
		int e = load_err;
		char tp[128];
		if (missing_tracepoint(tp, sizeof(tp)))
			snprintf(err, sizeof(err), "this kernel has no tracepoint '%s' (see the libbpf log:\n%s)", tp,
				 log_tail(6));
		else if (strstr(g_log, "BEGIN PROG LOAD LOG"))
			snprintf(err, sizeof(err), "the verifier rejected a program; log tail:\n%s", log_tail(12));
		else if (e == EPERM || e == EACCES)
			snprintf(err, sizeof(err), "not permitted (%s): run as root", strerror(e));
		else
			snprintf(err, sizeof(err), "%s\n%s", strerror(e), log_tail(6));
		goto cleanup;
	}

	step = "select";
	napi_value sel = opts;
	if (!write_selection(env, l, sel, err, sizeof(err)))
		goto cleanup;

	/* Attach one by one (not saker_bpf__attach: the tail-called fillers carry the same
	 * tp_btf section names and must not be attached themselves). */
	struct {
		struct bpf_program *prog;
		struct bpf_link **link;
		const char *name;
		bool on;
	} attach[] = {
		{ l->skel->progs.sched_exit, &l->skel->links.sched_exit, "attach sched_process_exit", true },
		{ l->skel->progs.sched_fork, &l->skel->links.sched_fork, "attach sched_process_fork", true },
		{ l->skel->progs.sched_exec, &l->skel->links.sched_exec, "attach sched_process_exec", true },
		{ l->skel->progs.task_rename, &l->skel->links.task_rename, "attach task_rename", quiet_opens },
		{ l->skel->progs.sys_enter, &l->skel->links.sys_enter, "attach sys_enter", enter_events },
		{ l->skel->progs.sys_exit, &l->skel->links.sys_exit, "attach sys_exit", true },
	};
	for (size_t i = 0; i < sizeof(attach) / sizeof(attach[0]); i++) {
		if (!attach[i].on)
			continue;
		step = attach[i].name;
		*attach[i].link = bpf_program__attach(attach[i].prog);
		if (!*attach[i].link) {
			int e = errno;
			snprintf(err, sizeof(err), "%s%s", strerror(e),
				 e == ENOENT ? " (the tracepoint is missing from this kernel)" : "");
			goto cleanup;
		}
	}

	step = "ring buffer";
	l->rb = ring_buffer__new(bpf_map__fd(l->skel->maps.ring), on_sample, l, NULL);
	if (!l->rb) {
		snprintf(err, sizeof(err), "%s", strerror(errno));
		goto cleanup;
	}

	step = "batch";
	l->batch_cap = batch_bytes;
	l->offsets_cap = batch_bytes / 32; /* the smallest events are ~30 bytes, 8-aligned */
	l->batch = malloc(l->batch_cap);
	l->offsets = malloc((size_t)l->offsets_cap * sizeof(uint32_t));
	l->cpus = malloc((size_t)l->offsets_cap * sizeof(uint16_t));
	if (!l->batch || !l->offsets || !l->cpus) {
		snprintf(err, sizeof(err), "out of memory");
		goto cleanup;
	}
	napi_value bytes_ab, offsets_ab, cpus_ab, bytes, offsets, cpus, handle;
	/* from here the ArrayBuffers own the batch memory */
	OPEN_NAPI(napi_create_external_arraybuffer(env, l->batch, l->batch_cap, free_batch, NULL, &bytes_ab));
	l->batch_owned = true;
	OPEN_NAPI(napi_create_external_arraybuffer(env, l->offsets, l->offsets_cap * sizeof(uint32_t), free_batch,
						   NULL, &offsets_ab));
	l->offsets_owned = true;
	OPEN_NAPI(napi_create_external_arraybuffer(env, l->cpus, l->offsets_cap * sizeof(uint16_t), free_batch, NULL,
						   &cpus_ab));
	l->cpus_owned = true;
	OPEN_NAPI(napi_create_typedarray(env, napi_uint8_array, l->batch_cap, bytes_ab, 0, &bytes));
	OPEN_NAPI(napi_create_typedarray(env, napi_uint32_array, l->offsets_cap, offsets_ab, 0, &offsets));
	OPEN_NAPI(napi_create_typedarray(env, napi_uint16_array, l->offsets_cap, cpus_ab, 0, &cpus));
	OPEN_NAPI(napi_create_reference(env, bytes, 1, &l->bytes_ref));
	OPEN_NAPI(napi_create_reference(env, offsets, 1, &l->offsets_ref));
	OPEN_NAPI(napi_create_reference(env, cpus, 1, &l->cpus_ref));
	OPEN_NAPI(napi_create_external(env, l, live_finalize, NULL, &handle));
	/* the external owns `l` now: a failure below is cleaned up by its finalizer */
	NAPI_CALL(env, napi_add_env_cleanup_hook(env, env_cleanup, l));
	return handle;

cleanup:
	live_destroy(l);
	if (!l->batch_owned)
		free(l->batch);
	if (!l->offsets_owned)
		free(l->offsets);
	if (!l->cpus_owned)
		free(l->cpus);
	free(l);
	{
		char msg[1400];
		snprintf(msg, sizeof(msg), "saker: %s: %s", step, err);
		napi_throw_error(env, NULL, msg);
	}
	return NULL;
}

static napi_value js_start(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	struct live *l = get_open_live(env, info, 2, argv, "start");
	if (!l)
		return NULL;
	if (l->callback) {
		napi_throw_error(env, NULL, "saker: start: already started");
		return NULL;
	}
	napi_valuetype t;
	NAPI_CALL(env, napi_typeof(env, argv[1], &t));
	if (t != napi_function) {
		napi_throw_type_error(env, NULL, "saker: start: the callback must be a function");
		return NULL;
	}
	NAPI_CALL(env, napi_create_reference(env, argv[1], 1, &l->callback));
	napi_value name, resource;
	NAPI_CALL(env, napi_create_string_utf8(env, "saker:live", NAPI_AUTO_LENGTH, &name));
	NAPI_CALL(env, napi_create_object(env, &resource));
	NAPI_CALL(env, napi_async_init(env, resource, name, &l->actx));
	uv_loop_t *loop = NULL;
	NAPI_CALL(env, napi_get_uv_event_loop(env, &loop));
	l->poll = calloc(1, sizeof(*l->poll));
	if (!l->poll) {
		napi_throw_error(env, NULL, "saker: start: out of memory");
		return NULL;
	}
	int e = uv_poll_init(loop, l->poll, ring_buffer__epoll_fd(l->rb));
	if (e) {
		free(l->poll);
		l->poll = NULL;
	} else {
		l->poll->data = l;
		e = uv_poll_start(l->poll, UV_READABLE, on_readable);
	}
	if (!e) {
		l->timer = calloc(1, sizeof(*l->timer));
		e = l->timer ? uv_timer_init(loop, l->timer) : UV_ENOMEM;
		if (e) {
			free(l->timer);
			l->timer = NULL;
		} else {
			l->timer->data = l;
			e = uv_timer_start(l->timer, on_timer, l->flush_ms, l->flush_ms);
			/* the timer alone must not keep Node alive; the poll handle does that */
			uv_unref((uv_handle_t *)l->timer);
		}
	}
	if (e) {
		char msg[256];
		snprintf(msg, sizeof(msg), "saker: start: polling the ring buffer: %s", uv_strerror(e));
		/* closes whichever handles were made; the probe stays open, start() may be retried */
		live_stop_polling(l);
		napi_throw_error(env, NULL, msg);
		return NULL;
	}
	return NULL;
}

static napi_value js_stats(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	struct live *l = get_open_live(env, info, 1, argv, "stats");
	if (!l)
		return NULL;
	size_t size = (size_t)l->ncpus * sizeof(struct saker_counters);
	void *data = NULL;
	napi_value ab;
	NAPI_CALL(env, napi_create_arraybuffer(env, size, &data, &ab));
	__u32 zero = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.counters), &zero, data)) {
		char msg[256];
		snprintf(msg, sizeof(msg), "saker: stats: reading the counters: %s", strerror(errno));
		napi_throw_error(env, NULL, msg);
		return NULL;
	}
	return ab;
}

/* [{ name, runCnt, runTimeNs }] of the attached programs, in attach order: the kernel counts
 * runs and their time only while kernel.bpf_stats_enabled is 1 (tail-called fillers count in
 * the program that called them). */
static napi_value js_prog_stats(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	struct live *l = get_open_live(env, info, 1, argv, "progStats");
	if (!l)
		return NULL;
	struct saker_bpf *sk = l->skel;
	const struct {
		struct bpf_program *prog;
		struct bpf_link *link;
	} attached[] = {
		{ sk->progs.sys_exit, sk->links.sys_exit }, { sk->progs.sys_enter, sk->links.sys_enter },
		{ sk->progs.sched_exit, sk->links.sched_exit }, { sk->progs.sched_exec, sk->links.sched_exec },
		{ sk->progs.sched_fork, sk->links.sched_fork }, { sk->progs.task_rename, sk->links.task_rename },
	};
	napi_value out, obj, x;
	NAPI_CALL(env, napi_create_array(env, &out));
	uint32_t n = 0;
	for (size_t i = 0; i < sizeof(attached) / sizeof(attached[0]); i++) {
		struct bpf_prog_info pi = { 0 };
		__u32 len = sizeof(pi);
		if (!attached[i].link || bpf_obj_get_info_by_fd(bpf_program__fd(attached[i].prog), &pi, &len))
			continue;
		NAPI_CALL(env, napi_create_object(env, &obj));
		NAPI_CALL(env, napi_create_string_utf8(env, pi.name, NAPI_AUTO_LENGTH, &x));
		NAPI_CALL(env, napi_set_named_property(env, obj, "name", x));
		NAPI_CALL(env, napi_create_double(env, (double)pi.run_cnt, &x));
		NAPI_CALL(env, napi_set_named_property(env, obj, "runCnt", x));
		NAPI_CALL(env, napi_create_double(env, (double)pi.run_time_ns, &x));
		NAPI_CALL(env, napi_set_named_property(env, obj, "runTimeNs", x));
		NAPI_CALL(env, napi_set_element(env, out, n++, obj));
	}
	return out;
}

static napi_value js_set_selection(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	struct live *l = get_open_live(env, info, 2, argv, "setSelection");
	if (!l)
		return NULL;
	char err[512];
	if (!write_selection(env, l, argv[1], err, sizeof(err))) {
		char msg[600];
		snprintf(msg, sizeof(msg), "saker: setSelection: %s", err);
		napi_throw_error(env, NULL, msg);
	}
	return NULL;
}

static napi_value js_add_quiet_open(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	struct live *l = get_open_live(env, info, 2, argv, "addQuietOpen");
	if (!l)
		return NULL;
	napi_typedarray_type type;
	size_t len = 0;
	void *data = NULL;
	NAPI_CALL(env, napi_get_typedarray_info(env, argv[1], &type, &len, &data, NULL, NULL));
	if (type != napi_uint8_array || len != sizeof(struct saker_quiet_key)) {
		char msg[128];
		snprintf(msg, sizeof(msg), "saker addon: addQuietOpen needs the key's bytes (a Uint8Array of %zu)", sizeof(struct saker_quiet_key));
		napi_throw_type_error(env, NULL, msg);
		return NULL;
	}
	__u8 one = 1;
	if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.quiet_opens), data, &one, BPF_ANY)) {
		char msg[256];
		snprintf(msg, sizeof(msg), "saker: addQuietOpen: %s", strerror(errno));
		napi_throw_error(env, NULL, msg);
	}
	return NULL;
}

static napi_value uint_array(napi_env env, const uint32_t *v, uint32_t n)
{
	napi_value arr, x;
	NAPI_CALL(env, napi_create_array_with_length(env, n, &arr));
	for (uint32_t i = 0; i < n; i++) {
		NAPI_CALL(env, napi_create_uint32(env, v[i], &x));
		NAPI_CALL(env, napi_set_element(env, arr, i, x));
	}
	return arr;
}

/* { progIds, mapIds, supportedSyscalls, ncpus, ringBytes, counterSize } */
static napi_value js_info(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	struct live *l = get_open_live(env, info, 1, argv, "info");
	if (!l)
		return NULL;
	uint32_t ids[128], n = 0;
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, l->skel->obj)
	{
		struct bpf_prog_info pi = { 0 };
		__u32 len = sizeof(pi);
		if (n < 128 && !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &pi, &len))
			ids[n++] = pi.id;
	}
	napi_value out, x;
	NAPI_CALL(env, napi_create_object(env, &out));
	napi_value progs = uint_array(env, ids, n);
	if (!progs)
		return NULL;
	NAPI_CALL(env, napi_set_named_property(env, out, "progIds", progs));
	n = 0;
	struct bpf_map *map;
	bpf_object__for_each_map(map, l->skel->obj)
	{
		struct bpf_map_info mi = { 0 };
		__u32 len = sizeof(mi);
		if (n < 128 && bpf_map__fd(map) >= 0 && !bpf_obj_get_info_by_fd(bpf_map__fd(map), &mi, &len))
			ids[n++] = mi.id;
	}
	napi_value maps = uint_array(env, ids, n);
	if (!maps)
		return NULL;
	NAPI_CALL(env, napi_set_named_property(env, out, "mapIds", maps));
	/* a prog array slot read from user space gives the program's id, or ENOENT */
	uint32_t nrs[SAKER_SYSCALLS];
	n = 0;
	int fd = bpf_map__fd(l->skel->maps.exit_calls);
	for (__u32 k = 0; k < SAKER_SYSCALLS; k++) {
		__u32 id = 0;
		if (!bpf_map_lookup_elem(fd, &k, &id))
			nrs[n++] = k;
	}
	napi_value sup = uint_array(env, nrs, n);
	if (!sup)
		return NULL;
	NAPI_CALL(env, napi_set_named_property(env, out, "supportedSyscalls", sup));
	NAPI_CALL(env, napi_create_uint32(env, l->ncpus, &x));
	NAPI_CALL(env, napi_set_named_property(env, out, "ncpus", x));
	NAPI_CALL(env, napi_create_uint32(env, bpf_map__max_entries(l->skel->maps.ring), &x));
	NAPI_CALL(env, napi_set_named_property(env, out, "ringBytes", x));
	NAPI_CALL(env, napi_create_uint32(env, sizeof(struct saker_counters), &x));
	NAPI_CALL(env, napi_set_named_property(env, out, "counterSize", x));
	return out;
}

static napi_value js_close(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	struct live *l = get_live(env, info, 1, argv);
	if (!l)
		return NULL;
	if (!l->closed)
		napi_remove_env_cleanup_hook(env, env_cleanup, l);
	live_destroy(l);
	return NULL;
}

static napi_value init(napi_env env, napi_value exports)
{
	static const struct {
		const char *name;
		napi_callback fn;
	} fns[] = {
		{ "open", js_open }, { "start", js_start }, { "stats", js_stats }, { "progStats", js_prog_stats },
		{ "setSelection", js_set_selection }, { "addQuietOpen", js_add_quiet_open }, { "info", js_info },
		{ "close", js_close },
	};
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		napi_value f;
		NAPI_CALL(env, napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f));
		NAPI_CALL(env, napi_set_named_property(env, exports, fns[i].name, f));
	}
	return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
