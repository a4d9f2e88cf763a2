import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ListMemo } from '../../src/state/args.js'
import { CL, O } from '../../src/state/constants.js'
import { FDT } from '../../src/state/fd.js'
import { concatenatePaths } from '../../src/state/paths.js'
import {
  Harness, PPME, addr4, captureFd, captureThread, section, tuple4, tupleUnix, type Param,
} from './helpers.js'

// CLONE_20_X: res exe args tid pid ptid cwd fdlimit pgft_maj pgft_min vm_size vm_rss vm_swap comm
// cgroups flags uid gid vtid vpid pidns_init_start_ts
function clone(res: number, o: { tid: number; pid: number; ptid: number; comm?: string; flags?: number; uid?: number;
  gid?: number; vtid?: number; vpid?: number; cgroups?: string[] }): Param[] {
  return [res, o.comm ?? 'bash', [], o.tid, o.pid, o.ptid, '', 1024, 0, 0, 100, 10, 0, o.comm ?? 'bash',
    o.cgroups ?? [], o.flags ?? 0, o.uid ?? 0, o.gid ?? 0, o.vtid ?? o.tid, o.vpid ?? o.pid, 0]
}

// EXECVE_19_X: res exe args tid pid ptid cwd fdlimit pgft_maj pgft_min vm_size vm_rss vm_swap comm cgroups
// env tty vpgid loginuid flags cap_inh cap_perm cap_eff exe_ino ctime mtime uid trusted_exepath pgid gid
function execve(o: { tid: number; exe: string; args: string[]; comm: string; exepath: string; env?: string[];
  uid?: number; loginuid?: number; flags?: number }): Param[] {
  return [0, o.exe, o.args, o.tid, o.tid, 1, '', 4096, 0, 0, 200, 20, 0, o.comm, [], o.env ?? ['HOME=/root'], 34816,
    o.tid, o.loginuid ?? 1000, o.flags ?? 0, 0n, 0n, 0n, 0n, 0n, 0n, o.uid ?? 0, o.exepath, o.tid, 0]
}

function bashHost(): Harness {
  return new Harness(section([
    captureThread(1, { ptid: 0, comm: 'systemd', exe: '/sbin/init', exepath: '/usr/lib/systemd/systemd' }),
    captureThread(100, { comm: 'bash', exe: '-bash', exepath: '/bin/bash', args: ['-l'], cwd: '/home/alice',
      env: ['HOME=/home/alice', 'TERM=xterm'], uid: 1000, gid: 1000, loginuid: 1000,
      fds: [captureFd(0, { type: FDT.FILE_V2, name: '/dev/pts/0' }), captureFd(1, { type: FDT.FILE_V2, name: '/dev/pts/0' }),
        captureFd(255, { type: FDT.FILE_V2, name: '/dev/pts/0', openFlags: O.CLOEXEC })] }),
    captureThread(101, { pid: 100, ptid: 1, comm: 'bash', exe: '-bash', exepath: '/bin/bash', cwd: '/ignored' }),
  ]))
}

