// Facts taken by a one-off script from
//   falcosecurity/libs 0.25.4 (the libs of Falco 0.44.1) userspace/libsinsp/sinsp_filtercheck_user.cpp
// Names, types, flags and descriptions are what `falco --list` shows.
import { PF, PT } from '../../events/param-types.js'
import type { FieldClass } from '../types.js'

export const USER_CLASS: FieldClass & { readonly shortdesc: string } = {
  name: 'user',
  shortdesc: '',
  desc: 'Information about the user executing the specific event.',
  sources: ['syscall'],
  fields: [
    { name: 'user.uid', type: PT.UINT32, flags: 0, printFormat: PF.ID, display: 'User ID',
      desc: 'user ID.' },
    { name: 'user.name', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'User Name',
      desc: 'user name.' },
    { name: 'user.homedir', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Home Directory',
      desc: 'home directory of the user.' },
    { name: 'user.shell', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Shell',
      desc: 'user\'s shell.' },
    { name: 'user.loginuid', type: PT.INT64, flags: 0, printFormat: PF.ID, display: 'Login User ID',
      desc: 'audit user id (auid), internally the loginuid is of type `uint32_t`. However, if an invalid uid corresponding to UINT32_MAX is encountered, it is returned as -1 to support familiar filtering conditions.' },
    { name: 'user.loginname', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Login User Name',
      desc: 'audit user name (auid).' },
  ],
}
