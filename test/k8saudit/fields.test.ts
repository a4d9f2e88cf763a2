// Field extraction on Falco's k8s audit fixtures. The expected values were read by hand from
// the fixture JSON and worked out with the k8saudit plugin's rules (extract.go): strings give
// their text, other JSON values their marshaled text, errors and empty lists are missing.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { FieldError } from '../../src/fields/binding.js'
import { k8sAuditResolver } from '../../src/sources/k8saudit/fields.js'
import { AUDIT_DIR, auditEvent, fixtureEvents, fixtureFiles, fixturesMissing, value } from './helpers.js'

const skip = fixturesMissing()

async function only(name: string) {
  const evs = await fixtureEvents(name)
  assert.equal(evs.length, 1, `${name} has one event`)
  return evs[0]!
}

describe('ka.* fields on Falco fixtures', { skip }, () => {
  test('exec_pod.json gives the request, user, target and URI fields the plugin gives', async () => {
    const ev = await only('exec_pod.json')
    assert.equal(value('ka.auditid', ev), 'ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6')
    assert.equal(value('ka.stage', ev), 'ResponseStarted')
    assert.equal(value('ka.auth.decision', ev), 'allow')
    assert.equal(value('ka.auth.reason', ev), '', 'an empty string is a value, not a missing one')
    assert.equal(value('ka.user.name', ev), 'minikube-user')
    assert.deepEqual(value('ka.user.groups', ev), ['system:masters', 'system:authenticated'])
    assert.equal(value('ka.verb', ev), 'create')
    assert.equal(
      value('ka.uri', ev),
      '/api/v1/namespaces/default/pods/nginx-deployment-7998647bdf-phvq7/exec?command=bash&container=nginx1&container=nginx1&stdin=true&stdout=true&tty=true',
    )
    assert.equal(value('ka.uri.param[command]', ev), 'bash')
    assert.equal(value('ka.uri.param[container]', ev), 'nginx1', 'the first of repeated parameters')
    assert.equal(value('ka.uri.param[nothere]', ev), undefined)
    assert.equal(value('ka.target.name', ev), 'nginx-deployment-7998647bdf-phvq7')
    assert.equal(value('ka.target.namespace', ev), 'default')
    assert.equal(value('ka.target.resource', ev), 'pods')
    assert.equal(value('ka.target.subresource', ev), 'exec')
    assert.equal(value('ka.target.pod.name', ev), undefined, 'only for pods without a subresource')
    assert.equal(value('ka.response.code', ev), '101', 'a number gives its JSON text')
    assert.equal(value('ka.response.reason', ev), undefined)
    assert.equal(value('ka.impuser.name', ev), undefined)
    assert.equal(value('ka.useragent', ev), undefined)
    assert.equal(value('ka.cluster.name', ev), undefined)
    // The plugin reads ka.sourceips under requestObject.rules[]: top-level sourceIPs are not it.
    assert.equal(value('ka.sourceips', ev), undefined)
    assert.equal(value('jevt.value[/sourceIPs/0]', ev), '192.168.99.1')
  })

  test('attach_cluster_admin_role.json gives the binding fields', async () => {
    const ev = await only('attach_cluster_admin_role.json')
    assert.equal(value('ka.req.binding.role', ev), 'cluster-admin')
    assert.deepEqual(value('ka.req.binding.subjects', ev), ['{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"minikube"}'])
    assert.deepEqual(value('ka.req.binding.subjects.user_names', ev), ['minikube'])
    assert.equal(value('ka.req.binding.subjects.group_names', ev), undefined, 'no subject of that kind: missing')
    assert.equal(value('ka.req.binding.subjects.serviceaccount_names', ev), undefined)
    assert.equal(value('ka.req.binding.subject.has_name[cluster-admin]', ev), 'true')
    assert.equal(value('ka.req.binding.subject.has_name[anyone]', ev), 'true', 'the plugin always says true')
    assert.equal(value('ka.resp.name', ev), 'some-reader-binding')
    assert.equal(value('ka.response.code', ev), '201')
    assert.equal(value('ka.target.pod.name', ev), undefined)
  })

  test('create_cluster_role_pod_exec.json gives the role rule fields, per rule with an index', async () => {
    const ev = await only('create_cluster_role_pod_exec.json')
    assert.deepEqual(value('ka.req.role.rules.resources', ev), ['pods/exec'])
    assert.deepEqual(value('ka.req.role.rules.verbs', ev), ['get', 'get'])
    assert.deepEqual(value('ka.req.role.rules.verbs[1]', ev), ['get'])
    assert.deepEqual(value('ka.req.role.rules.apiGroups', ev), [''])
    const urls = value('ka.req.role.rules.nonResourceURLs', ev) as string[]
    assert.equal(urls.length, 13)
    assert.equal(urls[0], '/api')
    assert.equal(urls[12], '/version/')
    assert.equal(value('ka.req.role.rules.nonResourceURLs[0]', ev), undefined, 'rule 0 has none')
    assert.equal(value('ka.req.role.rules.resources[5]', ev), undefined, 'no rule 5')
    const rules = value('ka.req.role.rules', ev) as string[]
    assert.equal(rules.length, 2)
    assert.equal(rules[0], '{"apiGroups":[""],"resources":["pods/exec"],"verbs":["get"]}')
    assert.equal(value('ka.sourceips', ev), undefined)
  })

  test('create_nginx_service_nodeport.json gives the service type and the ports array as one value', async () => {
    const ev = await only('create_nginx_service_nodeport.json')
    assert.equal(value('ka.req.service.type', ev), 'NodePort')
    assert.deepEqual(value('ka.req.service.ports', ev), ['[{"nodePort":30080,"port":80,"protocol":"TCP","targetPort":80}]'])
  })

  test('create_nginx_pod_sensitive_mount.json gives the volume and single-container fields', async () => {
    const ev = await only('create_nginx_pod_sensitive_mount.json')
    assert.deepEqual(value('ka.req.pod.volumes.hostpath', ev), ['/etc'])
    assert.equal(value('ka.req.volume.hostpath[/etc]', ev), 'true')
    assert.equal(value('ka.req.volume.hostpath[/et*]', ev), 'true', 'a trailing * is a prefix match')
    assert.equal(value('ka.req.volume.hostpath[/proc*]', ev), 'false')
    assert.equal(value('ka.req.volume.hostpath[/etc/passwd]', ev), 'false')
    assert.deepEqual(value('ka.req.pod.volumes.volume_type', ev), ['hostPath'])
    assert.equal(value('ka.req.pod.volumes.flexvolume_driver', ev), undefined)
    assert.deepEqual(value('ka.req.pod.containers.name', ev), ['nginx'])
    assert.equal(value('ka.req.pod.containers.privileged', ev), undefined, 'no securityContext: nothing to list')
    assert.equal(value('ka.req.container.privileged', ev), 'false')
    assert.deepEqual(value('ka.req.pod.containers.eff_run_as_user', ev), ['0'])
    assert.equal(value('ka.req.pod.host_network', ev), undefined)
    assert.equal(value('ka.req.container.image', ev), 'nginx')
    assert.equal(value('ka.req.container.image.repository', ev), 'nginx')
    assert.equal(value('ka.target.pod.name', ev), 'nginx-deployment-7d5b5dd9cf-t8ngb')
    assert.equal(value('ka.req.pod.initContainers.name', ev), undefined)
  })

  test('create_nginx_pod_hostnetwork.json gives host_network as the JSON text true', async () => {
    const ev = await only('create_nginx_pod_hostnetwork.json')
    assert.equal(value('ka.req.pod.host_network', ev), 'true')
    assert.equal(value('ka.req.container.host_network', ev), 'true')
    assert.equal(value('ka.req.pod.host_pid', ev), undefined)
  })

  test('create_nginx_pod_privileged_2nd_container.json gives per-container lists, and [N] picks one container', async () => {
    const ev = await only('create_nginx_pod_privileged_2nd_container.json')
    assert.deepEqual(value('ka.req.pod.containers.privileged', ev), ['false', 'true'])
    assert.deepEqual(value('ka.req.pod.containers.privileged[1]', ev), ['true'])
    assert.deepEqual(value('ka.req.pod.containers.privileged[0]', ev), ['false'])
    assert.equal(value('ka.req.pod.containers.privileged[2]', ev), undefined)
    assert.equal(value('ka.req.container.privileged', ev), 'true')
    assert.deepEqual(value('ka.req.pod.containers.image', ev), ['nginx', 'mysql:latest'])
    assert.deepEqual(value('ka.req.pod.containers.image[1]', ev), ['mysql:latest'])
    assert.deepEqual(value('ka.req.pod.containers.image.repository', ev), ['nginx', 'mysql'])
    assert.equal(value('ka.req.container.image', ev), 'nginx', 'the first container only')
    assert.deepEqual(value('ka.req.pod.containers.name', ev), ['nginx1', 'mysql'])
  })

  test('create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json lists only the containers that say', async () => {
    const ev = await only('create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json')
    assert.deepEqual(value('ka.req.pod.containers.privileged', ev), ['true'])
    assert.equal(value('ka.req.pod.containers.privileged[0]', ev), undefined)
    assert.equal(value('ka.req.container.privileged', ev), 'true')
  })

  test('create_configmap.json gives the configmap data as written, escapes and all', async () => {
    const ev = await only('create_configmap.json')
    assert.equal(value('ka.req.configmap.name', ev), 'my-config')
    assert.equal(value('ka.req.configmap.obj', ev), '{"ui.properties":"color.good=purple\\ncolor.bad=yellow\\nallow.textmode=true\\n"}')
    assert.equal(value('jevt.value[/requestObject/data/ui.properties]', ev), 'color.good=purple\ncolor.bad=yellow\nallow.textmode=true\n')
  })

  test('create_kube_system_secret.json gives the user agent', async () => {
    const ev = await only('create_kube_system_secret.json')
    assert.equal(value('ka.useragent', ev), 'kubeadm/v1.16.2 (linux/amd64) kubernetes/c97fe50')
    assert.equal(value('ka.user.name', ev), 'admin')
    assert.equal(value('ka.target.namespace', ev), 'kube-system')
  })

  test('create_configmap_sensitive_values.json has six events, numbered in order', async () => {
    const evs = await fixtureEvents('create_configmap_sensitive_values.json')
    assert.deepEqual(evs.map((e) => e.num), [1, 2, 3, 4, 5, 6])
    assert.ok(evs.every((e) => value('ka.verb', e) === 'create'))
  })

  test('fal_01_003.json ({"kind": 0}) has no event', async () => {
    assert.equal((await fixtureEvents('fal_01_003.json')).length, 0)
  })
})