describe('the thread table, seeded from a capture', () => {
  test('a process list entry becomes a thread; only main threads keep cwd and environment', () => {
    const h = bashHost()
    const main = h.thread(100)!
    assert.equal(main.comm, 'bash')
    assert.equal(main.getCwd(), '/home/alice/')
    assert.deepEqual(main.getEnv(), ['HOME=/home/alice', 'TERM=xterm'])
    assert.equal(main.fds.size, 3)
    const th = h.thread(101)!
    assert.equal(th.isMainThread(), false)
    assert.equal(th.cwd, '')
    assert.equal(th.getCwd(), '/home/alice/', 'a thread reads its main thread cwd')
    assert.equal(th.mainThread(), main)
    assert.equal(main.group!.alive, 2)
    assert.ok(h.thread(1)!.children.includes(main))
  })

  test('a seeded pipe or socket marked close-on-exec is gone after exec, one without it stays', () => {
    // A capture's table carries no flags for them (they stay, as in Falco); /proc at live
    // start-up gives them their O_CLOEXEC.
    const h = new Harness(section([
      captureThread(100, { comm: 'node', fds: [
        captureFd(3, { type: FDT.FIFO, name: 'pipe:[11]', openFlags: O.CLOEXEC }),
        captureFd(4, { type: FDT.UNIX_SOCK, name: '', source: 1n, dest: 2n, openFlags: O.CLOEXEC }),
        captureFd(5, { type: FDT.FIFO, name: 'pipe:[12]' }),
        captureFd(6, { type: FDT.UNIX_SOCK, name: '', source: 3n, dest: 4n })] }),
    ]))
    h.push(PPME.SYSCALL_CLONE_20_X, 100, clone(200, { tid: 100, pid: 100, ptid: 1, comm: 'node' }))
    h.push(PPME.SYSCALL_EXECVE_19_X, 200, execve({ tid: 200, exe: 'true', args: [], comm: 'true', exepath: '/bin/true' }))
    assert.deepEqual([...h.thread(200)!.fds.keys()].sort(), [5, 6])
  })

  test('users and groups come from the capture user list', () => {
    const h = bashHost()
    h.push(PPME.SYSCALL_GETCWD_X, 100, [0, '/home/alice'])
    assert.equal(h.field('user.name'), 'alice')
    assert.equal(h.field('user.homedir'), '/home/alice')
    assert.equal(h.field('user.shell'), '/bin/zsh')
    assert.equal(h.field('group.name'), 'alice')
    assert.equal(h.field('user.loginuid'), 1000)
    assert.equal(h.field('user.loginname'), 'alice')
  })

  test('an IPv4 socket on a port some process serves is turned around to the server side', () => {
    const h = new Harness(section([
      captureThread(10, { comm: 'nginx', fds: [
        captureFd(3, { type: FDT.IPV4_SERVSOCK, ip: '0.0.0.0', port: 80, l4proto: 2 }),
        captureFd(4, { type: FDT.IPV4_SOCK, sip: '127.0.0.1', sport: 80, dip: '127.0.0.1', dport: 40000, l4proto: 2 }),
        captureFd(5, { type: FDT.IPV4_SOCK, sip: '10.0.0.1', sport: 5555, dip: '1.1.1.1', dport: 443, l4proto: 2 }),
      ] }),
    ]))
    const fds = h.thread(10)!.fds
    assert.equal(fds.get(3)!.name, '0.0.0.0:80')
    assert.equal(fds.get(4)!.name, '127.0.0.1:40000->127.0.0.1:80')
    assert.equal(fds.get(4)!.isRoleServer(), true)
    assert.equal(fds.get(5)!.name, '10.0.0.1:5555->1.1.1.1:443')
    assert.equal(fds.get(5)!.isRoleClient(), true)
  })
})

