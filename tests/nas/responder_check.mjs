// Checks tests/nas/routeros_responder.py with an independent RouterOS API client, npm
// node-routeros 1.6.9, so the responder that Gatehouse's client is tested against speaks the
// protocol as a real client expects it (not only as our own codec reads it).
//
//   node responder_check.mjs <port> [plain|tls|adh]
//
// Expects the responder seeded with tests/nas/seed.json (user admin / secret). Prints one line
// per step; exits 0 when every step matched, 1 otherwise.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { RouterOSAPI } = require('node-routeros');

const port = Number(process.argv[2]);
const mode = process.argv[3] ?? 'plain';

function fail(message) {
  console.log(`FAIL ${message}`);
  // Exit explicitly: node-routeros's idle socket timer fires after close() and would raise an
  // unhandled error later (reference: real-clients.md section 7).
  process.exit(1);
}

function expectEqual(what, got, want) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) fail(`${what}: got ${g}, want ${w}`);
  console.log(`ok ${what}: ${g}`);
}

const options = { host: '127.0.0.1', port, user: 'admin', password: 'secret', timeout: 30 };
if (mode === 'tls') options.tls = { rejectUnauthorized: false };
if (mode === 'adh') {
  // RouterOS api-ssl without a certificate: anonymous DH only (reference section 1). There is
  // no certificate to verify, so Node must be told not to ask for one.
  options.tls = {
    rejectUnauthorized: false,
    ciphers: 'ADH-AES256-GCM-SHA384:ADH-AES128-SHA256:@SECLEVEL=0',
    maxVersion: 'TLSv1.2',
  };
}

try {
  const api = new RouterOSAPI(options);
  await api.connect();
  console.log(`ok login (${mode})`);

  const identity = await api.write('/system/identity/print');
  expectEqual('identity', identity.map((r) => r.name), ['gh-test-bng']);

  const alice = await api.write('/ppp/active/print', ['?name=alice']);
  expectEqual(
    'active ?name=alice',
    alice.map((r) => [r['.id'], r.name, r.address, r['caller-id'], r['session-id']]),
    [['*80000001', 'alice', '10.0.0.5', 'AA:BB:CC:00:11:22', '0x81000001']],
  );

  const pools = await api.write('/ip/pool/print', ['=.proplist=name,ranges']);
  // .proplist keeps only the asked-for properties.
  expectEqual(
    'pools',
    pools.map((r) => [r.name, r.ranges, Object.keys(r).length]),
    [
      ['pppoe-main', '10.10.0.2-10.10.3.254', 2],
      ['pppoe-cgnat', '100.64.0.10-100.64.0.200,100.64.1.0/24', 2],
    ],
  );

  // The dynamic queue RADIUS shaping gives a PPP session (the CoA verifier reads it).
  const queue = await api.write('/queue/simple/print', ['?name=<pppoe-alice>']);
  expectEqual(
    'queue ?name=<pppoe-alice>',
    queue.map((r) => [r.name, r.target, r['max-limit'], r.dynamic]),
    [['<pppoe-alice>', '10.0.0.5/32', '2M/4M', 'true']],
  );

  await api.write('/ppp/active/remove', ['=.id=*80000001']);
  console.log('ok remove *80000001');
  const after = await api.write('/ppp/active/print');
  expectEqual('active after remove', after.map((r) => r.name), ['bob', 'carol']);
  const queues = await api.write('/queue/simple/print', ['=.proplist=name']);
  expectEqual('queues after remove', queues.map((r) => r.name), ['<pppoe-bob>']);

  let trapped = null;
  try {
    await api.write('/nosuch/print');
  } catch (e) {
    trapped = e.message;
  }
  expectEqual('trap message', trapped, 'no such command prefix');

  let gone = null;
  try {
    await api.write('/ppp/active/remove', ['=.id=*80000001']);
  } catch (e) {
    gone = e.message;
  }
  expectEqual('stale id trap', gone, 'no such item');

  await api.close();
  console.log('PASS');
  process.exit(0);
} catch (e) {
  fail(`${e.name ?? 'error'}: ${e.message}`);
}
