// The users of the trustproxy tests: `admin` (adminpw) from anywhere, and `lan` (lanpw) allowed only
// from 127.0.0.3, the address these tests connect FROM as the client behind a trusted proxy.

/** `adminLines`: more lines for [admin] (a bearer token line). */
export function lanUsers(adminLines = ''): string {
  return `
[admin]
secret = adminpw
read = all
write = all
${adminLines}

[lan]
secret = lanpw
read = all
write = all
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.3
`;
}
