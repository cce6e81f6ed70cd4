// WPT for URLPattern, run inside a worker isolate against the ratchet in
// test/conformance/expectations/urlpattern.json. The case function follows upstream
// urlpattern/resources/urlpatterntests.js; its source is sent into the isolate.

import { test } from 'node:test';
import { checkExpectations, loadWpt, runWptInIsolate, type Harness } from './wpt.ts';

function urlPatternCases(data: any[], h: Harness) {
  const { test: t, assert_equals, assert_object_equals, assert_throws_js } = h;
  const components = ['protocol', 'username', 'password', 'hostname', 'port', 'pathname', 'search', 'hash'];
  // Which components, when given, make a later one default to `*` rather than the base URL's.
  const earlier: Record<string, string[]> = {
    protocol: [], hostname: ['protocol'], port: ['protocol', 'hostname'], username: [], password: [],
    pathname: ['protocol', 'hostname', 'port'], search: ['protocol', 'hostname', 'port', 'pathname'],
    hash: ['protocol', 'hostname', 'port', 'pathname', 'search'],
  };
  const Pattern = (globalThis as any).URLPattern;
  for (const entry of data) {
    t(() => {
      if (entry.expected_obj === 'error') {
        assert_throws_js(TypeError, () => new Pattern(...entry.pattern), 'URLPattern() constructor');
        return;
      }
      const pattern = new Pattern(...entry.pattern);
      const expectedObj = entry.expected_obj || {};
      for (const component of components) {
        let expected = expectedObj[component];
        if (expected === undefined) {
          let baseURL: URL | null = null;
          if (entry.pattern.length > 0 && entry.pattern[0].baseURL) baseURL = new URL(entry.pattern[0].baseURL);
          else if (entry.pattern.length > 1 && typeof entry.pattern[1] === 'string') baseURL = new URL(entry.pattern[1]);
          const first = entry.pattern[0];
          if (entry.exactly_empty_components && entry.exactly_empty_components.includes(component)) expected = '';
          else if (typeof first === 'object' && first[component]) expected = first[component];
          else if (typeof first === 'object' && earlier[component].some((c) => c in first)) expected = '*';
          else if (baseURL && component !== 'username' && component !== 'password') {
            let value = (baseURL as any)[component] as string;
            if (component === 'protocol') value = value.substring(0, value.length - 1);
            else if (component === 'search' || component === 'hash') value = value.substring(1);
            expected = value;
          } else expected = '*';
        }
        assert_equals(pattern[component], expected, `compiled pattern property '${component}'`);
      }
      if (entry.expected_match === 'error') {
        assert_throws_js(TypeError, () => pattern.test(...entry.inputs), 'test() result');
        assert_throws_js(TypeError, () => pattern.exec(...entry.inputs), 'exec() result');
        return;
      }
      assert_equals(pattern.test(...entry.inputs), !!entry.expected_match, 'test() result');
      const result = pattern.exec(...entry.inputs);
      if (!entry.expected_match || typeof entry.expected_match !== 'object') {
        assert_equals(result, entry.expected_match, 'exec() failed match result');
        return;
      }
      const expectedInputs = entry.expected_match.inputs || entry.inputs;
      assert_equals(result.inputs.length, expectedInputs.length, 'exec() result.inputs.length');
      for (let i = 0; i < result.inputs.length; i++) {
        const input = result.inputs[i];
        if (typeof input === 'string') {
          assert_equals(input, expectedInputs[i], `exec() result.inputs[${i}]`);
          continue;
        }
        for (const component of components) {
          assert_equals(input[component], expectedInputs[i][component], `exec() result.inputs[${i}][${component}]`);
        }
      }
      for (const component of components) {
        let expected = entry.expected_match[component];
        if (!expected) {
          expected = { input: '', groups: {} };
          // A default wildcard captures group 0; an exactly empty component does not.
          if (!entry.exactly_empty_components || !entry.exactly_empty_components.includes(component)) expected.groups['0'] = '';
        }
        // JSON has no undefined: the data writes null for an unmatched optional group.
        for (const key in expected.groups) if (expected.groups[key] === null) expected.groups[key] = undefined;
        assert_object_equals(result[component], expected, `exec() result for ${component}`);
      }
    }, `Pattern: ${JSON.stringify(entry.pattern)} Inputs: ${JSON.stringify(entry.inputs)}`);
  }
}

test('URLPattern: WPT urlpatterntestdata.json: constructor, test and exec match the expectations', async (t) => {
  const run = await runWptInIsolate(urlPatternCases, loadWpt('urlpattern/urlpatterntestdata.json'));
  t.diagnostic(checkExpectations('urlpattern', run));
});
