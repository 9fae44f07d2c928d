// Independent HS256 for the vector in jwt_test.cpp (JwtVector.*): node's built-in crypto only.
// Re-run with `node tests/unit/api/jwt_vector.js` and paste its output into kNodeToken.
// The payload's key order is alphabetical, as nlohmann::json writes it.
'use strict';
const crypto = require('crypto');

const key = 'gatehouse-test-key-0123456789abcdef';
const header = '{"alg":"HS256","typ":"JWT"}';
const payload = JSON.stringify({
  exp: 1700000900,
  iat: 1700000000,
  jti: '00112233445566778899aabbccddeeff',
  sub: '42',
  sv: 3,
  typ: 'access',
});

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const input = b64url(header) + '.' + b64url(payload);
const sig = crypto.createHmac('sha256', key).update(input).digest();
console.log(input + '.' + b64url(sig));