describe('process lifecycle events', () => {
  test('clone then execve then open then close', () => {
    const h = bashHost()
    // The caller's clone exit: a new process with a copy of the parent's fds, cwd and env.
    h.push(PPME.SYSCALL_CLONE_20_X, 100, clone(200, { tid: 100, pid: 100, ptid: 1, uid: 1000, gid: 1000 }))
    const child = h.thread(200)!
    assert.ok(child, 'the child is in the table')
    assert.equal(child.pid, 200)
    assert.equal(child.ptid, 100)
    assert.equal(child.comm, 'bash')
    assert.equal(child.getCwd(), '/home/alice/')
    assert.deepEqual(child.getEnv(), ['HOME=/home/alice', 'TERM=xterm'])
    assert.equal(child.fds.size, 3)
    assert.notEqual(child.fds.get(0), h.thread(100)!.fds.get(0), 'the fds are copies')
    assert.equal(child.exepath, '/bin/bash', 'inherited from the caller')
    assert.equal(child.loginuid, 1000)
    // The child's own clone exit follows: the entry made by the caller is kept.
    h.push(PPME.SYSCALL_CLONE_20_X, 200, clone(0, { tid: 200, pid: 200, ptid: 100 }))
    assert.equal(h.thread(200), child)

    h.push(PPME.SYSCALL_EXECVE_19_X, 200, execve({ tid: 200, exe: 'cat', args: ['/etc/passwd'], comm: 'cat',
      exepath: '/usr/bin/cat', env: ['A=1'] }))
    assert.equal(h.field('proc.name'), 'cat')
    assert.equal(h.field('proc.exe'), 'cat')
    assert.equal(h.field('proc.exepath'), '/usr/bin/cat')
    assert.equal(h.field('proc.cmdline'), 'cat /etc/passwd')
    assert.equal(h.field('proc.args'), '/etc/passwd')
    assert.equal(h.field('proc.pname'), 'bash')
    assert.equal(h.field('proc.ppid'), 100)
    assert.equal(h.field('proc.env'), 'A=1')
    assert.equal(h.field('proc.env[A]'), '1')
    assert.equal(h.field('proc.tty'), 34816)
    assert.equal(h.field('evt.res'), 'SUCCESS')
    assert.equal(child.fds.has(255), false, 'the close-on-exec fd is gone after exec')
    assert.equal(child.fds.size, 2)

    h.push(PPME.SYSCALL_OPEN_X, 200, [3, 'passwd', O.RDONLY, 0, 0x801, 1234n])
    assert.equal(h.field('fd.num'), 3)
    assert.equal(h.field('fd.name'), '/home/alice/passwd', 'resolved against the cwd')
    assert.equal(h.field('fd.nameraw'), 'passwd')
    assert.equal(h.field('fd.directory'), '/home/alice')
    assert.equal(h.field('fd.filename'), 'passwd')
    assert.equal(h.field('fd.type'), 'file')
    assert.equal(h.field('fd.typechar'), 'f')
    assert.equal(h.field('evt.is_open_read'), true)
    assert.equal(h.field('evt.is_open_write'), false)
    assert.equal(h.field('fd.dev.major'), 8)
    assert.equal(h.field('fd.dev.minor'), 1)
    assert.equal(h.field('fd.ino'), 1234)
    assert.equal(h.field('evt.args'), 'fd=3(<f>/home/alice/passwd) name=passwd(/home/alice/passwd) flags=1(O_RDONLY) mode=0 dev=801 ino=1234')

    h.push(PPME.SYSCALL_CLOSE_X, 200, [0, 3])
    assert.equal(h.field('fd.name'), '/home/alice/passwd', 'the close still sees its fd')
    assert.ok(child.fds.has(3))
    h.push(PPME.SYSCALL_GETCWD_X, 200, [0, '/home/alice'])
    assert.equal(child.fds.has(3), false, 'removed before the next event')
  })

  test('a failed open adds no fd and reports the errno', () => {
    const h = bashHost()
    h.push(PPME.SYSCALL_OPEN_X, 100, [-2, '/nope', O.RDONLY, 0])
    assert.equal(h.field('evt.res'), 'ENOENT')
    assert.equal(h.field('evt.rawres'), -2)
    assert.equal(h.field('evt.failed'), true)
    assert.equal(h.field('fd.num'), -1)
    assert.equal(h.field('fd.name'), '/nope', 'taken from the event')
    assert.equal(h.field('evt.arg.fd'), 'ENOENT')
    assert.equal(h.field('evt.arg[0]'), 'ENOENT')
    assert.equal(h.thread(100)!.fds.size, 3)
  })

  test('openat resolves a relative name against its dirfd', () => {
    const h = bashHost()
    h.push(PPME.SYSCALL_OPENAT_2_X, 100, [7, -100, '/etc', O.DIRECTORY, 0, 0, 0n])
    assert.equal(h.field('fd.type'), 'directory')
    h.push(PPME.SYSCALL_OPENAT_2_X, 100, [8, 7, './shadow', O.RDONLY | O.CLOEXEC, 0, 0, 0n])
    assert.equal(h.field('fd.name'), '/etc/shadow')
    assert.equal(h.field('evt.abspath'), '/etc/shadow')
    assert.equal(h.field('fs.path.name'), '/etc/shadow')
    assert.equal(h.field('fs.path.nameraw'), './shadow')
    assert.equal(h.field('evt.arg.flags'), 'O_RDONLY|O_CLOEXEC')
    h.push(PPME.SYSCALL_OPENAT_2_X, 100, [9, -100, '../bob/x', O.WRONLY | O.CREAT | O.F_CREATED, 0o755, 0, 0n])
    assert.equal(h.field('fd.name'), '/home/bob/x')
    assert.equal(h.field('evt.is_open_create'), true)
    assert.equal(h.field('evt.is_open_exec'), true)
    assert.equal(h.field('evt.is_open_write'), true)
  })

  test('a thread shares its process fd table; its clone exit carries CLONE_THREAD', () => {
    const h = bashHost()
    h.push(PPME.SYSCALL_CLONE_20_X, 100, clone(102, { tid: 100, pid: 100, ptid: 1, flags: CL.CLONE_THREAD | CL.CLONE_FILES }))
    const th = h.thread(102)!
    assert.equal(th.pid, 100)
    assert.equal(th.isMainThread(), false)
    assert.equal(th.fdTable(), h.thread(100)!.fds)
    h.push(PPME.SYSCALL_OPEN_X, 102, [5, '/tmp/t', O.WRONLY, 0])
    assert.ok(h.thread(100)!.fds.has(5), 'opened by the thread, visible to the process')
    assert.equal(h.field('proc.pid'), 100)
    assert.equal(h.field('thread.tid'), 102)
    assert.equal(h.field('thread.ismain'), false)
    assert.equal(h.field('proc.nthreads'), 3)
    assert.equal(h.field('proc.nchilds'), 2)
  })

  test('dup2 copies an fd without close-on-exec; F_DUPFD_CLOEXEC sets it', () => {
    const h = bashHost()
    h.push(PPME.SYSCALL_DUP2_X, 100, [10, 255, 10])
    const fds = h.thread(100)!.fds
    assert.equal(fds.get(10)!.name, '/dev/pts/0')
    assert.equal(fds.get(10)!.isCloseOnExec(), false)
    assert.equal(h.field('fd.num'), 10)
    h.push(PPME.SYSCALL_FCNTL_X, 100, [11, 0, 26 /* F_DUPFD_CLOEXEC */, 0n])
    assert.equal(fds.get(11)!.isCloseOnExec(), true)
    h.push(PPME.SYSCALL_DUP_1_X, 100, [1, 0])
    assert.ok((h.thread(100)!.flags & CL.PIPE_SRC) !== 0, 'dup to stdout marks a pipe source')
  })

  test('a socketpair made with SOCK_CLOEXEC has both ends close-on-exec', () => {
    const h = bashHost()
    h.push(PPME.SOCKET_SOCKETPAIR_X, 100, [0, 3, 4, 0x10n, 0x20n, 1 /* AF_UNIX */, 1 | 0o2000000 /* SOCK_STREAM|SOCK_CLOEXEC */, 0])
    h.push(PPME.SOCKET_SOCKETPAIR_X, 100, [0, 5, 6, 0x30n, 0x40n, 1, 1, 0])
    const fds = h.thread(100)!.fds
    assert.deepEqual([3, 4, 5, 6].map(fd => fds.get(fd)!.type), [FDT.UNIX_SOCK, FDT.UNIX_SOCK, FDT.UNIX_SOCK, FDT.UNIX_SOCK])
    assert.deepEqual([3, 4, 5, 6].map(fd => fds.get(fd)!.isCloseOnExec()), [true, true, false, false])
  })

  test('pipe2 makes two fifo fds sharing an inode', () => {
    const h = bashHost()
    h.push(PPME.SYSCALL_PIPE2_X, 100, [0, 3, 4, 99n, O.CLOEXEC])
    const fds = h.thread(100)!.fds
    assert.equal(fds.get(3)!.type, FDT.FIFO)
    assert.equal(fds.get(4)!.ino, 99)
    assert.equal(h.field('fd.typechar'), 'p')
  })

  test('chdir follows relative paths and ..; fchdir takes the fd directory', () => {
    const h = bashHost()
    h.push(PPME.SYSCALL_CHDIR_X, 100, [0, '../bob/./src/'])
    assert.equal(h.field('proc.cwd'), '/home/bob/src/')
    h.push(PPME.SYSCALL_OPENAT_2_X, 100, [6, -100, '/var/log', O.DIRECTORY, 0, 0, 0n])
    h.push(PPME.SYSCALL_FCHDIR_X, 100, [0, 6])
    assert.equal(h.field('proc.cwd'), '/var/log/')
  })

  test('setuid and setgid change the user and group of the thread', () => {
    const h = bashHost()
    h.push(PPME.SYSCALL_SETUID_X, 100, [0, 0])
    assert.equal(h.field('user.uid'), 0)
    assert.equal(h.field('user.name'), 'root')
    h.push(PPME.SYSCALL_SETGID_X, 100, [0, 0])
    assert.equal(h.field('group.name'), 'root')
    h.push(PPME.SYSCALL_SETUID_X, 100, [-1, 1000])
    assert.equal(h.field('user.uid'), 0, 'a failed setuid changes nothing')
    h.push(PPME.SYSCALL_SETUID_X, 100, [0, 4242])
    assert.equal(h.field('user.name'), '<NA>', 'an unknown uid has no name')
  })

  test('procexit keeps the thread for its own event, removes it before the next, and reparents children', () => {
    const h = bashHost()
    h.push(PPME.SYSCALL_CLONE_20_X, 100, clone(300, { tid: 100, pid: 100, ptid: 1 }))
    h.push(PPME.SYSCALL_CLONE_20_X, 300, clone(301, { tid: 300, pid: 300, ptid: 100 }))
    assert.equal(h.thread(301)!.ptid, 300)
    h.push(PPME.PROCEXIT_1_E, 300, [0, 0, 0, 0, 1])
    assert.equal(h.field('proc.name'), 'bash', 'the exiting thread is still there for its event')
    assert.ok(h.thread(300)!.isDead())
    h.push(PPME.SYSCALL_GETCWD_X, 100, [0, '/'])
    assert.equal(h.thread(300), null, 'gone before the next event')
    assert.equal(h.thread(301)!.ptid, 1, 'the orphan goes to the reaper the kernel named')
    assert.equal(h.state.stats.threadsRemoved, 1)
  })

  test('a caller\'s clone exit that comes after its child exited does not bring the child back', () => {
    const h = bashHost()
    // the child's own event first (a probe sends it from the fork), its exit, then the caller's
    h.push(PPME.SYSCALL_CLONE_20_X, 300, clone(0, { tid: 300, pid: 300, ptid: 100 }))
    h.push(PPME.PROCEXIT_1_E, 300, [0, 0, 0, 0, 1])
    h.push(PPME.SYSCALL_GETCWD_X, 100, [0, '/'])
    assert.equal(h.thread(300), null)
    h.push(PPME.SYSCALL_CLONE_20_X, 100, clone(300, { tid: 100, pid: 100, ptid: 1 }))
    assert.equal(h.thread(300), null, 'the late caller event made no thread')
    // a child whose tid shares the exited one's slot, 8192 tids later, is made
    h.push(PPME.SYSCALL_CLONE_20_X, 100, clone(300 + 8192, { tid: 100, pid: 100, ptid: 1 }))
    assert.equal(h.thread(300 + 8192)!.ptid, 100)
  })

  test('the exit of one thread of a process keeps the process until its last thread exits', () => {
    const h = bashHost()
    h.push(PPME.PROCEXIT_1_E, 100, [0, 0, 0, 0, 0])
    h.push(PPME.SYSCALL_GETCWD_X, 101, [0, '/'])
    assert.ok(h.thread(100), 'a dead main thread stays while a thread of its process lives')
    assert.equal(h.thread(100)!.isDead(), true)
    h.push(PPME.PROCEXIT_1_E, 101, [0, 0, 0, 0, 0])
    h.push(PPME.SYSCALL_GETCWD_X, 1, [0, '/'])
    assert.equal(h.thread(101), null)
    assert.equal(h.thread(100), null)
  })

  test('the thread table refuses threads beyond thread_table_size', () => {
    const h = new Harness(section([captureThread(1, { ptid: 0 }), captureThread(2), captureThread(3)]), { threadTableSize: 4 })
    h.push(PPME.SYSCALL_CLONE_20_X, 1, clone(10, { tid: 1, pid: 1, ptid: 0 }))
    assert.equal(h.state.threads.size, 4)
    h.push(PPME.SYSCALL_CLONE_20_X, 1, clone(11, { tid: 1, pid: 1, ptid: 0 }))
    assert.equal(h.thread(11), null)
    assert.equal(h.state.stats.threadTableFullDrops, 1)
    h.push(PPME.SYSCALL_GETCWD_X, 999, [0, '/'])
    assert.equal(h.thread(999), null, 'no placeholder either')
    assert.equal(h.field('proc.name'), undefined)
  })

  test('an unknown thread gets a placeholder entry (pid -1, name <NA>)', () => {
    const h = bashHost()
    h.push(PPME.SYSCALL_GETCWD_X, 4242, [0, '/'])
    const t = h.thread(4242)!
    assert.equal(t.pid, -1)
    assert.equal(t.isInvalid(), true)
    assert.equal(h.field('proc.name'), '<NA>')
    assert.equal(h.field('proc.pid'), -1)
    assert.equal(h.field('proc.ppid'), undefined)
    assert.equal(h.field('thread.tid'), 4242)
  })

  test('ancestor fields walk the parent processes, by main thread', () => {
    const h = bashHost()
    h.push(PPME.SYSCALL_CLONE_20_X, 100, clone(200, { tid: 100, pid: 100, ptid: 1 }))
    h.push(PPME.SYSCALL_EXECVE_19_X, 200, execve({ tid: 200, exe: 'sh', args: ['-c', 'x'], comm: 'sh', exepath: '/bin/sh' }))
    h.push(PPME.SYSCALL_CLONE_20_X, 200, clone(201, { tid: 200, pid: 200, ptid: 100, comm: 'sh', flags: CL.CLONE_THREAD }))
    h.push(PPME.SYSCALL_GETCWD_X, 201, [0, '/'])
    assert.equal(h.field('proc.name'), 'sh')
    assert.equal(h.field('proc.pname'), 'bash', 'the parent of the thread is its process parent')
    assert.equal(h.field('proc.aname[0]'), 'sh')
    assert.equal(h.field('proc.aname[1]'), 'bash')
    assert.equal(h.field('proc.aname[2]'), 'systemd')
    assert.equal(h.field('proc.aname[3]'), undefined)
    // without an index: every ancestor, and a condition matches when any of them does, as libsinsp compares them
    assert.deepEqual(h.field('proc.aname'), ['bash', 'systemd'])
    assert.equal(h.field('proc.apid[2]'), 1)
    assert.equal(h.field('proc.acmdline[1]'), 'bash -l')
    assert.equal(h.field('proc.aexepath[2]'), '/usr/lib/systemd/systemd')
  })
})

