// WPT for URL and URLSearchParams, run inside a worker isolate against the ratchet in
// test/conformance/expectations/. The case functions follow the upstream test files
// named beside each (url/*.any.js, url/toascii.window.js); their source is sent into
// the isolate, so they close over nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkExpectations, loadWpt, runWptInIsolate, wptDir, type Harness } from './wpt.ts';

// url-constructor.any.js, url-origin.any.js, url-statics-canparse.any.js, url-statics-parse.any.js
function constructorCases(data: any[], h: Harness) {
  const { test: t, assert_equals, assert_true, assert_array_equals, assert_throws_js } = h;
  for (const expected of data) {
    if (typeof expected === 'string') continue;
    const base = expected.base !== null ? expected.base : undefined;
    const where = `<${expected.input}> ${base ? `against <${base}>` : 'without base'}`;
    if (expected.failure) {
      t(() => assert_throws_js(TypeError, () => new URL(expected.input, base)), `Parsing: ${where}`);
    } else {
      t(() => {
        const url = new URL(expected.input, base);
        for (const key of ['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search']) {
          assert_equals((url as any)[key], expected[key], key);
        }
        if ('searchParams' in expected) assert_equals(url.searchParams.toString(), expected.searchParams, 'searchParams');
        assert_equals(url.hash, expected.hash, 'hash');
      }, `Parsing: ${where}`);
    }
    if ('origin' in expected) {
      t(() => assert_equals(new URL(expected.input, base).origin, expected.origin, 'origin'), `Origin parsing: ${where}`);
    }
    t(() => assert_equals(URL.canParse(expected.input, base), !expected.failure, 'canParse'), `URL.canParse(): ${where}`);
    t(() => {
      const parsed = URL.parse(expected.input, base);
      if (expected.failure) assert_equals(parsed, null, 'URL.parse');
      else assert_equals(parsed && parsed.href, expected.href, 'URL.parse().href');
    }, `URL.parse(): ${where}`);
  }
}

// url-setters.any.js
function setterCases(data: Record<string, any>, h: Harness) {
  const { test: t, assert_equals, assert_true, assert_array_equals, assert_throws_js } = h;
  for (const attribute in data) {
    if (attribute === 'comment') continue;
    for (const c of data[attribute]) {
      let name = `URL: Setting <${c.href}>.${attribute} = '${c.new_value}'`;
      if ('comment' in c) name += ` ${c.comment}`;
      t(() => {
        const url: any = new URL(c.href);
        url[attribute] = c.new_value;
        for (const key in c.expected) assert_equals(url[key], c.expected[key], key);
      }, name);
    }
  }
}

// toascii.window.js (the URL parts; the <a> and <area> parts need a DOM)
function toAsciiCases(data: any[], h: Harness) {
  const { test: t, assert_equals, assert_true, assert_array_equals, assert_throws_js } = h;
  for (const c of data) {
    if (typeof c === 'string') continue;
    t(() => {
      if (c.output !== null) {
        const url = new URL(`https://${c.input}/x`);
        assert_equals(url.host, c.output, 'host');
        assert_equals(url.hostname, c.output, 'hostname');
        assert_equals(url.pathname, '/x', 'pathname');
        assert_equals(url.href, `https://${c.output}/x`, 'href');
      } else {
        assert_throws_js(TypeError, () => new URL(`https://${c.input}/x`));
      }
    }, `${c.input} (using URL)`);
    for (const setter of ['host', 'hostname']) {
      t(() => {
        const url: any = new URL('https://x/x');
        url[setter] = c.input;
        assert_equals(url[setter], c.output !== null ? c.output : 'x', setter);
      }, `${c.input} (using URL.${setter})`);
    }
  }
}

// urlencoded-parser.any.js (the URLSearchParams part; Request/Response bodies are tested with them)
function urlencodedCases(data: any[], h: Harness) {
  const { test: t, assert_equals, assert_true, assert_array_equals, assert_throws_js } = h;
  for (const c of data) {
    t(() => {
      const got = [...new URLSearchParams(c.input)];
      assert_true(got.length === c.output.length, `${got.length} pairs, expected ${c.output.length}`);
      got.forEach((pair, i) => assert_array_equals(pair, c.output[i], `pair ${i}`));
    }, `URLSearchParams constructed with: ${c.input}`);
  }
}

test('URL: WPT urltestdata.json: constructor, origin, canParse and parse match the expectations', async (t) => {
  const run = await runWptInIsolate(constructorCases, loadWpt('url/urltestdata.json'));
  t.diagnostic(checkExpectations('url-constructor', run));
});

test('URL: WPT setters_tests.json: setters match the expectations', async (t) => {
  const run = await runWptInIsolate(setterCases, loadWpt('url/setters_tests.json'));
  t.diagnostic(checkExpectations('url-setters', run));
});

test('URL: WPT toascii.json: host to-ASCII matches the expectations', async (t) => {
  const run = await runWptInIsolate(toAsciiCases, loadWpt('url/toascii.json'));
  t.diagnostic(checkExpectations('url-toascii', run));
});

test('URLSearchParams: WPT urlencoded-parser-data.json: parsing matches the expectations', async (t) => {
  const run = await runWptInIsolate(urlencodedCases, loadWpt('url/urlencoded-parser-data.json'));
  t.diagnostic(checkExpectations('urlencoded-parser', run));
});

test('WPT: loadWpt: a missing data file fails with a message naming where the data should be', () => {
  assert.throws(() => loadWpt('url/no-such-file.json'), (e: Error) => {
    assert.ok(e.message.includes(wptDir), e.message);
    assert.match(e.message, /missing.*\.\.\/shared\/wpt beside the repository/);
    return true;
  });
});
