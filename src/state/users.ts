// Users and groups by container id ('' is the host), as libsinsp's sinsp_usergroup_manager
// keeps them: filled from the capture's user list (or /etc/passwd live), from the
// user/group meta events, and by the parsers each time a thread takes a uid/gid. An
// unknown uid 0 is named root. Host lookups for other unknown ids go through `lookup`
// (unset when replaying: a capture must not pick up the replaying machine's users).

export interface UserEntry {
  uid: number
  gid: number
  name: string
  homedir: string
  shell: string
}

export interface GroupEntry {
  gid: number
  name: string
}

/** Resolves host users/groups the tables do not have (live mode: /etc/passwd, /etc/group). */
export interface HostAccounts {
  user(uid: number): UserEntry | null
  group(gid: number): GroupEntry | null
}

const NO_ID = 0xffffffff

export class UserGroupTables {
  readonly users = new Map<string, Map<number, UserEntry>>()
  readonly groups = new Map<string, Map<number, GroupEntry>>()
  lookup: HostAccounts | null = null

  clear(): void {
    this.users.clear()
    this.groups.clear()
  }

  getUser(containerId: string, uid: number): UserEntry | null {
    return this.users.get(containerId)?.get(uid) ?? null
  }

  getGroup(containerId: string, gid: number): GroupEntry | null {
    return this.groups.get(containerId)?.get(gid) ?? null
  }

  /**
   * A named user (user list, useradded event): replaces the fields of a known uid.
   * Names starting with '+' or '-' are NSS entries and are ignored.
   */
  putUser(containerId: string, uid: number, gid: number, name: string, homedir: string, shell: string): void {
    if (name.length > 0 && (name[0] === '+' || name[0] === '-')) return
    let m = this.users.get(containerId)
    if (m === undefined) this.users.set(containerId, (m = new Map()))
    const u = m.get(uid)
    if (u !== undefined) {
      u.name = name
      u.homedir = homedir
      u.shell = shell
    } else {
      m.set(uid, { uid, gid, name, homedir, shell })
    }
  }

  putGroup(containerId: string, gid: number, name: string): void {
    if (name.length > 0 && (name[0] === '+' || name[0] === '-')) return
    let m = this.groups.get(containerId)
    if (m === undefined) this.groups.set(containerId, (m = new Map()))
    const g = m.get(gid)
    if (g !== undefined) g.name = name
    else m.set(gid, { gid, name })
  }

  /** A thread took this uid (clone, execve, setuid...): make sure it has an entry if one can be found. */
  touchUser(containerId: string, uid: number, gid: number): void {
    if (uid === NO_ID || this.getUser(containerId, uid) !== null) return
    if (uid === 0) {
      // libsinsp names uid 0 root; in a container it would read the container's
      // /etc/passwd instead, which a replay cannot do.
      if (containerId === '') this.putUser('', 0, gid, 'root', '/root', '<NA>')
      return
    }
    if (containerId !== '' || this.lookup === null) return
    const u = this.lookup.user(uid)
    if (u !== null) this.putUser('', u.uid, u.gid, u.name, u.homedir, u.shell)
  }

  touchGroup(containerId: string, gid: number): void {
    if (gid === NO_ID || this.getGroup(containerId, gid) !== null) return
    if (gid === 0) {
      if (containerId === '') this.putGroup('', 0, 'root')
      return
    }
    if (containerId !== '' || this.lookup === null) return
    const g = this.lookup.group(gid)
    if (g !== null) this.putGroup('', g.gid, g.name)
  }

  removeUser(containerId: string, uid: number): void {
    this.users.get(containerId)?.delete(uid)
  }

  removeGroup(containerId: string, gid: number): void {
    this.groups.get(containerId)?.delete(gid)
  }
}