describe('sockets', () => {
  test('socket then connect make a client TCP socket', () => {
    const h = bashHost()
    h.push(PPME.SOCKET_SOCKET_X, 100, [5, 2, 1, 0, 0])
    assert.equal(h.field('fd.type'), 'ipv4')
    assert.equal(h.field('fd.l4proto'), '<NA>', 'no role yet')
    h.push(PPME.SOCKET_CONNECT_X, 100, [0, tuple4('10.0.0.2', 40000, '93.184.216.34', 443), 5, addr4('93.184.216.34', 443)])
    assert.equal(h.field('fd.name'), '10.0.0.2:40000->93.184.216.34:443')
    assert.equal(h.field('fd.cip'), '10.0.0.2')
    assert.equal(h.field('fd.sip'), '93.184.216.34')
    assert.equal(h.field('fd.cport'), 40000)
    assert.equal(h.field('fd.sport'), 443)
    assert.equal(h.field('fd.l4proto'), 'tcp')
    assert.equal(h.field('fd.sockfamily'), 'ip')
    assert.equal(h.field('fd.connected'), true)
    assert.equal(h.field('fd.is_server'), false)
    assert.deepEqual(h.field('fd.ip'), ['10.0.0.2', '93.184.216.34'])
    assert.equal(h.field('evt.arg.fd'), '<4t>10.0.0.2:40000->93.184.216.34:443')
    assert.equal(h.field('evt.arg.addr'), '93.184.216.34:443')
  })

  test('bind and accept make a server socket and a connected one', () => {
    const h = bashHost()
    h.push(PPME.SOCKET_SOCKET_X, 100, [3, 2, 1, 6, 0])
    h.push(PPME.SOCKET_BIND_X, 100, [0, addr4('0.0.0.0', 8080), 3])
    assert.equal(h.field('fd.name'), '0.0.0.0:8080')
    assert.equal(h.field('fd.is_server'), true)
    assert.equal(h.field('fd.sport'), 8080)
    h.push(PPME.SOCKET_ACCEPT4_6_X, 100, [4, tuple4('1.2.3.4', 50000, '10.0.0.2', 8080), 0, 0, 0, O.CLOEXEC])
    assert.equal(h.field('fd.name'), '1.2.3.4:50000->10.0.0.2:8080')
    assert.equal(h.field('fd.cip'), '1.2.3.4')
    assert.equal(h.field('fd.sport'), 8080)
    assert.equal(h.thread(100)!.fds.get(4)!.isCloseOnExec(), true)
  })

  test('a unix socket connect names the socket after its peer path', () => {
    const h = bashHost()
    h.push(PPME.SOCKET_SOCKET_X, 100, [6, 1, 1, 0, 0])
    h.push(PPME.SOCKET_CONNECT_X, 100, [0, tupleUnix(0xabcn, 0xdefn, '/run/docker.sock'), 6, null])
    assert.equal(h.field('fd.name'), 'abc->def /run/docker.sock')
    assert.equal(h.field('fd.type'), 'unix')
    assert.equal(h.field('fd.sockfamily'), 'unix')
  })
})

