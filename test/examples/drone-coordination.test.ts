// examples/drone-coordination: drones report their dogs' positions to the edge, which
// warns them of known rival dogs within 50 m. KV holds the rivals and the positions.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runExample, startFake, type FakeService, type RunningExample } from './harness.ts';

// Wellington waterfront; 0.00027 degrees of latitude is 30 m, 0.0018 is 200 m.
const HERE = { lat: -41.2865, lon: 174.7762 };
const north = (metres: number) => ({ lat: HERE.lat + metres / 111_195, lon: HERE.lon });
const east = (metres: number) => ({ lat: HERE.lat, lon: HERE.lon + metres / (111_195 * Math.cos((HERE.lat * Math.PI) / 180)) });

interface Warning { dog: string; metres: number; bearing: number; ageSeconds: number }

describe('examples/drone-coordination', () => {
  let origin: FakeService;
  let ex: RunningExample;

  const report = async (drone: string, body: unknown) => {
    const res = await ex.fetch(`/drones/${drone}/position`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { res, json: await res.json() as { edge: string; stored: boolean; warnings: Warning[]; error?: string } };
  };

  before(async () => {
    origin = await startFake();
    ex = await runExample('drone-coordination', {
      origin: origin.url,
      location: 'WLG',
      kv: {
        RIVALS: {
          'rivals:rex': JSON.stringify(['fido', 'spike', 'old-bones', 'nowhere']),
          'rivals:fido': JSON.stringify(['rex']),
        },
        POSITIONS: {
          // Right next to where rex will be, but reported five minutes ago.
          'dog:old-bones': JSON.stringify({ dog: 'old-bones', drone: 'd9', ...north(5), at: new Date(Date.now() - 5 * 60_000).toISOString(), edge: 'WLG' }),
        },
      },
    });
  });
  after(async () => {
    await ex?.close();
    await origin?.close();
  });

  it('POST a position with no rival near: 200, the edge that answered, no warnings', async () => {
    const { res, json } = await report('drone-7', { dog: 'rex', ...HERE });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(json, { edge: 'WLG', stored: true, warnings: [] }, 'old-bones is near but stale; fido and spike are not out');
  });

  it('a rival reported 30 m north: the next report warns of it, with distance, bearing and age; one 200 m away does not', async () => {
    assert.deepEqual((await report('drone-3', { dog: 'spike', ...east(200) })).json.warnings, []);
    // fido's drone hears of rex, who reported above: fido hates rex too.
    const fido = await report('drone-2', { dog: 'fido', ...north(30) });
    assert.deepEqual(fido.json.warnings.map((w) => w.dog), ['rex']);
    assert.ok(Math.abs(fido.json.warnings[0].metres - 30) <= 1, `${fido.json.warnings[0].metres} m`);
    assert.ok(Math.abs(fido.json.warnings[0].bearing - 180) <= 1, 'rex is to the south of fido');

    const rex = await report('drone-7', { dog: 'rex', ...HERE });
    assert.equal(rex.json.warnings.length, 1);
    const [w] = rex.json.warnings;
    assert.equal(w.dog, 'fido');
    assert.ok(Math.abs(w.metres - 30) <= 1, `${w.metres} m`);
    assert.ok(w.bearing <= 1 || w.bearing >= 359, `fido is due north, bearing ${w.bearing}`);
    assert.ok(w.ageSeconds >= 0 && w.ageSeconds <= 30);
  });

  it('the threshold is 50 m: a rival at 49 m warns, at 51 m it does not; the nearest comes first', async () => {
    await report('drone-3', { dog: 'spike', ...east(49) });
    let { json } = await report('drone-7', { dog: 'rex', ...HERE });
    assert.deepEqual(json.warnings.map((w) => w.dog), ['fido', 'spike']);
    await report('drone-3', { dog: 'spike', ...east(51) });
    ({ json } = await report('drone-7', { dog: 'rex', ...HERE }));
    assert.deepEqual(json.warnings.map((w) => w.dog), ['fido']);
  });

  it('GET /dogs/<dog>: the last position stored, with its drone, time and edge; unknown dog: 404', async () => {
    const res = await ex.fetch('/dogs/fido');
    assert.equal(res.status, 200);
    const pos = await res.json() as Record<string, unknown>;
    assert.equal(pos.dog, 'fido');
    assert.equal(pos.drone, 'drone-2');
    assert.equal(pos.edge, 'WLG');
    assert.equal(pos.lat, north(30).lat);
    assert.ok(Date.now() - Date.parse(pos.at as string) < 60_000);
    const missing = await ex.fetch('/dogs/lassie');
    assert.equal(missing.status, 404);
    assert.match((await missing.json() as { error: string }).error, /lassie/);
  });

  it('bad reports: 400 naming the field; nothing stored', async () => {
    const cases: [unknown, RegExp][] = [
      ['not json', /Send JSON/],
      [{ lat: 1, lon: 1 }, /"dog"/],
      [{ dog: 'Bad Dog!', lat: 1, lon: 1 }, /"dog"/],
      [{ dog: 'ghost', lat: 91, lon: 1 }, /"lat"/],
      [{ dog: 'ghost', lat: '1', lon: 1 }, /"lat"/],
      [{ dog: 'ghost', lat: 1, lon: -181 }, /"lon"/],
      [{ dog: 'ghost', lat: 1 }, /"lon"/],
    ];
    for (const [body, error] of cases) {
      const res = await ex.fetch('/drones/drone-1/position', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match((await res.json() as { error: string }).error, error);
    }
    assert.equal((await ex.fetch('/dogs/ghost')).status, 404);
    assert.equal((await ex.fetch('/drones/BAD%20ID/position', { method: 'POST', body: '{}' })).status, 400);
    const get = await ex.fetch('/drones/drone-1/position');
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal((await ex.fetch('/elsewhere')).status, 404);
  });

  it('no request went past the edge to the origin', () => {
    assert.deepEqual(origin.requests, []);
  });
});