describe('json.* and evt.* fields on Falco fixtures', { skip }, () => {
  test('json.value follows JSON pointers the way the json plugin does', async () => {
    const ev = await only('exec_pod.json')
    assert.equal(value('jevt.value[/annotations/authorization.k8s.io~1decision]', ev), 'allow', '~1 is a slash')
    assert.equal(value('jevt.value[/a~1~0b]', ev), undefined)
    assert.equal(value('json.value[/user/groups/1]', ev), 'system:authenticated')
    assert.equal(value('json.value[/user/groups/01]', ev), 'system:authenticated', 'indexes are read by strconv.Atoi')
    assert.equal(value('json.value[/user/groups/2]', ev), undefined)
    assert.equal(value('json.value[/user/groups]', ev), '["system:masters","system:authenticated"]')
    assert.equal(value('json.value[/responseStatus/code]', ev), '101')
    assert.equal(value('json.value[/responseStatus]', ev), '{"code":101,"metadata":{}}')
    assert.equal(value('json.value[user/username]', ev), 'minikube-user', 'the leading slash is optional')
    assert.equal(value('json.value[/stage/x]', ev), undefined, 'a key under a string')
  })

  test('json.obj is the event indented as Go json.Indent does it', async () => {
    const ev = await only('exec_pod.json')
    const obj = value('json.obj', ev) as string
    assert.ok(obj.startsWith('{\n  "annotations": {\n    "authorization.k8s.io/decision": "allow",\n'))
    assert.ok(obj.includes('\n  "responseStatus": {\n    "code": 101,\n    "metadata": {}\n  },\n'))
    assert.equal(value('jevt.obj', ev), obj)
    const line = readFileSync(join(AUDIT_DIR, 'exec_pod.json'), 'utf8').split('\n')[0]!
    assert.deepEqual(JSON.parse(obj), JSON.parse(line))
  })

  test('the event data (evt.plugininfo, json.value[]) is each fixture line as written', async () => {
    let checked = 0
    for (const f of fixtureFiles()) {
      const lines = readFileSync(join(AUDIT_DIR, f), 'utf8').split('\n').filter((l) => l.length > 0)
      const evs = await fixtureEvents(f)
      if (evs.length !== lines.length) continue // EventList lines and unrecognized lines
      evs.forEach((ev, i) => {
        assert.equal(value('evt.plugininfo', ev), lines[i], `${f} line ${i + 1}`)
        assert.equal(value('json.value[]', ev), lines[i])
        checked++
      })
    }
    assert.ok(checked >= 40, `${checked} events compared`)
  })

  test('event times come from stageTimestamp, in ns', async () => {
    const ev = await only('exec_pod.json')
    const want = BigInt(Date.parse('2018-10-26T13:38:34Z')) * 1_000_000n + 902_914_000n
    assert.equal(ev.ts, want)
    assert.equal(value('evt.rawtime', ev), want)
    assert.equal(value('json.rawtime', ev), want.toString())
    assert.equal(value('jevt.rawtime', ev), want.toString())
    assert.equal(value('evt.rawtime.ns', ev), 902_914_000n)
    assert.equal(value('evt.time.iso8601', ev), '2018-10-26T13:38:34.902914000+0000')
    assert.equal(value('evt.reltime', ev), 0n, 'the first event of its stream')
  })

  test('generic evt fields describe a plugin event of the k8s_audit source', async () => {
    const ev = await only('exec_pod.json')
    assert.equal(value('evt.source', ev), 'k8s_audit')
    assert.equal(value('evt.pluginname', ev), 'k8saudit')
    assert.equal(value('evt.num', ev), 1)
    assert.equal(value('evt.is_async', ev), false)
    assert.equal(value('evt.asynctype', ev), undefined)
  })
})