describe('containers', () => {
  test('a docker cgroup gives the container id, a container event the metadata', () => {
    const id = 'ad64969c62e5596b839d08cf1b05986dabdfa797f02c424ec877f050afc63a8d'
    const h = new Harness(section([
      captureThread(1, { ptid: 0 }),
      captureThread(50, { comm: 'node', cgroups: ['cpu=/docker/' + id, 'memory=/docker/' + id] }),
    ]))
    h.push(PPME.SYSCALL_GETCWD_X, 50, [0, '/'])
    assert.equal(h.field('container.id'), 'ad64969c62e5')
    assert.equal(h.field('container.name'), undefined, 'no metadata yet')
    const json = JSON.stringify({ container: { id: 'ad64969c62e5', name: 'web', image: 'node:20', imagerepo: 'node',
      imagetag: '20', type: 0, privileged: true, ip: '172.17.0.2',
      labels: { 'io.kubernetes.pod.name': 'web-0', 'io.kubernetes.pod.namespace': 'prod', app: 'web' },
      Mounts: [{ Source: '/data', Destination: '/var/lib/data', Mode: 'rw', RW: true, Propagation: 'rprivate' }] } })
    h.push(PPME.CONTAINER_JSON_2_E, -1, [json])
    assert.equal(h.field('container.name'), 'web', 'a container event shows its container')
    h.push(PPME.SYSCALL_GETCWD_X, 50, [0, '/'])
    assert.equal(h.field('container.name'), 'web')
    assert.equal(h.field('container.image'), 'node:20')
    assert.equal(h.field('container.image.tag'), '20')
    assert.equal(h.field('container.type'), 'docker')
    assert.equal(h.field('container.privileged'), true)
    assert.equal(h.field('container.label[app]'), 'web')
    assert.equal(h.field('container.labels'), 'app:web')
    assert.equal(h.field('container.mount.dest[0]'), '/var/lib/data')
    assert.equal(h.field('container.mounts'), '/data:/var/lib/data:rw:true:rprivate')
    assert.equal(h.field('k8s.pod.name'), 'web-0')
    assert.equal(h.field('k8s.ns.name'), 'prod')
    assert.equal(h.field('fd.containername'), undefined, 'getcwd has no fd')
  })

  test('host threads read as the host container', () => {
    const h = bashHost()
    h.push(PPME.SYSCALL_GETCWD_X, 100, [0, '/'])
    assert.equal(h.field('container.id'), 'host')
    assert.equal(h.field('container.name'), 'host')
    assert.equal(h.field('container.type'), 'host')
  })

  test('kubepods, cri-o and containerd cgroup layouts', async () => {
    const { matchCgroup } = await import('../../src/state/containers.js')
    const hex = 'e1c6e5e07d3a2b0d0e8ae35c1e2b6f5ce2d3f1a6b0b4f9a2d6a3f8c9d7e5b4a3'
    assert.equal(matchCgroup(`/kubepods/besteffort/pod1234/${hex}`)?.id, 'e1c6e5e07d3a')
    assert.equal(matchCgroup(`/kubepods.slice/kubepods-pod1.slice/crio-${hex}.scope`)?.id, 'e1c6e5e07d3a')
    assert.equal(matchCgroup(`/system.slice/cri-containerd-${hex}.scope`)?.id, 'e1c6e5e07d3a')
    assert.equal(matchCgroup(`/machine.slice/libpod-${hex}.scope/container`)?.id, 'e1c6e5e07d3a')
    assert.equal(matchCgroup('/default/mycontainer')?.id, 'mycontainer', 'ctr namespaces')
    assert.equal(matchCgroup('/user.slice/user-1000.slice/session-2.scope'), null)
    assert.equal(matchCgroup('/system.slice/docker.service'), null)
  })
})

