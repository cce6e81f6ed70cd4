// Pwned Passwords at the edge: when a form with a password is posted, hash it with
// SHA-1, ask the range API for every breached hash that starts with the same 5 hex
// digits (k-anonymity: the API never learns the password or its full hash), look for
// the rest of the hash in the answer, and tell the origin in a header. The origin then
// decides what to do (warn the user, ask for a new password); the form itself goes to
// the origin unchanged.

// The header the origin reads: "yes", "no", or "unknown" when the API could not answer.
const VERDICT = 'Exposed-Password';
// How many breaches the password was seen in (only when it was).
const COUNT = 'Exposed-Password-Count';

export default {
  async fetch(request, env) {
    // A client must not be able to vouch for its own password.
    const headers = new Headers(request.headers);
    headers.delete(VERDICT);
    headers.delete(COUNT);

    const password = await submittedPassword(request, env.PASSWORD_FIELD || 'password');
    if (password !== null) {
      const count = await timesExposed(password, env.PWNED_API);
      headers.set(VERDICT, count === null ? 'unknown' : count > 0 ? 'yes' : 'no');
      if (count) headers.set(COUNT, String(count));
    }
    // The original request, body included: the clone above left it unread.
    return fetch(new Request(request, { headers }));
  },
};

/** The password in a posted form, or null when there is none. */
async function submittedPassword(request, field) {
  if (request.method !== 'POST') return null;
  const type = request.headers.get('Content-Type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return null;
  let form;
  try {
    form = await request.clone().formData();
  } catch {
    return null; // a malformed form is the origin's to refuse
  }
  const value = form.get(field);
  return typeof value === 'string' && value !== '' ? value : null;
}

/** How often the password appears in breaches (0: never), or null when the API failed. */
async function timesExposed(password, api) {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(password));
  const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  const prefix = hash.slice(0, 5);
  const suffix = hash.slice(5);

  let res;
  try {
    // Add-Padding: the answer is padded with fake entries (count 0), so its size does
    // not tell an eavesdropper which prefix was asked for.
    res = await fetch(`${api}/range/${prefix}`, { headers: { 'Add-Padding': 'true', 'User-Agent': 'atoll-example-hibp-range' } });
  } catch {
    return null;
  }
  if (!res.ok) return null;
  // One "SUFFIX:COUNT" line per breached hash with this prefix.
  for (const line of (await res.text()).split('\n')) {
    const [s, n] = line.trim().split(':');
    if (s === suffix) return Number(n) || 0;
  }
  return 0;
}