describe('field semantics on inline events', () => {
  test('an event without auditID has no ka.* fields but keeps json.* fields', () => {
    const ev = auditEvent({ auditID: undefined, verb: 'get' })
    assert.equal(value('ka.verb', ev), undefined)
    assert.equal(value('ka.req.binding.subject.has_name[x]', ev), undefined)
    assert.equal(value('json.value[/verb]', ev), 'get')
  })

  test('empty lists read as missing, as libsinsp drops results with no values', () => {
    const ev = auditEvent({ user: { username: 'u', groups: [] }, requestObject: { subjects: [], spec: { containers: [] } } })
    assert.equal(value('ka.user.groups', ev), undefined)
    assert.equal(value('ka.req.binding.subjects', ev), undefined)
    assert.equal(value('ka.req.binding.subjects.user_names', ev), undefined)
    assert.equal(value('ka.req.pod.containers.image', ev), undefined)
    assert.equal(value('ka.req.container.image', ev), undefined)
    assert.equal(value('ka.req.container.privileged', ev), 'false', 'no container is privileged')
  })

  test('subject names by kind, with namespaces for service accounts', () => {
    const ev = auditEvent({
      requestObject: {
        subjects: [
          { kind: 'ServiceAccount', name: 'sa1', namespace: 'ns1' },
          { kind: 'ServiceAccount', name: 'sa2' },
          { kind: 'Group', name: 'g1' },
          { kind: 'User' },
        ],
      },
    })
    assert.deepEqual(value('ka.req.binding.subjects.serviceaccount_names', ev), ['sa1', 'sa2'])
    assert.deepEqual(value('ka.req.binding.subjects.serviceaccount_ns_names', ev), ['ns1:sa1'], 'one without namespace is left out')
    assert.deepEqual(value('ka.req.binding.subjects.group_names', ev), ['g1'])
    assert.equal(value('ka.req.binding.subjects.user_names', ev), undefined)
  })

  test('container command and args are joined per container, and any non-string fails the field', () => {
    const ok = auditEvent({ requestObject: { spec: { containers: [{ command: ['sh', '-c', 'id'] }, { args: ['x'] }, { command: [] }] } } })
    assert.deepEqual(value('ka.req.pod.containers.command', ok), ['sh -c id', ''])
    assert.deepEqual(value('ka.req.pod.containers.args', ok), ['x'])
    const bad = auditEvent({ requestObject: { spec: { containers: [{ command: ['sh', 1] }] } } })
    assert.equal(value('ka.req.pod.containers.command', bad), undefined)
  })

  test('host_port gives hostPort, else containerPort, of every port', () => {
    const ev = auditEvent({
      requestObject: { spec: { containers: [{ ports: [{ hostPort: 8080, containerPort: 80 }, { containerPort: 443 }, {}] }], initContainers: [{ ports: [{ hostPort: 1 }] }] } },
    })
    assert.deepEqual(value('ka.req.pod.containers.host_port', ev), ['8080', '443'])
    assert.deepEqual(value('ka.req.pod.initContainers.host_port', ev), ['1'])
  })

  test('capabilities, security context and effective ids follow the plugin, quirks included', () => {
    const ev = auditEvent({
      requestObject: {
        spec: {
          securityContext: { runAsUser: 1000, fsGroup: 2000, supplementalGroups: [1, 2] },
          containers: [
            { name: 'a', securityContext: { capabilities: { add: ['NET_ADMIN', 'SYS_TIME'] }, runAsUser: 5, allowPrivilegeEscalation: true, readOnlyRootFilesystem: false, procMount: 'Unmasked' } },
            { name: 'b', runAsUser: 7 },
          ],
        },
      },
    })
    assert.deepEqual(value('ka.req.pod.containers.add_capabilities', ev), ['["NET_ADMIN","SYS_TIME"]'], 'each container\'s list, marshaled')
    assert.deepEqual(value('ka.req.pod.containers.run_as_user', ev), ['5'])
    assert.deepEqual(value('ka.req.pod.containers.allow_privilege_escalation', ev), ['true'])
    assert.deepEqual(value('ka.req.pod.containers.read_only_fs', ev), ['false'])
    assert.deepEqual(value('ka.req.pod.containers.proc_mount', ev), ['Unmasked'])
    assert.equal(value('ka.req.pod.run_as_user', ev), '1000')
    assert.equal(value('ka.req.pod.fs_group', ev), '2000')
    assert.deepEqual(value('ka.req.pod.supplemental_groups', ev), ['1', '2'])
    // eff_run_as_user reads containers[].runAsUser and defaults to spec.runAsUser (not the
    // securityContext): "0" for container a (its securityContext's 5 is not read), "7" for b.
    assert.deepEqual(value('ka.req.pod.containers.eff_run_as_user', ev), ['0', '7'])
  })

  test('image.repository cuts at the first colon, as the plugin does', () => {
    const ev = auditEvent({ requestObject: { spec: { containers: [{ image: 'reg.io:5000/team/app:1.2' }, { image: 'busybox@sha256:abc' }] } } })
    assert.deepEqual(value('ka.req.pod.containers.image.repository', ev), ['reg.io', 'busybox'])
  })

  test('one container without a name or image makes those lists missing', () => {
    const ev = auditEvent({ requestObject: { spec: { containers: [{ name: 'a', image: 'x' }, { securityContext: {} }] } } })
    assert.equal(value('ka.req.pod.containers.name', ev), undefined)
    assert.equal(value('ka.req.pod.containers.image', ev), undefined)
    assert.deepEqual(value('ka.req.pod.containers.name[0]', ev), ['a'])
  })

  test('volume types list every key of each volume but its name', () => {
    const ev = auditEvent({ requestObject: { spec: { volumes: [{ name: 'v', emptyDir: {} }, { name: 'w', flexVolume: { driver: 'd' }, secret: {} }] } } })
    assert.deepEqual(value('ka.req.pod.volumes.volume_type', ev), ['emptyDir', 'flexVolume', 'secret'])
    assert.deepEqual(value('ka.req.pod.volumes.volume_type[1]', ev), ['flexVolume', 'secret'])
    assert.deepEqual(value('ka.req.pod.volumes.flexvolume_driver', ev), ['d'])
  })

  test('ka.sourceips reads requestObject.rules[].sourceIPs, as the plugin does', () => {
    const ev = auditEvent({ sourceIPs: ['10.0.0.1'], requestObject: { rules: [{ sourceIPs: ['1.2.3.4'] }, { sourceIPs: ['5.6.7.8'] }] } })
    assert.deepEqual(value('ka.sourceips', ev), ['1.2.3.4', '5.6.7.8'])
    assert.deepEqual(value('ka.sourceips[1]', ev), ['5.6.7.8'])
  })

  test('openshift, admission and pod security annotations have their fields', () => {
    const ev = auditEvent({
      annotations: {
        'authentication.openshift.io/decision': 'allow',
        'authentication.openshift.io/username': 'dev',
        'validation.policy.admission.k8s.io/validation_failure': '[{"message":"no"}]',
        'pod-security.kubernetes.io/audit-violations': 'privileged',
        cluster_name: 'prod',
      },
      impersonatedUser: { username: 'root' },
    })
    assert.equal(value('ka.auth.openshift.decision', ev), 'allow')
    assert.equal(value('ka.auth.openshift.username', ev), 'dev')
    assert.equal(value('ka.validations.admission.policy.failure', ev), '[{"message":"no"}]')
    assert.equal(value('ka.security.pod.violations', ev), 'privileged')
    assert.equal(value('ka.cluster.name', ev), 'prod')
    assert.equal(value('ka.impuser.name', ev), 'root')
  })

  test('index arguments beyond 63 bits behave as in the plugin: all ones means no index, others nothing', () => {
    const ev = auditEvent({ requestObject: { spec: { containers: [{ image: 'a' }, { image: 'b' }] } } })
    assert.deepEqual(value('ka.req.pod.containers.image[18446744073709551615]', ev), ['a', 'b'])
    assert.equal(value('ka.req.pod.containers.image[9223372036854775808]', ev), undefined)
  })

  test('argument errors are the registry\'s, with libsinsp\'s messages', () => {
    assert.throws(() => k8sAuditResolver.bind('ka.req.pod.containers.image', '01'), FieldError)
    assert.throws(() => k8sAuditResolver.bind('ka.uri.param', undefined), /requires an argument/)
    assert.throws(() => k8sAuditResolver.bind('ka.verb', 'x'), /does not allow nor require an argument/)
  })
})