describe('paths', () => {
  test('joined and cleaned as libsinsp does', () => {
    assert.equal(concatenatePaths('/home/a/', 'b'), '/home/a/b')
    assert.equal(concatenatePaths('/home/a/', '../b/./c//d/'), '/home/b/c/d')
    assert.equal(concatenatePaths('/home/a/', '/etc/../tmp'), '/tmp')
    assert.equal(concatenatePaths('/', '..'), '/')
    assert.equal(concatenatePaths('/x/', ''), '')
    assert.equal(concatenatePaths('', 'rel/x'), 'rel/x')
  })
})

describe('old event layouts', () => {
  test('an exit lacking its fd takes it from the enter event (old captures)', () => {
    const h = bashHost()
    h.push(PPME.SYSCALL_OPEN_X, 100, [3, '/tmp/f', O.RDONLY, 0])
    h.push(PPME.SYSCALL_CLOSE_E, 100, [3])
    h.push(PPME.SYSCALL_CLOSE_X, 100, [0])
    assert.equal(h.field('fd.num'), 3)
    assert.equal(h.field('fd.name'), '/tmp/f')
    h.push(PPME.SYSCALL_GETCWD_X, 100, [0, '/'])
    assert.equal(h.thread(100)!.fds.has(3), false)
  })

  test('an old socket exit takes domain, type and protocol from its enter event', () => {
    const h = bashHost()
    h.push(PPME.SOCKET_SOCKET_E, 100, [10, 2, 0])
    h.push(PPME.SOCKET_SOCKET_X, 100, [7])
    assert.equal(h.field('fd.type'), 'ipv6')
    assert.equal(h.thread(100)!.fds.get(7)!.sock![36], 3, 'UDP (datagram socket)')
  })
})

describe('list memo', () => {
  test('the same bytes give the same value, other bytes a new one', () => {
    const memo = new ListMemo(list => list)
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
    const a = memo.get(enc('xA=1\0B=2\0'), 1, 8)
    assert.deepEqual(a, ['A=1', 'B=2'])
    assert.equal(memo.get(enc('A=1\0B=2\0'), 0, 8), a)
    assert.deepEqual(memo.get(enc('A=1\0B=3\0'), 0, 8), ['A=1', 'B=3'])
    assert.deepEqual(memo.get(enc(''), 0, 0), [])
  })
})
