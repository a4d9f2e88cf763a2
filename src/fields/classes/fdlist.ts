// Facts taken by a one-off script from
//   falcosecurity/libs 0.25.4 (the libs of Falco 0.44.1) userspace/libsinsp/sinsp_filtercheck_fdlist.cpp
// Names, types, flags and descriptions are what `falco --list` shows.
import { PF, PT } from '../../events/param-types.js'
import type { FieldClass } from '../types.js'

export const FDLIST_CLASS: FieldClass & { readonly shortdesc: string } = {
  name: 'fdlist',
  shortdesc: '',
  desc: 'Poll event related fields.',
  sources: ['syscall'],
  fields: [
    { name: 'fdlist.nums', type: PT.CHARBUF, flags: 0, printFormat: PF.ID, display: 'FD Numbers',
      desc: 'for poll events, this is a comma-separated list of the FD numbers in the \'fds\' argument, returned as a string.' },
    { name: 'fdlist.names', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'FD Names',
      desc: 'for poll events, this is a comma-separated list of the FD names in the \'fds\' argument, returned as a string.' },
    { name: 'fdlist.cips', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'FD Client Addresses',
      desc: 'for poll events, this is a comma-separated list of the client IP addresses in the \'fds\' argument, returned as a string.' },
    { name: 'fdlist.sips', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'FD Source Addresses',
      desc: 'for poll events, this is a comma-separated list of the server IP addresses in the \'fds\' argument, returned as a string.' },
    { name: 'fdlist.cports', type: PT.CHARBUF, flags: 0, printFormat: PF.DEC, display: 'FD Client Ports',
      desc: 'for TCP/UDP FDs, for poll events, this is a comma-separated list of the client TCP/UDP ports in the \'fds\' argument, returned as a string.' },
    { name: 'fdlist.sports', type: PT.CHARBUF, flags: 0, printFormat: PF.DEC, display: 'FD Source Ports',
      desc: 'for poll events, this is a comma-separated list of the server TCP/UDP ports in the \'fds\' argument, returned as a string.' },
  ],
}
