// Facts taken by a one-off script from
//   falcosecurity/libs 0.25.4 (the libs of Falco 0.44.1) userspace/libsinsp/sinsp_filtercheck_fspath.cpp
// Names, types, flags and descriptions are what `falco --list` shows.
import { PF, PT } from '../../events/param-types.js'
import type { FieldClass } from '../types.js'

export const FSPATH_CLASS: FieldClass & { readonly shortdesc: string } = {
  name: 'fs.path',
  shortdesc: '',
  desc: 'Every syscall that has a filesystem path in its arguments has these fields set with information related to the path arguments. This differs from the fd.* fields as it includes syscalls like unlink, rename, etc. that act directly on filesystem paths as compared to opened file descriptors.',
  sources: ['syscall'],
  fields: [
    { name: 'fs.path.name', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Path for Filesystem-related operation',
      desc: 'For any event type that deals with a filesystem path, the path the file syscall is operating on. This path is always fully resolved, prepending the thread cwd when needed.' },
    { name: 'fs.path.nameraw', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Raw path for Filesystem-related operation',
      desc: 'For any event type that deals with a filesystem path, the path the file syscall is operating on. This path is always the path provided to the syscall and may not be fully resolved.' },
    { name: 'fs.path.source', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Source path for Filesystem-related operation',
      desc: 'For any event type that deals with a filesystem path, and specifically for a source and target like mv, cp, etc, the source path the file syscall is operating on. This path is always fully resolved, prepending the thread cwd when needed.' },
    { name: 'fs.path.sourceraw', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Source path for Filesystem-related operation',
      desc: 'For any event type that deals with a filesystem path, and specifically for a source and target like mv, cp, etc, the source path the file syscall is operating on. This path is always the path provided to the syscall and may not be fully resolved.' },
    { name: 'fs.path.target', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Target path for Filesystem-related operation',
      desc: 'For any event type that deals with a filesystem path, and specifically for a target and target like mv, cp, etc, the target path the file syscall is operating on. This path is always fully resolved, prepending the thread cwd when needed.' },
    { name: 'fs.path.targetraw', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Target path for Filesystem-related operation',
      desc: 'For any event type that deals with a filesystem path, and specifically for a target and target like mv, cp, etc, the target path the file syscall is operating on. This path is always the path provided to the syscall and may not be fully resolved.' },
  ],
}
