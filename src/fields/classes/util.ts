// Facts taken by a one-off script from
//   falcosecurity/libs 0.25.4 (the libs of Falco 0.44.1) userspace/libsinsp/sinsp_filtercheck_utils.cpp
// Names, types, flags and descriptions are what `falco --list` shows.
import { PF, PT } from '../../events/param-types.js'
import type { FieldClass } from '../types.js'

// Hidden in libsinsp (FL_HIDDEN): never listed by `falco --list`, yet its field resolves in
// syscall conditions. The registry searches it but leaves it out of FIELD_CLASSES.
export const UTIL_CLASS: FieldClass & { readonly shortdesc: string } = {
  name: 'util',
  shortdesc: '',
  desc: '',
  sources: ['syscall'],
  fields: [
    { name: 'util.cnt', type: PT.UINT64, flags: 0, printFormat: PF.ID, display: 'Counter',
      desc: 'incremental counter.' },
  ],
}
