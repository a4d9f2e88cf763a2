// Facts taken by a one-off script from
//   falcosecurity/libs 0.25.4 (the libs of Falco 0.44.1) userspace/libsinsp/sinsp_filtercheck_gen_event.cpp
// Names, types, flags and descriptions are what `falco --list` shows.
import { PF, PT } from '../../events/param-types.js'
import type { FieldClass } from '../types.js'

// Fields every event source has. Falco adds this class to each plugin source too, and
// lists it once with all the sources that carry it, so `sources` is empty (= every source).
export const EVT_GENERIC_CLASS: FieldClass & { readonly shortdesc: string } = {
  name: 'evt',
  shortdesc: 'All event types',
  desc: 'These fields can be used for all event types',
  sources: [],
  fields: [
    { name: 'evt.num', type: PT.UINT64, flags: 0, printFormat: PF.ID, display: 'Event Number',
      desc: 'event number.' },
    { name: 'evt.time', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Time',
      desc: 'event timestamp as a time string that includes the nanosecond part.' },
    { name: 'evt.time.s', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Time (s)',
      desc: 'event timestamp as a time string with no nanoseconds.' },
    { name: 'evt.time.iso8601', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'ISO 8601 Time',
      desc: 'event timestamp in ISO 8601 format, including nanoseconds and time zone offset (in UTC).' },
    { name: 'evt.datetime', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Datetime',
      desc: 'event timestamp as a time string that includes the date.' },
    { name: 'evt.datetime.s', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Datetime (s)',
      desc: 'event timestamp as a datetime string with no nanoseconds.' },
    { name: 'evt.rawtime', type: PT.ABSTIME, flags: 0, printFormat: PF.DEC, display: 'Absolute Time',
      desc: 'absolute event timestamp, i.e. nanoseconds from epoch.' },
    { name: 'evt.rawtime.s', type: PT.ABSTIME, flags: 0, printFormat: PF.DEC, display: 'Absolute Time (s)',
      desc: 'integer part of the event timestamp (e.g. seconds since epoch).' },
    { name: 'evt.rawtime.ns', type: PT.ABSTIME, flags: 0, printFormat: PF.PADDED_DEC_10, display: 'Absolute Time (ns)',
      desc: 'fractional part of the absolute event timestamp.' },
    { name: 'evt.reltime', type: PT.RELTIME, flags: 0, printFormat: PF.PADDED_DEC_10, display: 'Relative Time',
      desc: 'number of nanoseconds from the beginning of the capture.' },
    { name: 'evt.reltime.s', type: PT.RELTIME, flags: 0, printFormat: PF.DEC, display: 'Relative Time (s)',
      desc: 'number of seconds from the beginning of the capture.' },
    { name: 'evt.reltime.ns', type: PT.RELTIME, flags: 0, printFormat: PF.PADDED_DEC_10, display: 'Relative Time (ns)',
      desc: 'fractional part (in ns) of the time from the beginning of the capture.' },
    { name: 'evt.pluginname', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Plugin Name',
      desc: 'if the event comes from a plugin-defined event source, the name of the plugin that generated it. The plugin must be currently loaded.' },
    { name: 'evt.plugininfo', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Plugin Info',
      desc: 'if the event comes from a plugin-defined event source, a summary of the event as formatted by the plugin. The plugin must be currently loaded.' },
    { name: 'evt.source', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Event Source',
      desc: 'the name of the source that produced the event.' },
    { name: 'evt.is_async', type: PT.BOOL, flags: 0, printFormat: PF.NA, display: 'Async Event',
      desc: '\'true\' for asynchronous events, \'false\' otherwise.' },
    { name: 'evt.asynctype', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Async-Event Type',
      desc: 'If the event is asynchronous, the type of the event (e.g. \'container\').' },
    { name: 'evt.hostname', type: PT.CHARBUF, flags: 0, printFormat: PF.NA, display: 'Hostname',
      desc: 'The hostname of the underlying host can be customized by setting an environment variable (e.g. FALCO_HOSTNAME for the Falco agent). This is valuable in Kubernetes setups, where the hostname can match the pod name particularly in DaemonSet deployments. To achieve this, assign Kubernetes\' spec.nodeName to the environment variable. Notably, spec.nodeName generally includes the cluster name.' },
  ],
}
