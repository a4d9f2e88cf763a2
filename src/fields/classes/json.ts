// Facts taken by a one-off script from
//   falcosecurity/plugins plugins/json v0.7.4 pkg/json/json.go
// Names, types, flags and descriptions are what `falco --list` shows.
import { PF, PT } from '../../events/param-types.js'
import { FF, type FieldClass } from '../types.js'

// The json plugin declares no extraction sources, which libsinsp reads as "every source":
// Falco registers it on the syscall inspector as well as on k8s_audit and lists it for both.
export const JSON_CLASS: FieldClass & { readonly shortdesc: string } = {
  name: 'json (plugin)',
  shortdesc: '',
  desc: '',
  sources: ['k8s_audit', 'syscall'],
  fields: [
    { name: 'json.value', type: PT.CHARBUF, flags: FF.ARG_REQUIRED | FF.ARG_ALLOWED | FF.ARG_KEY | FF.NO_PTR_STABILITY, printFormat: PF.DEC, display: '',
      desc: 'Extracts a value from a JSON-encoded input. Syntax is json.value[<json pointer>], where <json pointer> is a json pointer (see https://datatracker.ietf.org/doc/html/rfc6901)' },
    { name: 'json.obj', type: PT.CHARBUF, flags: FF.NO_PTR_STABILITY, printFormat: PF.DEC, display: '',
      desc: 'The full json message as a text string.' },
    { name: 'json.rawtime', type: PT.CHARBUF, flags: FF.NO_PTR_STABILITY, printFormat: PF.DEC, display: '',
      desc: 'The time of the event, identical to evt.rawtime.' },
    { name: 'jevt.value', type: PT.CHARBUF, flags: FF.ARG_REQUIRED | FF.ARG_ALLOWED | FF.ARG_KEY | FF.NO_PTR_STABILITY, printFormat: PF.DEC, display: '',
      desc: 'Alias for json.value, provided for backwards compatibility.' },
    { name: 'jevt.obj', type: PT.CHARBUF, flags: FF.NO_PTR_STABILITY, printFormat: PF.DEC, display: '',
      desc: 'Alias for json.obj, provided for backwards compatibility.' },
    { name: 'jevt.rawtime', type: PT.CHARBUF, flags: FF.NO_PTR_STABILITY, printFormat: PF.DEC, display: '',
      desc: 'Alias for json.rawtime, provided for backwards compatibility.' },
  ],
}
