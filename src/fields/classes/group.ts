// Facts taken by a one-off script from
//   falcosecurity/libs 0.25.4 (the libs of Falco 0.44.1) userspace/libsinsp/sinsp_filtercheck_group.cpp
// Names, types, flags and descriptions are what `falco --list` shows.
import { PF, PT } from '../../events/param-types.js'
import type { FieldClass } from '../types.js'

export const GROUP_CLASS: FieldClass & { readonly shortdesc: string } = {
  name: 'group',
  shortdesc: '',
  desc: 'Information about the user group.',
  sources: ['syscall'],
  fields: [
    { name: 'group.gid', type: PT.UINT32, flags: 0, printFormat: PF.ID, display: 'Group ID',
      desc: 'group ID.' },
    { name: 'group.name', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Group Name',
      desc: 'group name.' },
  ],
}
