// The talk's dog-walking drones. Each drone reports its dog's position to the nearest
// edge; the edge stores it in KV and answers at once with a warning for every known
// rival dog within WARN_METRES, so the drone can steer away without a round trip to a
// server on the other side of the world. README.md says what KV's consistency means here.
//
//   POST /drones/<drone>/position  {"dog": "rex", "lat": -41.29, "lon": 174.78}
//     -> 200 {"edge": "WLG", "stored": true, "warnings": [{"dog": "fido", "metres": 31, "bearing": 12, "ageSeconds": 4}]}
//   GET /dogs/<dog>                -> the dog's last known position, or 404

const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const EARTH_RADIUS_M = 6_371_008.8;
// KV's shortest expiry: positions nobody refreshes disappear on their own.
const POSITION_TTL_SECONDS = 60;

const rad = (deg) => (deg * Math.PI) / 180;

/** Great-circle distance (haversine) in metres, and the initial bearing in degrees from a to b. */
function distanceAndBearing(a, b) {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  const metres = 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
  const y = Math.sin(dLon) * Math.cos(rad(b.lat));
  const x = Math.cos(rad(a.lat)) * Math.sin(rad(b.lat)) - Math.sin(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.cos(dLon);
  const bearing = ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
  return { metres, bearing };
}

const problem = (status, message) => Response.json({ error: message }, { status });

function parseReport(input) {
  if (input === null || typeof input !== 'object') return 'Send JSON {"dog", "lat", "lon"}';
  const { dog, lat, lon } = input;
  if (typeof dog !== 'string' || !ID.test(dog)) return '"dog" must be an id: lowercase letters, digits, "-" and "_"';
  if (typeof lat !== 'number' || !(lat >= -90 && lat <= 90)) return '"lat" must be a number from -90 to 90';
  if (typeof lon !== 'number' || !(lon >= -180 && lon <= 180)) return '"lon" must be a number from -180 to 180';
  return { dog, lat, lon };
}

async function report(request, env, drone) {
  const parsed = parseReport(await request.json().catch(() => null));
  if (typeof parsed === 'string') return problem(400, parsed);
  const now = Date.now();
  const edge = request.cf?.colo ?? 'unknown';
  const position = { ...parsed, drone, at: new Date(now).toISOString(), edge };

  // Store this dog's position while reading its rivals' positions: none depends on the
  // other. A write that fails (an edge cut off from the store keeps reading its local
  // copy but cannot write) still leaves the warnings worth sending.
  const [stored, rivals] = await Promise.all([
    env.POSITIONS.put(`dog:${parsed.dog}`, JSON.stringify(position), { expirationTtl: POSITION_TTL_SECONDS }).then(
      () => true,
      (err) => { console.error(`position of ${parsed.dog} not stored: ${err}`); return false; },
    ),
    env.RIVALS.get(`rivals:${parsed.dog}`, 'json').then((list) =>
      Promise.all((Array.isArray(list) ? list : []).map((dog) => env.POSITIONS.get(`dog:${dog}`, 'json')))),
  ]);

  const warnAt = Number(env.WARN_METRES ?? 50);
  const staleMs = Number(env.STALE_SECONDS ?? 30) * 1000;
  const warnings = [];
  for (const rival of rivals) {
    if (rival === null) continue; // not out walking, or not reported for a minute
    const age = now - Date.parse(rival.at);
    if (!(age <= staleMs)) continue;
    const { metres, bearing } = distanceAndBearing(parsed, rival);
    if (metres <= warnAt) {
      warnings.push({ dog: rival.dog, metres: Math.round(metres), bearing: Math.round(bearing), ageSeconds: Math.max(0, Math.round(age / 1000)) });
    }
  }
  warnings.sort((a, b) => a.metres - b.metres);
  return Response.json({ edge, stored, warnings }, { headers: { 'cache-control': 'no-store' } });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const parts = url.pathname.split('/').filter(Boolean);

    if (parts.length === 3 && parts[0] === 'drones' && parts[2] === 'position') {
      if (request.method !== 'POST') return Response.json({ error: 'POST the position' }, { status: 405, headers: { allow: 'POST' } });
      if (!ID.test(parts[1])) return problem(400, 'the drone id must be lowercase letters, digits, "-" and "_"');
      return report(request, env, parts[1]);
    }
    if (parts.length === 2 && parts[0] === 'dogs' && request.method === 'GET') {
      const position = ID.test(parts[1]) ? await env.POSITIONS.get(`dog:${parts[1]}`, 'json') : null;
      return position === null ? problem(404, `no recent position for ${parts[1]}`) : Response.json(position, { headers: { 'cache-control': 'no-store' } });
    }
    return problem(404, 'Not found');
  },
};
